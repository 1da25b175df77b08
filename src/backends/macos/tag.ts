import { createHash } from 'node:crypto';
import type { Command } from '../types.js';

/**
 * Deny rules carry `(with message "cordon:<session>:<kind>")`; macOS copies that text into
 * the sandbox violation it logs, so a harness watching `log stream` can tell which plan,
 * and which kind of rule, refused an operation. `with message` takes a string literal, not
 * a parameter, so the tag must be a harmless token and never a path.
 */
export type RuleKind = 'default' | 'secret' | 'protect' | 'pin' | 'link' | 'network';

export const RULE_KINDS: readonly RuleKind[] = ['default', 'secret', 'protect', 'pin', 'link', 'network'];

const SESSION_TAG = /^[A-Za-z0-9_.-]{1,64}$/;

/** The caller's tag, validated, or a stable one derived from workspace and argv. */
export function sessionTag(given: string | undefined, workspace: string, command: Command): string {
  if (given !== undefined) {
    if (!SESSION_TAG.test(given)) {
      throw new TypeError(`host.sessionTag must match ${SESSION_TAG} (it is written into the profile as text), got ${JSON.stringify(given)}`);
    }
    return given;
  }
  // Deterministic so plan() stays pure; pass host.sessionTag to tell apart repeated runs.
  const hash = createHash('sha256');
  for (const part of [workspace, command.file, ...command.args]) hash.update(part).update('\0');
  return hash.digest('hex').slice(0, 12);
}

export function messageTag(session: string, kind: RuleKind): string {
  return `cordon:${session}:${kind}`;
}

/** Finds a cordon tag anywhere in a log message. */
export const MESSAGE_TAG_PATTERN = /cordon:([A-Za-z0-9_.-]{1,64}):(default|secret|protect|pin|link|network)\b/;

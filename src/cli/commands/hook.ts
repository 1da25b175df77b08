import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { isCordonError } from '../../errors.js';
import { ask, decidePreToolUse, type HookHost, type PreToolUseOutput } from '../../harness/claude-code-hook.js';
import { PACKAGE_ROOT } from '../../package-root.js';
import type { Policy } from '../../policy/schema.js';
import { prepare } from '../../spawn.js';
import { parseArgs, policyFromFlags, UsageError, type PolicyFlags } from '../args.js';

/** Claude Code sends one event; anything near this size is not one. */
const MAX_EVENT_BYTES = 4 * 1024 * 1024;

/**
 * `cordon hook claude-code [policy flags]`: reads one PreToolUse event on stdin, writes the
 * decision on stdout and exits 0 (see src/harness/claude-code-hook.ts for the contract). Any
 * failure of its own becomes an "ask" decision: the user is prompted as without the hook.
 */
export async function hookCommand(argv: readonly string[]): Promise<number> {
  const [harness, ...rest] = argv;
  if (harness !== 'claude-code') throw new UsageError(harness === undefined ? 'cordon hook needs a harness: cordon hook claude-code' : `unknown hook ${JSON.stringify(harness)} (known: claude-code)`);
  // Flag mistakes are the user's settings.json, not Claude's command: say so loudly (exit 125 is
  // a non-blocking hook error for Claude Code, so the command still goes through the prompt).
  const { flags, rest: extra } = parseArgs(rest);
  if (extra.length > 0) throw new UsageError(`cordon hook claude-code takes no arguments, got ${JSON.stringify(extra[0])}`);
  let decision: PreToolUseOutput | undefined;
  try {
    decision = claudeCodeDecision(await readStdin(MAX_EVENT_BYTES), flags);
  } catch (error) {
    decision = ask(`the hook failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (decision !== undefined) process.stdout.write(`${JSON.stringify(decision)}\n`);
  return 0;
}

/** The decision for one event text with this host's facts (node, cordon's bundle, the backend probe); undefined: no decision. */
export function claudeCodeDecision(eventText: string, flags: PolicyFlags, env: NodeJS.ProcessEnv = process.env): PreToolUseOutput | undefined {
  return decidePreToolUse(eventText, hookHost(flags, policyFromFlags(flags), env));
}

function hookHost(flags: PolicyFlags, policy: Policy, env: NodeJS.ProcessEnv): HookHost {
  const projectDir = env.CLAUDE_PROJECT_DIR;
  return {
    projectDir: projectDir === undefined || projectDir === '' ? undefined : projectDir,
    node: process.execPath,
    // The bundle, not whatever module this is (src/ under a test loader): that is what `cordon run` is.
    cli: realOr(path.join(PACKAGE_ROOT, 'dist', 'cli.mjs')),
    packageRoot: PACKAGE_ROOT,
    shell: innerShell(),
    runFlags: forwardedFlags(flags),
    ...(flags.policyFile === undefined ? {} : { policyFile: path.resolve(flags.policyFile) }),
    realpath: (p) => {
      try {
        return realpathSync(p);
      } catch {
        return undefined;
      }
    },
    unusable: (workspace, cwd) => {
      // The same resolution, probe and plan `cordon run` performs, on a no-op command.
      try {
        prepare('true', [], { workspace, cwd, policy });
        return undefined;
      } catch (error) {
        if (isCordonError(error)) return `${error.code}: ${error.describe().replaceAll('\n', ' ')}`;
        throw error;
      }
    },
  };
}

/**
 * Claude Code's Bash tool runs commands with bash (the tool's name says so), so bash runs them
 * inside the sandbox too; `sh` only where there is no bash. Absolute system paths only: a PATH
 * lookup could find something the workspace provides.
 */
function innerShell(): string {
  return ['/bin/bash', '/usr/bin/bash'].find((p) => existsSync(p)) ?? '/bin/sh';
}

function realOr(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/** The policy flags again, for `cordon run`, with paths absolute (the hook's cwd is not the command's). */
function forwardedFlags(flags: PolicyFlags): string[] {
  const abs = (p: string) => (p.startsWith('~') ? p : path.resolve(p));
  const out: string[] = [];
  if (flags.profile !== undefined) out.push('--profile', flags.profile);
  if (flags.policyFile !== undefined) out.push('--policy', path.resolve(flags.policyFile));
  for (const p of flags.allowWrite) out.push('--allow-write', abs(p));
  for (const p of flags.denyRead) out.push('--deny-read', abs(p));
  for (const p of flags.allowRead) out.push('--allow-read', abs(p));
  for (const p of flags.protect) out.push('--protect', p);
  for (const n of flags.passEnv) out.push('--pass-env', n);
  for (const h of flags.allowDomain) out.push('--allow-domain', h);
  if (flags.allowHome) out.push('--allow-home');
  if (flags.allowSymlinkedRoots) out.push('--allow-symlinked-roots');
  if (flags.timeoutMs !== undefined) out.push('--timeout', String(flags.timeoutMs));
  return out;
}

async function readStdin(limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error(`the hook input exceeds ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

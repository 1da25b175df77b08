import { governor, planMounts, type MountKind, type MountOp } from './mounts.js';
import { depth, isInside, realpathLoose } from '../../policy/paths.js';
import type { ResolvedPolicy } from '../../policy/resolved.js';
import type { PathVerdict } from '../types.js';

const EFFECT: Record<MountKind | 'base', { read: boolean; write: boolean; label: string }> = {
  base: { read: true, write: false, label: 'read anywhere, write nowhere (base)' },
  tmp: { read: true, write: true, label: 'private tmp: fresh and empty per command; host content hidden, writes vanish' },
  keep: { read: true, write: false, label: 'kept visible, read-only, inside the private tmp (a home or the starting directory)' },
  write: { read: true, write: true, label: 'writable root' },
  pin: { read: true, write: true, label: 'writable (ancestor of a protected path; cannot be renamed)' },
  allow: { read: true, write: false, label: 'read.allow exception' },
  protect: { read: true, write: false, label: 'protected' },
  'deny-dir': { read: false, write: false, label: 'denied' },
  'deny-file': { read: false, write: false, label: 'denied' },
};

/**
 * May the command read or write a path, and which rule decided? Answered from the very mount
 * plan the Linux backend enforces, so `cordon explain` cannot drift from enforcement. The plan
 * is made once per explainer: denial inference asks about several paths of one command.
 */
export function linuxExplainer(policy: ResolvedPolicy): (p: string) => PathVerdict {
  const { ops } = planMounts(policy);
  return (p) => verdict(policy, ops, p);
}

/** One path's verdict (see linuxExplainer, which plans once for many paths). */
export function explainLinux(policy: ResolvedPolicy, p: string): PathVerdict {
  return linuxExplainer(policy)(p);
}

function verdict(policy: ResolvedPolicy, ops: readonly MountOp[], p: string): PathVerdict {
  const realPath = realpathLoose(p);
  const op = governor(realPath, ops, false);
  const effect = EFFECT[op?.kind ?? 'base'];
  let rule = effect.label;
  if (op) {
    const named = [...policy.denyRead, ...policy.allowRead, ...policy.protect].find((r) => r.path === op.path);
    rule = `${effect.label}: ${named ? named.rule : op.path}${named && op.path !== realPath ? ` (${op.path})` : ''}`;
  }
  // A denied path that does not exist yet has no mount, but it is hidden as soon as it exists
  // when a command starts: say so rather than "readable".
  const missingDenial = policy.denyRead
    .filter((r) => r.kind === 'missing' && isInside(realPath, r.path) && (!op || depth(r.path) > depth(op.path)))
    .sort((a, b) => depth(b.path) - depth(a.path))[0];
  if (missingDenial) {
    return { path: p, realPath, read: false, write: false, rule: `denied (does not exist now; hidden whenever it exists as a command starts): ${missingDenial.rule}` };
  }
  return { path: p, realPath, read: effect.read, write: effect.write, rule };
}

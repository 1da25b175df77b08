import { PolicyError } from '../../errors.js';
import { comparePaths, depth, isInside } from '../../policy/paths.js';
import type { Placeholder } from '../types.js';
import type { ResolvedPolicy } from '../../policy/resolved.js';

/**
 * One bind/tmpfs operation of the sandbox's file system, before it becomes bwrap argv.
 * Kinds, and what each does in the sandbox:
 * - tmp:       fresh empty tmpfs (private /tmp, /var/tmp, $TMPDIR), writable, gone afterwards
 * - keep:      read-only bind of a host directory back on top of a private tmp (a home or
 *              the starting directory under /tmp), so it stays visible but unchangeable
 * - write:     writable bind of a writable root onto itself
 * - pin:       writable bind of a directory onto itself so it becomes a mount point and
 *              `rename(2)` on it fails with EBUSY (the `mv .git x` bypass)
 * - allow:     read-only re-exposure of a path inside a denied one
 * - protect:   read-only bind of a path inside a writable root onto itself
 * - deny-dir:  empty tmpfs over a secret directory (or over cordon's own state on the host,
 *              see maskHostState), remounted read-only at the end
 * - deny-file: /dev/null bound read-only over a secret file
 */
export type MountKind = 'tmp' | 'keep' | 'write' | 'pin' | 'allow' | 'protect' | 'deny-dir' | 'deny-file';

export interface MountOp {
  kind: MountKind;
  path: string;
}

/** At one path, later kinds win: denial is applied last so it beats any grant of the same path. */
const KIND_ORDER: Record<MountKind, number> = { tmp: 0, keep: 1, write: 2, pin: 3, allow: 4, protect: 5, 'deny-dir': 6, 'deny-file': 6 };

/** What hides a path (nothing of the host is visible below it) vs. what re-exposes it. */
const HIDES: ReadonlySet<MountKind> = new Set(['tmp', 'deny-dir']);
const EXPOSES: ReadonlySet<MountKind> = new Set(['keep', 'write', 'allow']);

export interface MountPlan {
  ops: MountOp[];
  placeholders: Placeholder[];
}

/**
 * Turns a resolved policy into an ordered list of mounts. Order is shallow to deep (a deeper
 * mount overrides what a shallower one put there), then KIND_ORDER at equal paths. Ops that
 * would be invisible (below a tmpfs or a denied directory, with no re-exposure between) are
 * dropped; an `allow` not under a denial is dropped because it would make a writable path
 * read-only.
 */
export function planMounts(policy: ResolvedPolicy, hostStateDirs: readonly string[] = []): MountPlan {
  const candidates: MountOp[] = [
    ...policy.tmpDirs.map((path) => ({ kind: 'tmp' as const, path })),
    ...policy.keepInTmp.map((path) => ({ kind: 'keep' as const, path })),
    ...policy.writableRoots.map((path) => ({ kind: 'write' as const, path })),
    ...policy.allowRead.filter((r) => r.kind !== 'missing').map((r) => ({ kind: 'allow' as const, path: r.path })),
    ...policy.denyRead.filter((r) => r.kind !== 'missing').map((r) => ({ kind: r.kind === 'dir' ? ('deny-dir' as const) : ('deny-file' as const), path: r.path })),
  ];
  for (const rule of policy.protect) {
    for (const pin of rule.pins) if (!policy.writableRoots.includes(pin)) candidates.push({ kind: 'pin', path: pin });
    candidates.push({ kind: 'protect', path: rule.path });
  }

  // What is kept visible in a private tmp is settled first: the other ops' effect depends on
  // it (a denial below a kept home matters, one below a bare tmpfs does not).
  const unique = dedupe(candidates);
  const settled = unique.filter((op) => op.kind !== 'keep' || isEffective(op, unique));
  let visible = settled.filter((op) => isEffective(op, settled));
  const masks = maskHostState(visible, policy.writableRoots, hostStateDirs);
  if (masks.length > 0) {
    const all = dedupe([...visible, ...masks]);
    visible = all.filter((op) => isEffective(op, all));
  }
  visible.sort((a, b) => depth(a.path) - depth(b.path) || KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || comparePaths(a.path, b.path));

  const placeholders: Placeholder[] = [];
  for (const rule of policy.protect) {
    if (rule.kind === 'missing' && visible.some((op) => op.kind === 'protect' && op.path === rule.path)) {
      const root = policy.writableRoots.filter((r) => isInside(rule.path, r)).sort((a, b) => b.length - a.length)[0] ?? rule.path;
      placeholders.push({ path: rule.path, kind: rule.placeholderKind, root });
    }
  }
  return { ops: visible, placeholders };
}

/**
 * cordon's own state on the host (the placeholder registry, which decides what the harness
 * deletes when a command ends) must never be visible to a command, let alone writable: a
 * command that could rewrite it could make the harness delete files anywhere. A private tmp
 * hides it in the usual case; where the sandbox would see it instead (a writable root such as
 * `--workspace /tmp`, or a $TMPDIR inside the workspace, or the read-only host), it gets an
 * empty tmpfs, remounted read-only. Inside a writable root its ancestors are pinned too, so the
 * command cannot rename one away and build a fresh registry where the harness looks for it.
 * Masking rather than refusing keeps `--workspace /tmp` usable; a writable root at or inside
 * the state directory itself cannot be both writable and hidden, so that one is refused.
 */
function maskHostState(ops: readonly MountOp[], writableRoots: readonly string[], hostStateDirs: readonly string[]): MountOp[] {
  const masks: MountOp[] = [];
  for (const dir of hostStateDirs) {
    const inside = writableRoots.find((root) => isInside(root, dir));
    if (inside !== undefined) {
      throw new PolicyError('ERR_CORDON_POLICY_INVALID', [{ path: 'write', message: `the writable root ${inside} lies inside cordon's own state directory ${dir}` }], {
        hint: `choose a workspace and write.allow paths outside ${dir}`,
      });
    }
    const above = governor(dir, ops, false);
    if (above && HIDES.has(above.kind)) continue; // a private tmp or a denial already hides it
    masks.push({ kind: 'deny-dir', path: dir });
    if (above?.kind !== 'write' && above?.kind !== 'pin') continue;
    for (let p = parentOf(dir); p !== above.path && isInside(p, above.path); p = parentOf(p)) masks.push({ kind: 'pin', path: p });
  }
  return masks;
}

function parentOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}

function dedupe(ops: MountOp[]): MountOp[] {
  const seen = new Set<string>();
  return ops.filter((op) => {
    const key = `${op.kind}\0${op.path}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * The op that governs `path`: the deepest one containing it, latest kind on ties. With
 * `strict`, `path` itself is excluded (what is above it).
 */
export function governor(path: string, ops: readonly MountOp[], strict = true): MountOp | undefined {
  let best: MountOp | undefined;
  for (const op of ops) {
    if ((strict && op.path === path) || !isInside(path, op.path)) continue;
    if (!best || depth(op.path) > depth(best.path) || (depth(op.path) === depth(best.path) && KIND_ORDER[op.kind] > KIND_ORDER[best.kind])) best = op;
  }
  return best;
}

function isEffective(op: MountOp, all: MountOp[]): boolean {
  // A denial at the same path beats every grant there.
  if (!op.kind.startsWith('deny') && all.some((o) => o.path === op.path && o.kind.startsWith('deny'))) return false;
  const above = governor(op.path, all);
  if (op.kind === 'allow') return above !== undefined && above.kind === 'deny-dir';
  // Kept only where a private tmp hid it: under a writable root it is visible (and writable)
  // already, under a denied directory it must stay hidden.
  if (op.kind === 'keep') return above !== undefined && above.kind === 'tmp';
  if (op.kind === 'write' || op.kind === 'tmp') return true;
  // Denials, pins and protections under a tmpfs or a denied directory protect nothing of the host.
  return !(above && HIDES.has(above.kind) && !EXPOSES.has(above.kind));
}

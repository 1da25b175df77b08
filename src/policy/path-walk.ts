import path from 'node:path';

/** Linux's own limit on symlinks followed in one lookup; past it the kernel gives ELOOP. */
const MAX_HOPS = 40;

/** What the walker is told about the next component, `next` (whose parent `cur` is resolved). */
export type Step =
  /** A directory: go into it. */
  | { kind: 'dir' }
  /** A symlink with this target (undefined: unreadable): follow it, unless the caller stops. */
  | { kind: 'link'; target: string | undefined }
  /** Missing, a file with path below it, or unlistable: nothing further to follow. */
  | { kind: 'end' }
  /** The caller has its answer: stop here. */
  | { kind: 'stop' };

export interface WalkEnd {
  /** How the walk ended: `done` (all components resolved), `end`/`stop` at `next`, or `loop` (too many links). */
  how: 'done' | 'end' | 'stop' | 'loop';
  /** The resolved directory reached last. */
  cur: string;
  /** The component the walk ended at (for `end`, `stop`, `loop`). */
  next: string;
  /** Components not walked yet, after `next`. */
  pending: string[];
  /** Every symlink met, each named with its resolved parent. */
  links: string[];
}

/**
 * Resolves `rel` below the real directory `start` the way the kernel does: component by
 * component, `..` against the resolved parent, a symlink's target spliced in front of what is
 * left (from `/` when absolute). `look` says what each component is; the walk never touches
 * the file system itself, so callers decide how (a cached listing, an lstat).
 */
export function walkPath(start: string, rel: string, look: (next: string, cur: string) => Step): WalkEnd {
  const pending = rel.split('/').filter(Boolean);
  const links: string[] = [];
  let cur = start;
  let hops = 0;
  while (pending.length > 0) {
    const segment = pending.shift()!;
    if (segment === '.') continue;
    if (segment === '..') {
      cur = path.dirname(cur);
      continue;
    }
    const next = path.join(cur, segment);
    const step = look(next, cur);
    if (step.kind === 'dir') {
      cur = next;
      continue;
    }
    if (step.kind !== 'link') return { how: step.kind, cur, next, pending, links };
    links.push(next);
    hops += 1;
    if (step.target === undefined || hops > MAX_HOPS) return { how: 'loop', cur, next, pending, links };
    pending.unshift(...step.target.split('/').filter(Boolean));
    if (step.target.startsWith('/')) cur = '/';
  }
  return { how: 'done', cur, next: cur, pending, links };
}

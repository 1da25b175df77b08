import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';

/** `~` and `~/x` become absolute under `home`; anything else is returned untouched. */
export function expandHome(p: string, home: string): string {
  if (p === '~') return home;
  if (p.startsWith('~/')) return path.join(home, p.slice(2));
  return p;
}

/**
 * Real path of `p` even when it (or its tail) does not exist yet: the deepest existing
 * ancestor is resolved and the missing rest appended. A rule about a missing path must
 * still name the place it would appear, or a later-created symlinked parent would dodge it.
 */
export function realpathLoose(p: string): string {
  const abs = path.resolve(p);
  const missing: string[] = [];
  let cur = abs;
  // Probing with a non-throwing stat first: a thrown ENOENT costs ~10 us in Node, and the
  // default policy names ~30 mostly-missing secret paths on every command.
  while (!existsFollowing(cur)) {
    const parent = path.dirname(cur);
    if (parent === cur) return abs;
    missing.push(path.basename(cur));
    cur = parent;
  }
  let real: string;
  try {
    real = realpathSync.native(cur);
  } catch {
    return abs;
  }
  return missing.length ? path.join(real, ...missing.reverse()) : real;
}

function existsFollowing(p: string): boolean {
  try {
    return statSync(p, { throwIfNoEntry: false }) !== undefined;
  } catch {
    return false; // ENOTDIR, EACCES, ELOOP: treat as not there
  }
}

export type PathKind = 'file' | 'dir' | 'missing';

/** What is at `p`, following symlinks (a dangling link counts as missing). */
export function kindOf(p: string): PathKind {
  try {
    const st = statSync(p, { throwIfNoEntry: false });
    if (st === undefined) return 'missing';
    return st.isDirectory() ? 'dir' : 'file';
  } catch {
    return 'missing';
  }
}

/** `child` is `parent` or lies below it (both absolute, normalised). */
export function isInside(child: string, parent: string): boolean {
  if (parent === '/') return true;
  return child === parent || child.startsWith(parent + '/');
}

/** Number of segments; `/` is 0. Mounts are applied shallow to deep. */
export function depth(p: string): number {
  return p === '/' ? 0 : p.split('/').length - 1;
}

/**
 * Code-unit order: locale-independent (rule order must not depend on the user's locale) and
 * cheap (localeCompare costs ~8 ms on first use to build the ICU collator).
 */
export function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Shallow before deep, then code-unit order: the order mounts and Seatbelt rules are emitted in. */
export function byDepthThenPath(a: string, b: string): number {
  return depth(a) - depth(b) || comparePaths(a, b);
}

/**
 * kindOf and realpathLoose with memory, for one resolution: the default policy names ~40
 * paths, most of them missing under the same few parents (~/.config, ~/Library), and each
 * lookup would otherwise stat and realpath those parents again. Lives only as long as one
 * resolvePolicy call, so nothing it remembers can go stale between commands.
 */
export class FsView {
  readonly #kinds = new Map<string, PathKind>();
  readonly #reals = new Map<string, string>();

  kind(p: string): PathKind {
    let kind = this.#kinds.get(p);
    if (kind === undefined) {
      kind = kindOf(p);
      this.#kinds.set(p, kind);
    }
    return kind;
  }

  realpath(p: string): string {
    const abs = path.resolve(p);
    const missing: string[] = [];
    let cur = abs;
    while (this.kind(cur) === 'missing') {
      const parent = path.dirname(cur);
      if (parent === cur) return abs;
      missing.push(path.basename(cur));
      cur = parent;
    }
    let real = this.#reals.get(cur);
    if (real === undefined) {
      real = realpathLoose(cur);
      this.#reals.set(cur, real);
    }
    return missing.length ? path.join(real, ...missing.reverse()) : real;
  }
}

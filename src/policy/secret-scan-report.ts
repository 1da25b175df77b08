import path from 'node:path';
import { isInside } from './paths.js';

/** What one secret scan has walked so far: enough to say where a too-large tree is. */
export interface ScanTrail {
  root: string;
  roots: readonly string[];
  /** Real paths of the directories visited, in visiting order. */
  visited: Set<string>;
  /** Real directory -> the symlink through which the scan first entered it. */
  via: Map<string, string>;
}

export interface LargeDir {
  path: string;
  /** Directories visited below it (itself included) before the scan stopped. */
  dirs: number;
  /** The symlink the scan followed to get there, when it did. */
  via?: string;
}

/** How deep below a root directories are told apart, and how many are named. */
const MAX_DEPTH = 4;
const MAX_NAMED = 3;

/**
 * The few directories holding most of what the scan visited, each narrowed to the deepest
 * one still holding 90% of it: `ws/gen/a/b`, not just `ws/gen`, when that is where the
 * mass is. Runs only when a scan gave up, so the ordinary path pays nothing for it.
 */
export function largestScannedDirs(trail: ScanTrail): LargeDir[] {
  const counts = new Map<string, number>();
  for (const dir of trail.visited) {
    const base = baseOf(dir, trail);
    if (base === undefined || dir === base) continue;
    const parts = dir.slice(base.length + (base === '/' ? 0 : 1)).split('/');
    let key = base === '/' ? '' : base;
    for (let k = 0; k < Math.min(MAX_DEPTH, parts.length); k++) {
      key += `/${parts[k]}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  // The largest child of each counted directory, for narrowing down.
  const largestChild = new Map<string, [string, number]>();
  const tops: [string, number][] = [];
  for (const [dir, n] of counts) {
    const parent = path.dirname(dir);
    if (!counts.has(parent)) tops.push([dir, n]);
    const best = largestChild.get(parent);
    if (!best || n > best[1]) largestChild.set(parent, [dir, n]);
  }
  tops.sort((a, b) => b[1] - a[1]);
  return tops.slice(0, MAX_NAMED).map(([dir, n]) => {
    let best = dir;
    for (let child = largestChild.get(best); child && child[1] >= n * 0.9; child = largestChild.get(best)) best = child[0];
    const via = [...trail.via].find(([target]) => isInside(best, target) || isInside(target, best))?.[1];
    return { path: best, dirs: counts.get(best) ?? n, ...(via === undefined ? {} : { via }) };
  });
}

/** The scanned root a directory is counted under: the scan's own root, else the writable root holding it (reached through a symlink). */
function baseOf(dir: string, trail: ScanTrail): string | undefined {
  if (isInside(dir, trail.root)) return trail.root;
  return [...trail.roots].filter((r) => isInside(dir, r)).sort((a, b) => b.length - a.length)[0];
}

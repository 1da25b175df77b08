import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { SCAN_SKIP_DIRS } from '../policy/defaults.js';
import { QUARANTINE_DIR } from './git-trust.js';

type Kind = 'dir' | 'file' | 'symlink' | 'other';

/** Entry names that can make a directory a repository, or its `.git` a pointer elsewhere. */
const MARKERS: ReadonlySet<string> = new Set(['.git', 'HEAD', 'objects', 'refs', 'commondir']);

interface Listing {
  /** ino, mtime and ctime: any entry added, removed or renamed in the directory changes them. */
  stamp: string;
  subdirs: string[];
  /** Dependency trees and other SCAN_SKIP_DIRS, entered only when the index cannot be read. */
  skipped: string[];
  markers: Map<string, Kind>;
}

/**
 * Directory listings of workspaces already walked for repositories, revalidated by each
 * directory's timestamps, so a check re-reads only directories that changed since the last
 * one: the cost of a check on an unchanged tree is one stat per directory. Belongs to a
 * runtime; nothing here is shared between runtimes.
 */
export class RepoWalkCache {
  readonly dirs = new Map<string, Listing>();
  /** Gitlinks per index file, with the index's stamp: a 100k-entry index is parsed once per change. */
  readonly gitlinks = new Map<string, { stamp: string; links: string[] | undefined }>();
}

export interface RepoCandidate {
  /** The directory holding it. */
  dir: string;
  /** `dot-git`: `dir/.git` exists (of `kind`); `bare`: `dir` itself looks like a gitdir. */
  shape: 'dot-git' | 'bare';
  kind: Kind;
}

/**
 * Every place under `root` where host git would find a repository: a `.git` entry of any
 * kind, or a directory with `HEAD` plus `objects/` and `refs/` (or `commondir`), which git
 * takes for a bare repository. Symlinked directories are not followed (git's discovery walks
 * up from where the user is, so a link only matters at its target, which is walked there if
 * it is in the workspace), and dependency trees (SCAN_SKIP_DIRS) are not entered: gitlinks
 * into them are found from the index instead.
 */
export function findRepoCandidates(root: string, cache: RepoWalkCache, options: { skipped?: boolean } = {}): RepoCandidate[] {
  const found: RepoCandidate[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    const listing = list(dir, cache);
    if (!listing) continue;
    const dotGit = listing.markers.get('.git');
    if (dotGit !== undefined) found.push({ dir, shape: 'dot-git', kind: dotGit });
    if (looksLikeGitdir(listing.markers)) found.push({ dir, shape: 'bare', kind: 'dir' });
    stack.push(...listing.subdirs);
    if (options.skipped) stack.push(...listing.skipped);
  }
  return found;
}

/** git's is_git_directory(), on names only: `HEAD`, and `objects/` + `refs/` or a `commondir`. */
function looksLikeGitdir(markers: Map<string, Kind>): boolean {
  if (!markers.has('HEAD')) return false;
  return markers.has('commondir') || (markers.get('objects') === 'dir' && markers.get('refs') === 'dir');
}

function list(dir: string, cache: RepoWalkCache): Listing | undefined {
  let stamp: string;
  try {
    const st = statSync(dir);
    stamp = `${st.ino}:${st.mtimeMs}:${st.ctimeMs}`;
  } catch {
    cache.dirs.delete(dir);
    return undefined;
  }
  const cached = cache.dirs.get(dir);
  if (cached && cached.stamp === stamp) return cached;
  const listing: Listing = { stamp, subdirs: [], skipped: [], markers: new Map() };
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return undefined;
  }
  for (const e of entries) {
    const kind: Kind = e.isSymbolicLink() ? 'symlink' : e.isDirectory() ? 'dir' : e.isFile() ? 'file' : 'other';
    if (MARKERS.has(e.name)) listing.markers.set(e.name, kind);
    if (kind !== 'dir' || e.name === QUARANTINE_DIR) continue;
    if (e.name === '.git') continue; // a gitdir is inspected as one, never walked as a work tree
    (SCAN_SKIP_DIRS.includes(e.name) ? listing.skipped : listing.subdirs).push(path.join(dir, e.name));
  }
  cache.dirs.set(dir, listing);
  return listing;
}

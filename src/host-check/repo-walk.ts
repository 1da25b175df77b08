import { chmodSync, readdirSync, realpathSync, statSync, type Dirent } from 'node:fs';
import { isInside } from '../policy/paths.js';
import path from 'node:path';
import { SCAN_SKIP_DIRS } from '../policy/defaults.js';

type Kind = 'dir' | 'file' | 'symlink' | 'other';

/** Entry names that can make a directory a repository, or its `.git` a pointer elsewhere. */
const MARKERS: ReadonlySet<string> = new Set(['.git', 'HEAD', 'objects', 'refs', 'commondir']);

interface Listing {
  /** ino, mtime and ctime: any entry added, removed or renamed in the directory changes them. */
  stamp: string;
  subdirs: string[];
  /** Dependency trees and other SCAN_SKIP_DIRS, entered only when the index cannot be read. */
  skipped: string[];
  /** Symlinks in the directory: one to a directory of the workspace is looked at where it points. */
  links: string[];
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
  /** Directories the last walk found unreadable and made readable again (reported by the check). */
  readonly repaired: string[] = [];
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
  const visit = (dir: string, listing: Listing) => {
    const dotGit = listing.markers.get('.git');
    if (dotGit !== undefined) found.push({ dir, shape: 'dot-git', kind: dotGit });
    if (looksLikeGitdir(listing.markers)) found.push({ dir, shape: 'bare', kind: 'dir' });
  };
  while (stack.length > 0) {
    const dir = stack.pop()!;
    const listing = list(dir, cache);
    if (!listing) continue;
    visit(dir, listing);
    stack.push(...listing.subdirs);
    if (options.skipped) stack.push(...listing.skipped);
    else {
      // A dependency tree's own top level is looked at, not entered: an IDE scanning the
      // workspace one level deep (VS Code's default) opens `.venv/.git` or `target/.git`.
      for (const skipped of listing.skipped) {
        const inner = list(skipped, cache);
        if (inner) visit(skipped, inner);
      }
    }
    // `cd src/app && git status` with `src/app -> ../node_modules/.app`: git discovers from the
    // physical directory, which the walk may not enter (a dependency tree); look at its level.
    for (const link of listing.links) {
      const target = linkedDir(link, root);
      const inner = target === undefined ? undefined : list(target, cache);
      if (target !== undefined && inner) visit(target, inner);
    }
  }
  return found;
}

/**
 * git's is_git_directory(), on names only, widened: `HEAD` with `commondir` or with `objects`
 * and `refs` of ANY kind (git only checks access(2), so symlinks to directories count), and also
 * `objects` + `refs` without `HEAD`: a repository parked for a later command to complete by
 * adding one file is inspected now, while its config is still new.
 */
function looksLikeGitdir(markers: Map<string, Kind>): boolean {
  const objectsAndRefs = markers.has('objects') && markers.has('refs');
  return objectsAndRefs || (markers.has('HEAD') && markers.has('commondir'));
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
  const listing: Listing = { stamp, subdirs: [], skipped: [], links: [], markers: new Map() };
  const entries = readable(dir, cache);
  if (entries === undefined) return undefined;
  for (const e of entries) {
    const kind: Kind = e.isSymbolicLink() ? 'symlink' : e.isDirectory() ? 'dir' : e.isFile() ? 'file' : 'other';
    if (MARKERS.has(e.name)) listing.markers.set(e.name, kind);
    if (kind === 'symlink') listing.links.push(path.join(dir, e.name));
    if (kind !== 'dir') continue;
    if (e.name === '.git') continue; // a gitdir is inspected as one, never walked as a work tree
    (SCAN_SKIP_DIRS.includes(e.name) ? listing.skipped : listing.subdirs).push(path.join(dir, e.name));
  }
  cache.dirs.set(dir, listing);
  return listing;
}

/**
 * A directory's entries. One the command made unlistable (`chmod 111 src`) would hide what is
 * below it from this check while git, which only needs search permission, still finds it: so
 * a directory this user owns is made readable again (u+rx), and reported.
 */
export function readable(dir: string, cache: RepoWalkCache): Dirent[] | undefined {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EACCES') return undefined;
  }
  try {
    const st = statSync(dir);
    if (st.uid !== process.getuid?.()) return undefined;
    chmodSync(dir, (st.mode & 0o7777) | 0o700);
    cache.repaired.push(dir);
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return undefined;
  }
}

/** The real directory a symlink leads to, if it lies inside `root`. */
function linkedDir(link: string, root: string): string | undefined {
  try {
    const target = realpathSync(link);
    return isInside(target, root) && statSync(target).isDirectory() ? target : undefined;
  } catch {
    return undefined;
  }
}

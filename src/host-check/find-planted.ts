import { lstatSync, readFileSync, realpathSync, type Stats } from 'node:fs';
import path from 'node:path';
import { comparePaths, isInside } from '../policy/paths.js';
import type { Baseline } from './baseline.js';
import { configIncludes, isPlainGitConfig, readConfigText } from '../git/config.js';
import { indexGitlinks } from '../git/index-file.js';
import { submoduleGitdirs } from '../git/layout.js';
import { GITDIR_MODULES, GITDIR_PROGRAM_DIRS, GITDIR_REDIRECT_FILES, GITDIR_UNWRITTEN_DIRS } from '../git/trust.js';
import { findRepoCandidates, readable, type RepoWalkCache } from './repo-walk.js';

export interface PlantedItem {
  /** Absolute path of what a command left behind. */
  path: string;
  /** Why host git would act on it. */
  reason: string;
}

/** Something host git trusts, found in the workspace, with what its age is judged by. */
interface Trusted {
  path: string;
  st: Stats;
  reason: string;
  /** A regular-file config git init/clone would write is ordinary work, whatever its age. */
  exemptIfPlain?: boolean;
}

export interface Findings {
  planted: PlantedItem[];
  /** Identities of every trusted item left in place, for the next check's baseline. */
  seen: Map<string, string>;
}

/** The identity a baseline remembers: a rename into place keeps ino, a rewrite changes ctime. */
export const identityOf = (st: Stats) => `${st.ino}:${st.ctimeMs}`;

/**
 * Everything under the writable root `root` that host git would trust (see src/git/trust.ts) and
 * that a command made or moved into place during the session that began at `since`:
 * - made or changed: its ctime is at or after `since` (no command can set a ctime back);
 * - moved into place with an old ctime (renaming a parent keeps the children's ctimes, so a
 *   repository parked by one command and moved into view by the next): it is not in the
 *   baseline of trusted items the previous check recorded, although it is older than that
 *   check, and a directory on its way from the root was renamed or changed in this session.
 *   What the user made or moved in between sessions is not flagged.
 * Reads only, except that a directory the command made unlistable is made listable again.
 */
export function findPlanted(root: string, since: number, cache: RepoWalkCache, baseline?: Baseline): Findings {
  const items = trustedItems(root, cache);
  const planted = new Map<string, string>();
  const seen = new Map<string, string>();
  for (const item of items) {
    const text = item.exemptIfPlain && item.st.isFile() ? readConfigText(item.path) : undefined;
    if (text !== undefined && isPlainGitConfig(text)) continue;
    const id = identityOf(item.st);
    const made = item.st.ctimeMs >= since;
    const moved = baseline !== undefined && item.st.ctimeMs < baseline.time && baseline.items[item.path] !== id && movedDuringSession(root, item.path, since);
    if (made || moved) {
      if (!planted.has(item.path)) planted.set(item.path, moved && !made ? `${item.reason}; it was moved into place by the command` : item.reason);
    } else {
      seen.set(item.path, id);
    }
  }
  return { planted: [...planted].map(([p, reason]) => ({ path: p, reason })).sort((a, b) => comparePaths(a.path, b.path)), seen };
}

/** A directory between `root` (exclusive) and `p` changed during the session: a rename into place shows there. */
function movedDuringSession(root: string, p: string, since: number): boolean {
  for (let dir = path.dirname(p); dir !== root && isInside(dir, root); dir = path.dirname(dir)) {
    if ((lstat(dir)?.ctimeMs ?? 0) >= since) return true;
  }
  return false;
}

/** Every item host git would trust under `root`, whatever its age. */
function trustedItems(root: string, cache: RepoWalkCache): Trusted[] {
  const items: Trusted[] = [];
  /** gitdir -> { whole: search all of it for symlinks, worktree: the directory its index describes } */
  const gitdirs = new Map<string, { whole: boolean; worktree?: string }>();
  const addGitdir = (dir: string, whole: boolean, worktree?: string) => {
    if (!gitdirs.has(dir)) gitdirs.set(dir, { whole, ...(worktree === undefined ? {} : { worktree }) });
  };
  const dotGit = (holder: string) => inspectDotGit(holder, root, items, addGitdir);

  for (const candidate of findRepoCandidates(root, cache)) {
    if (candidate.shape === 'bare') addGitdir(candidate.dir, false);
    else dotGit(candidate.dir);
  }
  // Gitlinks: host `git status` visits every gitlink in an index (even in ignored or skipped
  // directories), and in each repository it visits, that repository's own gitlinks.
  const visited = new Set<string>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const [gitdir, info] of [...gitdirs]) {
      if (info.worktree === undefined || visited.has(gitdir)) continue;
      visited.add(gitdir);
      changed = true;
      const links = cachedGitlinks(path.join(gitdir, 'index'), gitdir, cache);
      // An index this parser cannot read: look for repositories in the skipped trees too.
      const holders = links === undefined ? findRepoCandidates(info.worktree, cache, { skipped: true }).filter((c) => c.shape === 'dot-git').map((c) => c.dir) : links.map((l) => path.join(info.worktree!, l));
      for (const holder of holders) if (isInside(holder, root)) dotGit(holder);
    }
  }
  for (const gitdir of [...gitdirs.keys()]) for (const module of submoduleGitdirs(gitdir, (dir) => readable(dir, cache))) addGitdir(module, true);

  for (const [gitdir, { whole }] of gitdirs) {
    for (const name of GITDIR_REDIRECT_FILES) {
      const p = path.join(gitdir, name);
      const st = lstat(p);
      // Only a file or a symlink is read; an empty directory by that name (a cordon placeholder) is not.
      if (st && (st.isFile() || st.isSymbolicLink())) {
        items.push({ path: p, st, reason: `git reads ${name} in a repository's metadata (${describe(name)})`, exemptIfPlain: name === 'config' || name === 'config.worktree' });
      }
    }
    for (const name of GITDIR_PROGRAM_DIRS) items.push(...hookItems(path.join(gitdir, name), cache));
    for (const [p, st] of symlinksIn(gitdir, whole, cache)) items.push({ path: p, st, reason: 'a symlink in repository metadata: host git would read or write through it outside the repository' });
    for (const include of configIncludes(readConfigText(path.join(gitdir, 'config')) ?? '')) {
      const p = path.resolve(gitdir, include);
      const st = lstat(p);
      if (st && isInside(p, root) && (st.isFile() || st.isSymbolicLink())) items.push({ path: p, st, reason: `included by ${path.join(gitdir, 'config')} (include.path): read as that repository's configuration`, exemptIfPlain: true });
    }
  }
  return items;
}

/** indexGitlinks, re-parsed only when the index file changed (ino, size, mtime, ctime). */
function cachedGitlinks(index: string, gitdir: string, cache: RepoWalkCache): string[] | undefined {
  const st = lstat(index);
  if (!st) return [];
  const stamp = `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
  const cached = cache.gitlinks.get(index);
  if (cached?.stamp === stamp) return cached.links;
  const links = indexGitlinks(index, hashBytes(gitdir));
  cache.gitlinks.set(index, { stamp, links });
  return links;
}

/** `holder/.git`: a directory is a gitdir, a file points to one, a symlink is itself suspect. */
function inspectDotGit(holder: string, root: string, items: Trusted[], addGitdir: (dir: string, whole: boolean, worktree?: string) => void): void {
  const dotGit = path.join(holder, '.git');
  const st = lstat(dotGit);
  if (!st) return;
  if (st.isSymbolicLink()) {
    items.push({ path: dotGit, st, reason: 'a `.git` symlink: host git would use whatever repository it points to' });
    return;
  }
  if (st.isDirectory()) {
    addGitdir(dotGit, true, holder);
    return;
  }
  if (!st.isFile()) return;
  const target = gitfileTarget(dotGit);
  if (target !== undefined && isInside(target, root)) {
    // A pointer inside the workspace (a submodule's `.git` -> `.git/modules/NAME`): what it
    // points to is checked like any gitdir.
    addGitdir(target, true, holder);
  } else {
    items.push({ path: dotGit, st, reason: `a \`.git\` file pointing ${target === undefined ? 'nowhere git can use' : `outside the workspace (${target})`}: host git would write that repository's metadata` });
  }
}

/** The real path a `gitdir: X` file points to, relative to the file's directory. */
function gitfileTarget(file: string): string | undefined {
  try {
    const text = readFileSync(file, 'utf8');
    const match = /^gitdir: (.+?)\s*$/m.exec(text);
    if (!match) return undefined;
    return realpathSync(path.resolve(path.dirname(file), match[1]!));
  } catch {
    return undefined;
  }
}

/**
 * What git would run from a hooks directory: the directory itself if it is a link or a file,
 * else every entry but the regular `*.sample` files `git init` writes (git runs hooks by exact
 * name, so those never run).
 */
function hookItems(hooks: string, cache: RepoWalkCache): Trusted[] {
  const st = lstat(hooks);
  if (!st) return [];
  const reason = "git runs programs from a repository's hooks directory";
  if (!st.isDirectory()) return [{ path: hooks, st, reason }];
  const items: Trusted[] = [];
  for (const e of readable(hooks, cache) ?? []) {
    const p = path.join(hooks, e.name);
    const entry = lstat(p);
    if (!entry || (e.name.endsWith('.sample') && entry.isFile())) continue;
    items.push({ path: p, st: entry, reason });
  }
  return items;
}

/** Subdirectories git itself writes in a gitdir; in a bare-shaped directory only these are searched. */
const GIT_WRITTEN_SUBDIRS: readonly string[] = ['refs', 'logs', 'info', 'worktrees', 'rebase-merge', 'rebase-apply', 'sequencer'];

/**
 * Symlinks in a gitdir: everywhere but deep in objects/ (git writes objects to temporary files
 * and links them into place, never through a name; but `objects/XX` itself is a directory it
 * writes into, so one level of objects/ is searched) and modules/ (gitdirs of their own), when
 * `whole`; else, for a bare-shaped workspace directory, its top level and where git writes.
 */
function symlinksIn(gitdir: string, whole: boolean, cache: RepoWalkCache): Array<[string, Stats]> {
  const links: Array<[string, Stats]> = [];
  const stack: Array<{ dir: string; depth: number; objects: boolean }> = [{ dir: gitdir, depth: 0, objects: false }];
  while (stack.length > 0) {
    const { dir, depth, objects } = stack.pop()!;
    for (const e of readable(dir, cache) ?? []) {
      const p = path.join(dir, e.name);
      if (e.isSymbolicLink()) {
        const st = lstat(p);
        if (st) links.push([p, st]);
        continue;
      }
      if (!e.isDirectory() || objects) continue;
      if (depth > 0) stack.push({ dir: p, depth: depth + 1, objects: false });
      else if (GITDIR_UNWRITTEN_DIRS.includes(e.name)) stack.push({ dir: p, depth: 1, objects: true });
      else if (whole ? e.name !== GITDIR_MODULES : GIT_WRITTEN_SUBDIRS.includes(e.name)) stack.push({ dir: p, depth: 1, objects: false });
    }
  }
  return links;
}

function describe(name: string): string {
  switch (name) {
    case 'config':
      return 'configuration can run programs, e.g. core.fsmonitor on every `git status`';
    case 'config.worktree':
      return 'read as configuration when extensions.worktreeConfig is on';
    case 'commondir':
      return 'moves config, hooks and refs to another directory';
    default:
      return 'points git at another directory';
  }
}

/** Object hash length of a repository: sha256 repositories say so in their config. */
function hashBytes(gitdir: string): 20 | 32 {
  return /objectformat\s*=\s*sha256/i.test(readConfigText(path.join(gitdir, 'config')) ?? '') ? 32 : 20;
}

function lstat(p: string): Stats | undefined {
  try {
    return lstatSync(p, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

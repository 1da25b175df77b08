import { lstatSync, readdirSync, readFileSync, realpathSync, type Stats } from 'node:fs';
import path from 'node:path';
import { isInside } from '../policy/paths.js';
import { isPlainGitConfig } from './git-config-safety.js';
import { indexGitlinks } from './git-index.js';
import { GITDIR_MODULES, GITDIR_PROGRAM_DIRS, GITDIR_REDIRECT_FILES, GITDIR_UNWRITTEN_DIRS, QUARANTINE_DIR } from './git-trust.js';
import { findRepoCandidates, type RepoWalkCache } from './repo-walk.js';

export interface PlantedItem {
  /** Absolute path of what a command left behind. */
  path: string;
  /** Why host git would act on it. */
  reason: string;
}

/**
 * Everything under the writable root `root` that host git would trust and that was created or
 * changed at or after `since` (ms since the epoch; a change sets an entry's ctime, which no
 * command can set back). Reads only; the caller decides what to do with the findings.
 *
 * The user's own repository metadata predates the session and is left alone; what a command
 * made is found whatever its name: config, hooks, redirections (`commondir`, `gitdir`,
 * `config.worktree`, a `.git` file or symlink pointing elsewhere) and symlinks that git would
 * write through, in the root's repository, in any repository nested in the workspace, in
 * submodule gitdirs, and in any directory shaped like a bare repository (the root included).
 */
export function findPlanted(root: string, since: number, cache: RepoWalkCache): PlantedItem[] {
  const found = new Map<string, string>();
  const add = (p: string, reason: string) => {
    if (!found.has(p)) found.set(p, reason);
  };
  const isNew = (st: Stats | undefined) => st !== undefined && st.ctimeMs >= since;
  /** gitdir -> whether to search all of it for symlinks (a `.git` or module gitdir) or only where git writes (a bare-shaped workspace directory). */
  const gitdirs = new Map<string, boolean>();

  for (const candidate of findRepoCandidates(root, cache)) {
    if (candidate.shape === 'bare') {
      if (!gitdirs.has(candidate.dir)) gitdirs.set(candidate.dir, false);
      continue;
    }
    inspectDotGit(path.join(candidate.dir, '.git'), root, since, add, gitdirs);
  }
  // Gitlinks in the root index: host `git status` visits each, even inside ignored or skipped
  // directories the walk does not enter.
  const rootIndex = path.join(root, '.git', 'index');
  const gitlinks = cachedGitlinks(rootIndex, path.join(root, '.git'), cache);
  // An index this parser cannot read: look for repositories in the skipped trees too.
  const extra = gitlinks === undefined ? findRepoCandidates(root, cache, { skipped: true }).filter((c) => c.shape === 'dot-git').map((c) => path.relative(root, c.dir)) : [];
  for (const link of [...(gitlinks ?? []), ...extra]) {
    const dotGit = path.join(root, link, '.git');
    if (isInside(dotGit, root)) inspectDotGit(dotGit, root, since, add, gitdirs);
  }
  for (const gitdir of [...gitdirs.keys()]) addModules(gitdir, gitdirs);

  for (const [gitdir, whole] of gitdirs) {
    for (const name of GITDIR_REDIRECT_FILES) {
      const p = path.join(gitdir, name);
      const st = lstat(p);
      // Only a file or a symlink is read; an empty directory by that name (a cordon placeholder) is not.
      if (!isNew(st) || !(st!.isFile() || st!.isSymbolicLink())) continue;
      // A config `git init` or `git clone` would write is ordinary work; anything more is not.
      if ((name === 'config' || name === 'config.worktree') && st!.isFile() && isPlainGitConfig(readText(p))) continue;
      add(p, `git reads ${name} in a repository's metadata (${describe(name)}); it was created or changed by the command`);
    }
    for (const name of GITDIR_PROGRAM_DIRS) {
      const p = path.join(gitdir, name);
      if (hooksChanged(p, since)) add(p, "git runs programs from a repository's hooks directory; the command put a hook there");
    }
    for (const link of newSymlinks(gitdir, since, whole)) add(link, 'a symlink in repository metadata: host git would read or write through it outside the repository');
  }
  return [...found].map(([p, reason]) => ({ path: p, reason })).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
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

function inspectDotGit(dotGit: string, root: string, since: number, add: (p: string, reason: string) => void, gitdirs: Map<string, boolean>): void {
  const st = lstat(dotGit);
  if (!st) return;
  const isNew = st.ctimeMs >= since;
  if (st.isSymbolicLink()) {
    if (isNew) add(dotGit, 'a `.git` symlink: host git would use whatever repository it points to');
    return;
  }
  if (st.isDirectory()) {
    gitdirs.set(dotGit, true);
    return;
  }
  if (!st.isFile()) return;
  const target = gitfileTarget(dotGit);
  if (target !== undefined && isInside(target, root)) {
    // A pointer inside the workspace (a submodule's `.git` -> `.git/modules/NAME`): what it
    // points to is checked like any gitdir.
    gitdirs.set(target, true);
  } else if (isNew) {
    add(dotGit, `a \`.git\` file pointing ${target === undefined ? 'nowhere git can use' : `outside the workspace (${target})`}: host git would write that repository's metadata`);
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

/** Submodule gitdirs under `gitdir/modules`, at any depth (a module's name may contain slashes). */
function addModules(gitdir: string, gitdirs: Map<string, boolean>): void {
  const stack = [path.join(gitdir, GITDIR_MODULES)];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    if (entries.some((e) => e.name === 'HEAD')) {
      gitdirs.set(dir, true);
      stack.push(path.join(dir, GITDIR_MODULES));
      continue;
    }
    for (const e of entries) if (e.isDirectory()) stack.push(path.join(dir, e.name));
  }
}

/**
 * A hooks directory that is itself new or a symlink, or holds a new entry git would run (git
 * runs hooks by exact name; the `*.sample` files `git init` writes are never run).
 */
function hooksChanged(p: string, since: number): boolean {
  const st = lstat(p);
  if (!st) return false;
  // A symlink or file named hooks: new means planted (git would follow the link).
  if (!st.isDirectory()) return st.ctimeMs >= since;
  try {
    return readdirSync(p).some((name) => {
      const entry = lstat(path.join(p, name));
      if (!entry || entry.ctimeMs < since) return false;
      return !(name.endsWith('.sample') && entry.isFile());
    });
  } catch {
    return true;
  }
}

/** Subdirectories git itself writes in a gitdir; in a bare-shaped directory only these are searched. */
const GIT_WRITTEN_SUBDIRS: readonly string[] = ['refs', 'logs', 'info', 'worktrees', 'rebase-merge', 'rebase-apply', 'sequencer'];

/**
 * Symlinks made since `since` in a gitdir: everywhere but objects/ (never written by name) and
 * modules/ (checked as gitdirs of their own) when `whole`; else, for a bare-shaped workspace
 * directory, in its top level and the subdirectories git writes.
 */
function newSymlinks(gitdir: string, since: number, whole: boolean): string[] {
  const links: string[] = [];
  const stack: Array<{ dir: string; top: boolean }> = [{ dir: gitdir, top: true }];
  while (stack.length > 0) {
    const { dir, top } = stack.pop()!;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isSymbolicLink()) {
        if ((lstat(p)?.ctimeMs ?? 0) >= since) links.push(p);
        continue;
      }
      if (!e.isDirectory()) continue;
      if (!top) stack.push({ dir: p, top: false });
      else if (whole ? !GITDIR_UNWRITTEN_DIRS.includes(e.name) && e.name !== GITDIR_MODULES && e.name !== QUARANTINE_DIR : GIT_WRITTEN_SUBDIRS.includes(e.name)) stack.push({ dir: p, top: false });
    }
  }
  return links;
}

function readText(p: string): string {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '\0';
  }
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
  try {
    return /objectformat\s*=\s*sha256/i.test(readFileSync(path.join(gitdir, 'config'), 'utf8')) ? 32 : 20;
  } catch {
    return 20;
  }
}

function lstat(p: string): Stats | undefined {
  return lstatSync(p, { throwIfNoEntry: false });
}

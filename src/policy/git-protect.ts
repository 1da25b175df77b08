import { readdirSync, type Dirent } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ProtectedName } from './defaults.js';
import { configIncludes, configuredHooksPath, readConfigText } from '../git/config.js';
import { submoduleGitdirs } from '../git/layout.js';
import { FsView, isInside } from './paths.js';

/**
 * Repository metadata beyond the root's `.git/hooks` and `.git/config` that host git runs or
 * obeys, to be mounted read-only where it exists (see src/git/trust.ts for why each):
 * - submodule gitdirs' `config` and `hooks` (`.git/modules/NAME/...`, names may nest): host
 *   `git status` recurses into submodules and reads their config;
 * - `.git/commondir` and `.git/config.worktree`, which redirect or extend the config;
 * - the directory `core.hooksPath` names (e.g. `.husky`), which replaces `.git/hooks`.
 * Missing ones cannot get placeholders (an empty `commondir` breaks git), except a missing
 * hooksPath directory, which becomes an empty, git-invisible directory. What a command
 * creates where nothing existed is caught by the host check after it (src/host-check/).
 */
export function gitProtectedNames(root: string, fsv: FsView, homes: readonly string[] = []): ProtectedName[] {
  const gitdir = path.join(root, '.git');
  if (fsv.kind(gitdir) !== 'dir') return [];
  const names: ProtectedName[] = [];
  for (const name of ['commondir', 'config.worktree']) {
    if (fsv.kind(path.join(gitdir, name)) === 'file') names.push({ path: `.git/${name}`, kind: 'file' });
  }
  for (const module of submoduleGitdirs(gitdir, listDir)) {
    const rel = path.relative(root, module);
    if (fsv.kind(path.join(module, 'config')) === 'file') names.push({ path: `${rel}/config`, kind: 'file' });
    if (fsv.kind(path.join(module, 'hooks')) === 'dir') names.push({ path: `${rel}/hooks`, kind: 'dir' });
  }
  // The repository's config wins over the user's global ones, as in git; a relative hooksPath
  // is relative to the work tree, so a global `core.hooksPath = .githooks` lands in here too.
  // Every home in play: the user's git may run with any of them as HOME.
  const globals = [...new Set([...homes, process.env.HOME ?? os.homedir()])].flatMap((home) => [path.join(home, '.gitconfig'), path.join(home, '.config', 'git', 'config')]);
  if (process.env.XDG_CONFIG_HOME) globals.push(path.join(process.env.XDG_CONFIG_HOME, 'git', 'config'));
  const repoConfig = readConfigText(path.join(gitdir, 'config')) ?? '';
  const repoHooksPath = configuredHooksPath(repoConfig);
  const hooksPaths = repoHooksPath !== undefined ? [repoHooksPath] : globals.map((file) => configuredHooksPath(readConfigText(file) ?? '')).filter((v): v is string => v !== undefined);
  for (const hooksPath of hooksPaths) {
    if (hooksPath.startsWith('~')) continue;
    let absolute = path.resolve(root, hooksPath);
    // husky 9 points git at `.husky/_`, whose scripts run the hook bodies in `.husky/`.
    if (path.basename(absolute) === '_') absolute = path.dirname(absolute);
    if (isInside(absolute, root) && absolute !== root && !isInside(absolute, gitdir)) names.push({ path: `${path.relative(root, absolute)}/`, kind: 'dir' });
  }
  // Files the repository config includes (`include.path = ../.gitconfig`, a team's shared
  // settings) are read as config: an existing one inside the workspace is kept read-only.
  for (const include of configIncludes(repoConfig)) {
    const absolute = path.resolve(gitdir, include);
    if (isInside(absolute, root) && !isInside(absolute, gitdir) && fsv.kind(absolute) === 'file') names.push({ path: path.relative(root, absolute), kind: 'file' });
  }
  return names;
}

function listDir(dir: string): Dirent[] | undefined {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return undefined;
  }
}

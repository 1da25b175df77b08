/**
 * What host git trusts in a repository's metadata, as data: the files and directories through
 * which a command could make the user's next `git status` run a program or write outside the
 * workspace. From git 2.39's own code:
 *
 * - Discovery (setup.c, setup_git_directory_gently_1): walking up from the current directory,
 *   each directory D is a repository if `D/.git` is a "gitdir: X" file or a directory passing
 *   is_git_directory(), or, failing that, if D itself passes it (a bare repository, so the
 *   workspace root or any subdirectory can become one). is_git_directory() wants a valid `HEAD`
 *   plus either `objects/` and `refs/`, or a `commondir` file that supplies them.
 * - `commondir` (get_common_dir_noenv) moves config, hooks, refs and objects to another
 *   directory; `gitdir` belongs to linked worktrees; `config.worktree` is read as config when
 *   `extensions.worktreeConfig` is on.
 * - `config` runs programs (core.fsmonitor on every `git status`, core.pager, core.editor,
 *   core.sshCommand, diff/filter drivers, include.path to any file) and `hooks/` holds programs.
 * - Submodules (submodule.c, `git status` recursion): every gitlink staged in the index is
 *   visited with its own `git status`, reading that repository's config; its gitdir is the
 *   path's `.git` (a directory, or a file pointing into `.git/modules/NAME`).
 * - Git writes COMMIT_EDITMSG, MERGE_MSG, FETCH_HEAD, ORIG_HEAD and reflogs (`logs/...`, opened
 *   O_APPEND) with plain open(2): a symlink planted under one of those names is written
 *   through, e.g. a reflog line with a command-chosen branch name appended to `~/.bashrc`.
 *   Objects are written to temporary files and linked into place, never through an existing
 *   name, so `objects/` needs no check (and is the only large part of a gitdir).
 */

/** Files in a gitdir that make git read configuration or another directory. */
export const GITDIR_REDIRECT_FILES: readonly string[] = ['config', 'config.worktree', 'commondir', 'gitdir'];

/** Directories in a gitdir whose contents git runs. */
export const GITDIR_PROGRAM_DIRS: readonly string[] = ['hooks'];

/** Subdirectories of a gitdir never searched for symlinks: git never writes through names there. */
export const GITDIR_UNWRITTEN_DIRS: readonly string[] = ['objects', 'lfs'];

/** Where a gitdir keeps the gitdirs of its submodules (each may nest further `modules/`). */
export const GITDIR_MODULES = 'modules';

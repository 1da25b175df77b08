import path from 'node:path';
import { isInside } from './paths.js';

/**
 * Directories no writable root may be (or, for the trees, lie in): making them writable would
 * make "write only the workspace" meaningless. Real paths, so macOS's /etc is /private/etc.
 *
 * /opt, /srv, /mnt and /media are refused exactly, not as trees: each holds unrelated
 * installations or volumes side by side (/opt/<vendor> is on PATH or run by services), while
 * one of them (/mnt/data/project, /srv/app) is an ordinary workspace.
 */
export const FORBIDDEN_WRITABLE: readonly string[] = [
  '/', '/bin', '/boot', '/dev', '/etc', '/lib', '/lib32', '/lib64', '/proc', '/sbin', '/sys', '/usr', '/var',
  '/opt', '/srv', '/mnt', '/media',
  '/private', '/private/var', '/System', '/Library',
];

/**
 * Trees: /var holds what services and root's tools act on later (crontabs in /var/spool,
 * package databases in /var/lib, logs other programs parse, /var/www served by a web
 * server), /run the live state and sockets of running services (/run/user/UID the user's own
 * session: systemd, dbus). Exceptions: see WRITABLE_IN_SYSTEM_TREES.
 */
export const FORBIDDEN_WRITABLE_TREES: readonly string[] = ['/proc', '/sys', '/dev', '/boot', '/etc', '/usr', '/var', '/run', '/private/etc', '/private/var', '/System'];

/**
 * Inside the forbidden trees, what stays an ordinary place to work: the shared tmp dirs, and
 * on macOS the per-user temporary directories (/private/var/folders/xx/<user>/..., where
 * $TMPDIR points), but not /private/var/folders or one of its two-letter buckets, which hold
 * every user's.
 */
export const WRITABLE_IN_SYSTEM_TREES: readonly string[] = ['/var/tmp', '/private/var/tmp'];
const MACOS_USER_TMP_PARENT = '/private/var/folders';

/**
 * Directories that hold other people's homes. A writable root equal to one of them contains
 * homes whose start-up files other users' shells run, so it needs the same opt-in as a root
 * that contains the caller's own home (write.allowHome).
 */
export const HOME_PARENTS: readonly string[] = ['/home', '/Users'];

export interface SystemDirRules {
  exact: readonly string[];
  trees: readonly string[];
  exceptions: readonly string[];
}
export const SYSTEM_DIR_RULES: SystemDirRules = { exact: FORBIDDEN_WRITABLE, trees: FORBIDDEN_WRITABLE_TREES, exceptions: WRITABLE_IN_SYSTEM_TREES };

/**
 * `dir` (a real path) is a directory no writable root can be or contain, so no sandboxed
 * command can create an entry in it. (`rules` is injectable so tests can show what an older,
 * weaker rule set accepted.)
 */
export function isSystemDir(dir: string, rules: SystemDirRules = SYSTEM_DIR_RULES): boolean {
  if (rules.exact.includes(dir)) return true;
  if (!rules.trees.some((tree) => isInside(dir, tree))) return false;
  if (rules.exceptions.some((e) => isInside(dir, e))) return false;
  // /private/var/folders/<xx>/<user-dir>[/...]: two levels below is a single user's.
  if (isInside(dir, MACOS_USER_TMP_PARENT) && path.relative(MACOS_USER_TMP_PARENT, dir).split('/').length >= 2) return false;
  return true;
}

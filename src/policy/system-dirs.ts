import { isInside } from './paths.js';

/**
 * Directories no writable root may be (or, for the trees, lie in): making them writable would
 * make "write only the workspace" meaningless. Real paths, so macOS's /etc is /private/etc.
 */
export const FORBIDDEN_WRITABLE: readonly string[] = [
  '/', '/bin', '/boot', '/dev', '/etc', '/lib', '/lib32', '/lib64', '/proc', '/sbin', '/sys', '/usr', '/var',
  '/private', '/private/var', '/System', '/Library',
];
export const FORBIDDEN_WRITABLE_TREES: readonly string[] = ['/proc', '/sys', '/dev', '/boot', '/etc', '/usr', '/private/etc', '/System'];

/**
 * Directories that hold other people's homes. A writable root equal to one of them contains
 * homes whose start-up files other users' shells run, so it needs the same opt-in as a root
 * that contains the caller's own home (write.allowHome).
 */
export const HOME_PARENTS: readonly string[] = ['/home', '/Users'];

/** `dir` is a directory no writable root can be or contain, so no sandboxed command can create an entry in it. */
export function isSystemDir(dir: string): boolean {
  return FORBIDDEN_WRITABLE.includes(dir) || FORBIDDEN_WRITABLE_TREES.some((tree) => isInside(dir, tree));
}

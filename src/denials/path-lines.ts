/**
 * Output lines in which a tool says it failed on a path, as the common tools print them. Only
 * shapes and the error each names are read here; whether the sandbox caused the failure is
 * decided by the caller against the policy (src/denials/infer.ts).
 *
 * Recorded inside the sandbox (test/unit/denials-path-lines.test.ts keeps the lines):
 *   sh: 2: cannot create /h/out.txt: Read-only file system               (dash)
 *   bash: /h/out.txt: Read-only file system                              (bash)
 *   touch: cannot touch '/h/t': Read-only file system                    (coreutils; mkdir quotes ‘…’)
 *   cat: /h/.ssh/id_rsa: No such file or directory
 *   mv: cannot move '.git' to 'gitx': Device or resource busy
 *   OSError: [Errno 30] Read-only file system: '/h/p'                    (python; PermissionError for 13 and 1)
 *   Error: EROFS: read-only file system, open '/h/n.txt'                 (node, npm)
 *   error: could not lock config file /h/.gitconfig: Read-only file system   (git)
 *   /usr/bin/ld: cannot open output file /h/a.out: Read-only file system (cc)
 */

/** The errors the sandbox produces on Linux (EROFS, EBUSY, ENOENT) and macOS (EPERM), plus EACCES. */
export type FsErrno = 'EROFS' | 'EACCES' | 'ENOENT' | 'EPERM' | 'EBUSY';

/**
 * What the failed operation wanted. `either`: the line does not say (python's open, node's
 * open); the caller then asks about reading first.
 */
export type Access = 'read' | 'write' | 'either';

export interface PathFailure {
  /** As printed (relative paths are resolved by the caller against the command's cwd). */
  path: string;
  errno: FsErrno;
  access: Access;
}

/** strerror() texts, as C tools (coreutils, sh, git, ld) and python print them. */
const STRERROR: ReadonlyArray<readonly [string, FsErrno]> = [
  ['read-only file system', 'EROFS'],
  ['permission denied', 'EACCES'],
  ['no such file or directory', 'ENOENT'],
  ['directory nonexistent', 'ENOENT'], // dash: `cannot create x/y: Directory nonexistent`
  ['operation not permitted', 'EPERM'],
  ['device or resource busy', 'EBUSY'],
];

const PYTHON_ERRNO: Readonly<Record<string, FsErrno>> = { '1': 'EPERM', '2': 'ENOENT', '13': 'EACCES', '16': 'EBUSY', '30': 'EROFS' };

/** Verbs in a C tool's message that say the operation wanted to change something. */
const WRITE_WORDS = /\b(?:creat\w*|touch|remove|move|moving|renam\w+|mkdir|writ\w*|lock|output|unlink|chmod|chown|changing|setting|truncat\w+|copy|delet\w+|overwrit\w+|replac\w+)\b/i;
/** Verbs that say it only wanted to look. */
const READ_WORDS = /\b(?:access|open|read\w*|stat|list\w*|load\w*|find|scan\w*|can't open|cannot open)\b/i;

/** node's syscall names by what they want; `open` says nothing about the flags. */
const NODE_WRITE = new Set(['mkdir', 'mkdtemp', 'rmdir', 'unlink', 'rename', 'symlink', 'link', 'copyfile', 'cp', 'rm', 'chmod', 'lchmod', 'chown', 'lchown', 'utime', 'lutime', 'futime', 'truncate', 'write']);
const NODE_READ = new Set(['scandir', 'opendir', 'stat', 'lstat', 'access', 'readlink', 'realpath', 'read', 'watch']);

// node: "EROFS: read-only file system, open '/x'" and "EBUSY: resource busy or locked, rename 'a' -> 'b'".
const NODE_RE = /\b(EROFS|EACCES|ENOENT|EPERM|EBUSY): [^,]{3,60}, (\w+) '((?:[^'\\]|\\.)+)'(?: -> '((?:[^'\\]|\\.)+)')?/;
// python: "[Errno 30] Read-only file system: '/x'", also "... : 'a' -> 'b'" (repr may use double quotes).
const PYTHON_RE = /\[Errno (\d+)\] [^:'"]{3,60}: ('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")(?: -> ('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"))?/;
// A quoted path as C tools quote it: '…', "…", ‘…’, `…'.
const QUOTED_RE = /(['"‘`])([^'"‘’`]+)(['"’])/g;
const PATH_TOKEN_RE = /(?:^|\s)((?:\/|\.\.?\/|~\/)\S.*)$/;

/**
 * The path failures a line reports (none for most lines). A line names at most two paths
 * (a rename's source and target).
 */
export function matchPathLine(line: string): PathFailure[] {
  if (line.length > 4096) return [];
  const node = NODE_RE.exec(line);
  if (node) {
    const errno = node[1] as FsErrno;
    const syscall = node[2]!;
    const access: Access = errno === 'EROFS' || errno === 'EBUSY' || NODE_WRITE.has(syscall) ? 'write' : NODE_READ.has(syscall) || errno === 'ENOENT' ? 'read' : 'either';
    return paths([node[3], node[4]].map((p) => (p === undefined ? undefined : unescape(p))), errno, access);
  }
  const py = PYTHON_RE.exec(line);
  if (py) {
    const errno = PYTHON_ERRNO[py[1]!];
    if (errno === undefined) return [];
    return paths([py[2], py[3]].map((p) => (p === undefined ? undefined : unescape(p.slice(1, -1)))), errno, accessFor(errno, line.slice(0, py.index)));
  }
  return matchStrerrorLine(line);
}

/** `PREFIX PATH: strerror` as C tools print it. */
function matchStrerrorLine(line: string): PathFailure[] {
  const lower = line.toLowerCase();
  for (const [text, errno] of STRERROR) {
    // The error is the tail: "…: Read-only file system", clang quotes it, git ends with a period.
    const at = lower.lastIndexOf(`: ${text}`) >= 0 ? lower.lastIndexOf(`: ${text}`) : lower.lastIndexOf(`: '${text}`);
    if (at < 0) continue;
    const before = line.slice(0, at);
    const found = pathsBefore(before);
    if (found.length === 0) return [];
    // The verbs are read after the program's name ("make: x: No such file" is not a write).
    // and never inside the paths themselves (a directory named `create-app`).
    const context = found.reduce((text, p) => text.split(p).join(' '), before.replace(/^[\w./+-]+:\s/, ''));
    return paths(found, errno, accessFor(errno, context));
  }
  return [];
}

/** The path(s) right before the error: quoted ones, else the last `: `-separated segment's path-like tail. */
function pathsBefore(before: string): string[] {
  const trimmed = before.trimEnd();
  if (/['"’]$/.test(trimmed)) {
    // "cannot move 'a' to 'b'" names two; the error is about both ends of the rename.
    const quoted = [...trimmed.matchAll(QUOTED_RE)].map((m) => m[2]!);
    return quoted.slice(-2).filter((p) => p.trim() !== '');
  }
  const segment = trimmed.slice(trimmed.lastIndexOf(': ') + 1).trim();
  if (segment === '') return [];
  const token = PATH_TOKEN_RE.exec(segment);
  if (token) return [token[1]!];
  const words = segment.split(/\s+/);
  const last = words[words.length - 1]!;
  // A lone word with no slash and no dot is rarely a file a tool failed on ("denied", "agent").
  return /[/.]/.test(last) || words.length === 1 ? [last] : [];
}

function accessFor(errno: FsErrno, context: string): Access {
  if (errno === 'EROFS' || errno === 'EBUSY') return 'write';
  if (WRITE_WORDS.test(context)) return 'write';
  if (errno === 'ENOENT' || READ_WORDS.test(context)) return 'read';
  return 'either';
}

function paths(list: ReadonlyArray<string | undefined>, errno: FsErrno, access: Access): PathFailure[] {
  return list.filter((p): p is string => p !== undefined && p !== '' && !p.includes('\0')).map((path) => ({ path, errno, access }));
}

function unescape(p: string): string {
  return p.includes('\\') ? p.replace(/\\(.)/g, '$1') : p;
}

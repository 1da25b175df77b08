import { caseFoldRegexLiteral } from './case-fold.js';

/**
 * Case-insensitive twins of path rules, for case-insensitive APFS (the macOS default).
 *
 * On such a volume `.ENV`, `.Git/hooks` and `~/.SSH/id_rsa` open the very files a rule names
 * `.env`, `.git/hooks` and `~/.ssh/id_rsa`. Seatbelt compares the path it is given, byte for
 * byte: `literal` and `subpath` are case-sensitive. Which spelling it is given is not
 * documented: Sandbox.kext asks the kernel for the vnode's path (`vn_getpath`, per Apple DTS),
 * and that name comes from the name cache, which on a case-insensitive volume may hold the
 * spelling a lookup used rather than the one stored; a path being created has no vnode yet
 * and is checked as typed. So we assume the worst: the path as typed. Every denial and
 * protection of a named path therefore gets a second filter, `(regex (param "CI_n"))`, whose
 * value matches the same path in any ASCII letter case.
 *
 * The regex travels as a `-D` value like every path (SBPL's `regex` filter takes a computed
 * string: Apple's own profiles build them with `(regex (string-append "^" (regex-quote ...)))`),
 * so no path ever becomes profile text. Only denials are folded; grants (read.allow, the
 * writable roots) stay case-sensitive, so a case variant can only ever lose access.
 *
 * Not covered: non-ASCII letters (APFS also folds `Ä`/`ä`) and Unicode normalisation forms;
 * such names stay matched byte for byte.
 */

/**
 * Anchored regex matching `path` in any ASCII letter case: exactly (`exact`), or it and
 * everything below it (`subtree`, as `subpath` does). Pure; `path` is absolute and normalised.
 */
export function caseInsensitivePathRegex(path: string, scope: 'exact' | 'subtree'): string {
  if (path === '/') return scope === 'exact' ? '^/$' : '^/.*$';
  const body = caseFoldRegexLiteral(path);
  return scope === 'exact' ? `^${body}$` : `^${body}(/.*)?$`;
}

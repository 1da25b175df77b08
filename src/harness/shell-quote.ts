/**
 * POSIX shell quoting, for the one place cordon must hand a shell a string instead of argv:
 * a Claude Code hook rewrites the Bash tool's `command`, which Claude Code runs with its shell.
 *
 * Inside single quotes every byte is literal in sh, dash, bash and zsh (POSIX XCU 2.2.2: "Enclosing
 * characters in single-quotes shall preserve the literal value of each character within the
 * single-quotes"); the only thing that cannot appear there is `'` itself, so it is written as
 * `'\''` (close, escaped quote, reopen). No `$`, backquote, `\`, `!`, newline or glob is special
 * inside, in any of those shells. The output never holds `''` inside an open quote, so zsh's
 * RC_QUOTES option cannot change its meaning either.
 */

/** Characters that mean nothing to any of those shells anywhere in a word (no `=`: zsh expands a leading `=cmd`; no `~`, `{`, `*`, `?`, `[`). */
const PLAIN = /^[A-Za-z0-9_/.,:@%+-]+$/;

/**
 * One argument as shell text that the shell turns back into exactly `word`. A NUL byte cannot
 * be passed as an argument by any means (C strings), so it is refused rather than dropped.
 */
export function quoteShellWord(word: string): string {
  if (word.includes('\0')) throw new TypeError('a shell word cannot contain a NUL byte');
  if (PLAIN.test(word)) return word;
  return `'${word.replaceAll("'", "'\\''")}'`;
}

/** An argv as one command line: each element quoted, joined by spaces. */
export function quoteShellCommand(argv: readonly string[]): string {
  if (argv.length === 0) throw new TypeError('an empty command line has no meaning');
  return argv.map(quoteShellWord).join(' ');
}

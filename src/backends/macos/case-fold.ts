// Case folding for Seatbelt regexes.
//
// APFS (and HFS+) volumes are case-insensitive by default: `.ENV`, `.Env` and `.env` name the
// same file, and a command may open it by any spelling. Seatbelt's `regex` filter compares
// bytes, so a rule written for `.env` alone would let `cat .ENV` through. Each ASCII letter
// of a rule is therefore emitted as a two-letter class (`e` -> `[eE]`), the only form of
// case-insensitivity inside the regex subset Apple's own profiles use (no `(?i)` flag).
//
// Only ASCII letters are folded: glob tails are ASCII by grammar (src/policy/glob-grammar.ts);
// other scripts' case pairs (APFS folds `Ä`/`ä` too) are left as written, a known gap for
// non-ASCII literal text.

/** Characters with a meaning in Seatbelt's (POSIX-extended) regexes; all escaped. */
const REGEX_META = new Set([...'.^$*+?()[]{}|\\']);

/** `e` -> `[eE]`; any other character unchanged (not escaped: see regexChar). */
export function caseFoldChar(c: string): string {
  return /^[A-Za-z]$/.test(c) ? `[${c.toLowerCase()}${c.toUpperCase()}]` : c;
}

/** One literal character as regex text: metacharacters escaped, ASCII letters folded when asked. */
export function regexChar(c: string, fold: boolean): string {
  if (REGEX_META.has(c)) return `\\${c}`;
  return fold ? caseFoldChar(c) : c;
}

/**
 * Literal text (a file name, a path tail such as `.git/hooks`, a whole path) as a Seatbelt
 * regex fragment that matches it in any ASCII letter case: `.Git/hooks` ->
 * `\.[gG][iI][tT]/[hH][oO][oO][kK][sS]`. Metacharacters are escaped, so any text is safe to
 * splice between `^` and `$`. Pure.
 */
export function caseFoldRegexLiteral(text: string): string {
  return [...text].map((c) => regexChar(c, true)).join('');
}

/**
 * The items of a character class (`a-c`, `x`, `0-9`) widened to both letter cases:
 * `a-c` -> `a-c`, `A-C`. Ranges are same-kind (a-z, A-Z, 0-9) by grammar, so the other-case
 * range is the same letters in the other case.
 */
export function caseFoldClassItems(items: ReadonlyArray<{ from: string; to: string }>): Array<{ from: string; to: string }> {
  const out = [...items];
  for (const { from, to } of items) {
    if (!/^[A-Za-z]$/.test(from)) continue;
    const other = from === from.toLowerCase() ? (c: string) => c.toUpperCase() : (c: string) => c.toLowerCase();
    const folded = { from: other(from), to: other(to) };
    if (!out.some((i) => i.from === folded.from && i.to === folded.to)) out.push(folded);
  }
  return out;
}

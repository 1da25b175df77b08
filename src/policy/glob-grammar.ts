import { PolicyError } from '../errors.js';

// The glob grammar of cordon policies, parsed in exactly one place.
//
// A path glob is split once (src/policy/globs.ts, micromatch's scanner) into a literal BASE
// directory and a GLOB tail. The tail is read here, into a small tree every consumer shares:
// the resolver validates with it, the Seatbelt converter translates it to a regex, and the
// Linux side expands globs with micromatch, whose reading of this subset is the same (a
// differential test holds the two together: test/unit/macos-glob.test.ts).
//
// Supported, and honoured exactly by both micromatch (`dot: true`) and a Seatbelt regex:
//   *        any characters of one path segment, dot files included (never `/`)
//   ?        one character of one segment (never `/`)
//   **       as a whole segment: zero or more segments (`**` last also matches the base itself)
//   [abc] [a-z] [^x]   one character from (or not from) a set; ranges a-z, A-Z, 0-9; never `/`
//   {a,b}    alternatives, nested allowed, up to 64 after expansion
//   \x       the character x literally
// Refused (ERR_CORDON_POLICY_INVALID, naming the rule, with a hint), because one of the two
// readers would give them another meaning or cannot express them:
//   extglobs and groups `( ) |` (micromatch reads a bare `|` as regex alternation), a leading
//   `!` (negation), `[!x]` (micromatch does not negate with it, shells do), `{1..3}` ranges,
//   POSIX classes `[[:alpha:]]`, unclosed `[` or `{`, `"`, empty, `.` or `..` segments, and
//   non-printable or non-ASCII characters in the tail (file systems may store those in
//   another Unicode normal form). Non-ASCII names are fine in the literal base.

export const MAX_GLOB_ALTERNATIVES = 64;

/** One character-class item: a single character has `from === to`. */
export interface ClassItem {
  from: string;
  to: string;
}

export type GlobToken =
  | { type: 'text'; text: string }
  /** `*`: any run of characters within a segment (consecutive stars are one). */
  | { type: 'star' }
  /** `?`: one character within a segment. */
  | { type: 'any' }
  | { type: 'class'; negate: boolean; items: ClassItem[] };

export type GlobSegment = { type: 'globstar' } | { type: 'name'; tokens: GlobToken[] };

/** A brace-free reading of the tail: its segments in order. */
export type GlobAlternative = GlobSegment[];

export type GlobFail = (message: string, hint: string) => never;

/** A fail function that throws the grammar's typed error, naming the rule (`field`) and the glob. */
export function globFail(pattern: string, field: string): GlobFail {
  return (message, hint) => {
    throw new PolicyError('ERR_CORDON_POLICY_INVALID', [{ path: field, message: `${JSON.stringify(pattern)}: ${message}` }], { hint });
  };
}

/**
 * The tail of a glob (what follows its literal base) as alternatives of segments, or a
 * PolicyError through `fail`. Pure; the same input always gives the same tree.
 */
export function parseGlobTail(tail: string, fail: GlobFail): GlobAlternative[] {
  if (/[^\x20-\x7e]/.test(tail)) fail('only printable ASCII is supported after the first wildcard', 'put non-ASCII names in the literal directory part, or list the paths explicitly');
  if (tail.includes('"')) fail('`"` is not supported in a glob', 'list the path explicitly instead');
  if (tail.startsWith('!')) fail('negated globs are not supported', 'use read.allow for exceptions');
  const alternatives = expandBraces(tail, fail);
  const seen = new Set<string>();
  const out: GlobAlternative[] = [];
  for (const alternative of alternatives) {
    const segments = splitSegments(alternative);
    if (segments.some((seg) => seg === '' || seg === '.' || seg === '..')) {
      fail('empty, "." or ".." segments are not supported', 'write the glob as a normalized absolute path');
    }
    const parsed = segments.map((seg) => parseSegment(seg, fail));
    const key = JSON.stringify(parsed);
    if (!seen.has(key)) {
      seen.add(key);
      out.push(parsed);
    }
  }
  return out;
}

/** `{a,b}` alternatives, expanded (nested braces too); escapes are kept for the segment parser. */
function expandBraces(s: string, fail: GlobFail): string[] {
  let open = -1;
  for (let i = 0; i < s.length; i += 1) {
    if (s[i] === '\\') i += 1;
    else if (s[i] === '{') {
      open = i;
      break;
    } else if (s[i] === '}') fail('unbalanced "}"', 'escape a literal brace as \\}');
  }
  if (open === -1) return [s];
  let depth = 0;
  let close = -1;
  const commas: number[] = [];
  for (let i = open; i < s.length; i += 1) {
    const c = s[i];
    if (c === '\\') i += 1;
    else if (c === '{') depth += 1;
    else if (c === '}' && --depth === 0) {
      close = i;
      break;
    } else if (c === ',' && depth === 1) commas.push(i);
  }
  if (close === -1) fail('unbalanced "{"', 'escape a literal brace as \\{');
  const inner = s.slice(open + 1, close);
  if (commas.length === 0) {
    fail(/^\s*-?\w+\.\.-?\w+\s*$/.test(inner) ? 'brace ranges ({1..3}) are not supported' : 'a brace needs at least two alternatives', 'list the alternatives, e.g. {a,b}');
  }
  const bounds = [open, ...commas, close];
  const options = bounds.slice(0, -1).map((b, k) => s.slice(b + 1, bounds[k + 1]));
  if (options.some((o) => o === '')) fail('empty brace alternatives are not supported', 'list non-empty alternatives, e.g. {a,b}');
  const rest = expandBraces(s.slice(close + 1), fail);
  const out: string[] = [];
  for (const option of options) {
    for (const head of expandBraces(s.slice(0, open) + option, fail)) {
      for (const r of rest) out.push(head + r);
      if (out.length > MAX_GLOB_ALTERNATIVES) fail(`expands to more than ${MAX_GLOB_ALTERNATIVES} alternatives`, 'use fewer or smaller braces');
    }
  }
  return out;
}

/** Split at unescaped `/` (escapes stay for the segment parser). */
function splitSegments(tail: string): string[] {
  const segments: string[] = [];
  let cur = '';
  for (let i = 0; i < tail.length; i += 1) {
    if (tail[i] === '\\' && i + 1 < tail.length) {
      cur += tail[i]! + tail[i + 1]!;
      i += 1;
    } else if (tail[i] === '/') {
      segments.push(cur);
      cur = '';
    } else cur += tail[i];
  }
  segments.push(cur);
  return segments;
}

const CLASS_CHAR = /^[A-Za-z0-9._~@+#%,;=&$ ]$/;

function parseSegment(seg: string, fail: GlobFail): GlobSegment {
  if (seg === '**') return { type: 'globstar' };
  const tokens: GlobToken[] = [];
  const text = (c: string) => {
    const last = tokens[tokens.length - 1];
    if (last?.type === 'text') last.text += c;
    else tokens.push({ type: 'text', text: c });
  };
  for (let i = 0; i < seg.length; i += 1) {
    const c = seg[i]!;
    if (c === '\\') {
      if (i + 1 >= seg.length) fail('ends with a lone backslash', 'escape a backslash as \\\\');
      text(seg[++i]!);
    } else if (c === '*') {
      while (seg[i + 1] === '*') i += 1;
      tokens.push({ type: 'star' });
    } else if (c === '?') tokens.push({ type: 'any' });
    else if (c === '[') i = parseClass(seg, i, fail, (token) => tokens.push(token));
    else if (c === '(' || c === ')' || c === '|') fail(`"${c}" (extglob or group) is not supported`, `escape it as \\${c} to match it literally`);
    else text(c);
  }
  return { type: 'name', tokens };
}

/** `[...]` starting at `start`; returns the index of its `]`. */
function parseClass(seg: string, start: number, fail: GlobFail, emit: (token: GlobToken) => void): number {
  let i = start + 1;
  let negate = false;
  // micromatch (picomatch 2) reads `[!x]` as the characters `!` and `x`, not as a
  // negation as the shell does: refuse the ambiguity rather than pick one reading.
  if (seg[i] === '!') fail('"[!...]" is ambiguous (micromatch does not negate with it)', 'write a negated class as [^...]');
  if (seg[i] === '^') {
    negate = true;
    i += 1;
  }
  const items: ClassItem[] = [];
  for (; i < seg.length && seg[i] !== ']'; i += 1) {
    const c = seg[i]!;
    if (c === '[' && seg[i + 1] === ':') fail('POSIX character classes are not supported', 'list the characters, e.g. [a-z0-9]');
    if (seg[i + 1] === '-' && seg[i + 2] !== undefined && seg[i + 2] !== ']') {
      const to = seg[i + 2]!;
      if (!sameRangeKind(c, to)) fail(`bad range ${c}-${to} in a character class`, 'use ranges like a-z, A-Z or 0-9');
      items.push({ from: c, to });
      i += 2;
    } else if (CLASS_CHAR.test(c)) items.push({ from: c, to: c });
    else fail(`"${c}" is not supported inside a character class`, 'use letters, digits and simple punctuation inside [...]');
  }
  if (i >= seg.length) fail('unclosed "["', 'escape a literal bracket as \\[');
  if (items.length === 0) fail('empty character class', 'put at least one character inside [...]');
  emit({ type: 'class', negate, items });
  return i;
}

function sameRangeKind(a: string, b: string): boolean {
  const kind = (c: string) => (/[a-z]/.test(c) ? 1 : /[A-Z]/.test(c) ? 2 : /[0-9]/.test(c) ? 3 : 0);
  return kind(a) !== 0 && kind(a) === kind(b) && a <= b;
}

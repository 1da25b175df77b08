import { PolicyError } from '../../errors.js';

// Absolute globs (micromatch syntax, `dot: true`) to Seatbelt regexes.
//
// SBPL regexes cannot take `(param ...)`, so a regex that spelled out the glob's directory
// would put a raw path into the profile text. Instead a glob is split into
//   - a literal ROOT directory, passed as a parameter and matched with `(subpath ...)`, and
//   - a path-independent regex for the rest, anchored by the root's *depth* only:
//       <root>/**/.env  ->  (require-all (subpath (param "R")) (regex #"^/[^/]+/[^/]+(/[^/]+)*/\.env$"))
//     (for a root two segments deep). `subpath` fixes the first segments to the root, and the
//     `/[^/]+` repeated depth times skips exactly those, so the tail matches exactly where
//     the glob would: `*.pub` under ~/.ssh matches ~/.ssh/a.pub but not ~/.ssh/x/a.pub.
// The profile then names no directory, and the regex only carries the glob's own tail.
//
// Supported: `*` and `?` (never crossing `/`), `**` as a whole segment (zero or more
// segments; `**` at the end also matches the directory itself), `{a,b}` (nested, expanded),
// `[abc]`, `[a-z]`, `[^x]`, and `\` escapes. Rejected with a PolicyError naming the glob:
// extglobs and regex groups (`(`, `)`, `|`), leading `!` negation, `[!x]` (micromatch
// does not read it as negation), `{1..3}` ranges, POSIX classes, unclosed `[`, `"`, and
// non-printable or non-ASCII characters in the pattern part (file systems may store
// those in another Unicode normal form). Known difference from micromatch: it also lets
// `[ab].txt` match a file literally named `[ab].txt`; we do not (an existing file is
// still denied, because the resolver expands globs into literal paths).
//
// Emitted regex syntax is kept to what Apple's own profiles use: `^ $ . [..] [^..] ( | )
// * + ?` and backslash escapes; no `{n}` counts, no `(?:`, no `\d`.

export interface SbplGlob {
  /** Literal, absolute directory where the glob's wildcards start. */
  root: string;
  /**
   * Anchored regex for full paths below `root`, or null when the glob covers the root and
   * everything below it (`<root>/**`, or no wildcard at all): a plain `(subpath ...)`.
   */
  regex: string | null;
}

export interface GlobOptions {
  /**
   * Real directories whose spelling is taken literally when a pattern starts with one of
   * them followed by `/` (the workspace, writable roots, home, tmp dirs). Patterns built
   * by joining such a directory with a tail stay correct even when the directory's own
   * name contains `[`, `{`, `*` or `?`.
   */
  anchors?: readonly string[];
  /** Names the rule in error messages (`read.deny: ~/x/*.pem`). */
  field?: string;
}

const MAX_ALTERNATIVES = 64;
const REGEX_META = new Set([...'.^$*+?()[]{}|\\']);
const CLASS_CHAR = /^[A-Za-z0-9._~@+#%,;=&$ ]$/;

export function globToSbplRegex(pattern: string, options: GlobOptions = {}): SbplGlob {
  const field = options.field ?? 'glob';
  const fail = (message: string, hint: string): never => {
    throw new PolicyError('ERR_CORDON_POLICY_INVALID', [{ path: field, message: `${JSON.stringify(pattern)}: ${message}` }], { hint });
  };
  const { root, tail } = splitGlob(pattern, options.anchors ?? [], fail);
  if (tail === '' || tail === '**') return { root, regex: null };
  if (/[^\x20-\x7e]/.test(tail)) fail('only printable ASCII is supported after the first wildcard', 'put non-ASCII names in the literal directory part, or list the paths explicitly');
  if (tail.includes('"')) fail('`"` is not supported in a glob', 'list the path explicitly instead');
  if (tail.startsWith('!')) fail('negated globs are not supported', 'use read.allow for exceptions');

  const alternatives = expandBraces(tail, fail);
  const bodies = [...new Set(alternatives.map((alt) => tailToRegex(alt, fail)))];
  const anchor = '/[^/]+'.repeat(depthOf(root));
  const body = bodies.length === 1 ? bodies[0]! : `(${bodies.join('|')})`;
  return { root, regex: `^${anchor}${body}$` };
}

type Fail = (message: string, hint: string) => never;

/** Literal root directory + glob tail. Backslash escapes in the root are removed. */
export function splitGlob(pattern: string, anchors: readonly string[], fail: Fail = defaultFail(pattern)): { root: string; tail: string } {
  if (!pattern.startsWith('/')) fail('must be absolute', 'resolve ~ and relative paths first');
  for (const anchor of [...anchors].sort((a, b) => b.length - a.length)) {
    if (pattern === anchor) return { root: anchor, tail: '' };
    const prefix = anchor === '/' ? '/' : `${anchor}/`;
    if (pattern.startsWith(prefix)) {
      // The anchor is literal as written; literal segments after it still join the root.
      const rest = splitStatic(pattern.slice(prefix.length));
      const root = rest.literal === '' ? anchor : normalizeRoot(`${prefix}${unescape(rest.literal)}`, fail);
      return { root, tail: rest.tail === '' ? '' : checkTail(rest.tail, fail) };
    }
  }
  const rest = splitStatic(pattern.slice(1));
  return { root: normalizeRoot(`/${unescape(rest.literal)}`, fail), tail: rest.tail === '' ? '' : checkTail(rest.tail, fail) };
}

/** `a/b/*.x/c` -> literal `a/b`, tail `*.x/c`: whole segments before the first wildcard. */
function splitStatic(relative: string): { literal: string; tail: string } {
  const first = firstWildcard(relative);
  if (first === -1) return { literal: relative, tail: '' };
  const cut = relative.lastIndexOf('/', first);
  return cut === -1 ? { literal: '', tail: relative } : { literal: relative.slice(0, cut), tail: relative.slice(cut + 1) };
}

function defaultFail(pattern: string): Fail {
  return (message, hint) => {
    throw new PolicyError('ERR_CORDON_POLICY_INVALID', [{ path: 'glob', message: `${JSON.stringify(pattern)}: ${message}` }], { hint });
  };
}

function checkTail(tail: string, fail: Fail): string {
  if (tail.split('/').some((seg) => seg === '' || seg === '.' || seg === '..')) {
    fail('empty, "." or ".." segments are not supported', 'write the glob as a normalized absolute path');
  }
  return tail;
}

function normalizeRoot(root: string, fail: Fail): string {
  if (root !== '/' && (root.endsWith('/') || root.split('/').slice(1).some((s) => s === '' || s === '.' || s === '..'))) {
    fail('the directory part must be a normalized absolute path', 'remove "//", "." and ".." from the glob');
  }
  return root;
}

/**
 * Index of the first unescaped `* ? [ {` or `( ) |` (micromatch reads parentheses as
 * groups, so they end the literal part too; the tail then rejects them), or -1.
 */
function firstWildcard(s: string): number {
  for (let i = 0; i < s.length; i += 1) {
    if (s[i] === '\\') i += 1;
    else if ('*?[{()|'.includes(s[i]!)) return i;
  }
  return -1;
}

function unescape(s: string): string {
  return s.replace(/\\(.)/g, '$1');
}

function depthOf(root: string): number {
  return root === '/' ? 0 : root.split('/').length - 1;
}

/** `{a,b}` alternatives, expanded (nested braces too); escapes are kept for tailToRegex. */
function expandBraces(s: string, fail: Fail): string[] {
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
      if (out.length > MAX_ALTERNATIVES) fail(`expands to more than ${MAX_ALTERNATIVES} alternatives`, 'use fewer or smaller braces');
    }
  }
  return out;
}

/** A brace-free tail to a regex body; each segment starts with `/`. */
function tailToRegex(tail: string, fail: Fail): string {
  const segments = splitSegments(tail);
  let out = '';
  segments.forEach((seg, i) => {
    const last = i === segments.length - 1;
    if (seg === '**') {
      const piece = last ? '(/.*)?' : '(/[^/]+)*';
      if (!out.endsWith(piece)) out += piece;
    } else {
      out += `/${segmentToRegex(seg, fail)}`;
    }
  });
  return out;
}

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

function segmentToRegex(seg: string, fail: Fail): string {
  // A segment of stars only must name something: `[^/]+` rather than `[^/]*`.
  if (/^\*+$/.test(seg)) return '[^/]+';
  let out = '';
  for (let i = 0; i < seg.length; i += 1) {
    const c = seg[i]!;
    if (c === '\\') {
      if (i + 1 >= seg.length) fail('ends with a lone backslash', 'escape a backslash as \\\\');
      out += escapeChar(seg[++i]!);
    } else if (c === '*') {
      while (seg[i + 1] === '*') i += 1;
      out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else if (c === '[') i = classToRegex(seg, i, fail, (text) => (out += text));
    else if (c === '(' || c === ')' || c === '|') fail(`"${c}" (extglob or group) is not supported`, `escape it as \\${c} to match it literally`);
    else out += escapeChar(c);
  }
  return out;
}

function escapeChar(c: string): string {
  return REGEX_META.has(c) ? `\\${c}` : c;
}

/** `[...]` starting at `start`; emits a class that never matches `/`; returns the index of `]`. */
function classToRegex(seg: string, start: number, fail: Fail, emit: (text: string) => void): number {
  let i = start + 1;
  let negate = false;
  // micromatch (picomatch 2) reads `[!x]` as the characters `!` and `x`, not as a
  // negation as the shell does: refuse the ambiguity rather than pick one reading.
  if (seg[i] === '!') fail('"[!...]" is ambiguous (micromatch does not negate with it)', 'write a negated class as [^...]');
  if (seg[i] === '^') {
    negate = true;
    i += 1;
  }
  let items = '';
  for (; i < seg.length && seg[i] !== ']'; i += 1) {
    const c = seg[i]!;
    if (c === '[' && seg[i + 1] === ':') fail('POSIX character classes are not supported', 'list the characters, e.g. [a-z0-9]');
    if (seg[i + 1] === '-' && seg[i + 2] !== undefined && seg[i + 2] !== ']') {
      const to = seg[i + 2]!;
      if (!sameRangeKind(c, to)) fail(`bad range ${c}-${to} in a character class`, 'use ranges like a-z, A-Z or 0-9');
      items += `${c}-${to}`;
      i += 2;
    } else if (CLASS_CHAR.test(c)) items += c;
    else fail(`"${c}" is not supported inside a character class`, 'use letters, digits and simple punctuation inside [...]');
  }
  if (i >= seg.length) fail('unclosed "["', 'escape a literal bracket as \\[');
  if (items === '') fail('empty character class', 'put at least one character inside [...]');
  emit(negate ? `[^${items}/]` : `[${items}]`);
  return i;
}

function sameRangeKind(a: string, b: string): boolean {
  const kind = (c: string) => (/[a-z]/.test(c) ? 1 : /[A-Z]/.test(c) ? 2 : /[0-9]/.test(c) ? 3 : 0);
  return kind(a) !== 0 && kind(a) === kind(b) && a <= b;
}

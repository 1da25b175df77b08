import { readdirSync } from 'node:fs';
import path from 'node:path';
import micromatch from 'micromatch';
import { PolicyError } from '../errors.js';
import { globFail, parseGlobTail, type GlobFail } from './glob-grammar.js';
import type { GlobRule } from './resolved.js';

/** Characters without which nothing is a glob: a cheap test before micromatch's parser. */
const GLOB_CHARS = /[*?[\]{}()!+@]/;

/** A literal path made safe to prefix a glob: a workspace named `a[1]` must not become a pattern. */
export function escapeGlob(literal: string): string {
  return literal.replace(/[*?[\]{}()!+@\\|]/g, '\\$&');
}

/** An absolute glob split once: the literal directory it starts in, and the wildcard rest. */
export interface GlobSplit {
  /** Absolute, normalized, unescaped directory: every match lies in it (or is it). */
  base: string;
  /** The rest, relative to `base`, in the grammar of ./glob-grammar.ts ('' for none). */
  glob: string;
}

/**
 * micromatch's scanner on `pattern`, returning where its literal base ends. Each escaped
 * character is first masked by a plain letter of the same length: picomatch 2's scan reads
 * an escaped `\{` as the start of a brace set and then swallows the rest of the pattern into
 * the base (a workspace named `a{y}` made its `.env` glob come back as one literal path), and its
 * `unescape` option also unescapes the glob tail. Masking keeps every offset, so the base and
 * tail are cut from the pattern as written.
 */
function scanCut(pattern: string): { baseEnd: number; globStart: number; isGlob: boolean; negated: boolean } {
  const masked = pattern.replace(/\\[\s\S]/g, '\\x');
  const scan = micromatch.scan(masked);
  const globStart = pattern.length - scan.glob.length;
  return { baseEnd: scan.prefix.length + scan.base.length, globStart, isGlob: scan.isGlob, negated: scan.negated || scan.negatedExtglob };
}

/**
 * THE split of a path glob into `{ base, glob }`, done once in the resolver; backends take
 * the parts and never look for the base themselves. The pattern must be absolute (`~`
 * already expanded, a literal directory prefix escaped with escapeGlob). Throws
 * ERR_CORDON_POLICY_INVALID, naming `field`, for anything outside the grammar documented in
 * ./glob-grammar.ts, so a policy that resolves here means the same on every backend.
 */
export function splitGlob(pattern: string, field = 'glob'): GlobSplit {
  const fail = globFail(pattern, field);
  if (pattern.includes('\0')) fail('contains a NUL byte', 'remove it');
  if (pattern.startsWith('!')) fail('negated globs are not supported', 'use read.allow for exceptions');
  if (!pattern.startsWith('/')) fail('must be absolute', 'resolve ~ and relative paths first');
  const cut = scanCut(pattern);
  if (cut.negated) fail('negated globs are not supported', 'use read.allow for exceptions');
  const rawBase = cut.isGlob ? pattern.slice(0, cut.baseEnd) : pattern;
  const rawGlob = cut.isGlob ? pattern.slice(cut.globStart) : '';
  const base = literalBase(rawBase === '' ? '/' : rawBase, fail);
  if (rawGlob !== '') parseGlobTail(rawGlob, fail);
  return { base, glob: rawGlob };
}

/**
 * The literal directory part, unescaped. Unescaped `( ) | [ { }` are refused even here:
 * micromatch's matcher gives them meaning anywhere (a bare `a|b` becomes regex alternation),
 * so a base the scanner calls literal would not be literal to the Linux expansion; a `[` or `{`
 * the scanner left in the base is an unclosed or one-alternative one.
 */
function literalBase(raw: string, fail: GlobFail): string {
  for (let i = 0; i < raw.length; i += 1) {
    const c = raw[i]!;
    if (c === '\\') {
      if (i + 1 >= raw.length) fail('ends with a lone backslash', 'escape a backslash as \\\\');
      i += 1;
    } else if ('()|[{}'.includes(c)) {
      // The grammar names the exact problem (`{a}` has one alternative, `[abc` is unclosed).
      parseGlobTail(raw.slice(raw.lastIndexOf('/', i) + 1), fail);
      fail(`"${c}" is not supported here`, `escape it as \\${c} to match it literally`);
    }
  }
  const base = raw.replace(/\\([\s\S])/g, '$1');
  if (base !== '/' && (base.endsWith('/') || base.split('/').slice(1).some((s) => s === '' || s === '.' || s === '..'))) {
    fail('the directory part must be a normalized absolute path', 'remove "//", "." and ".." from the glob');
  }
  return base;
}

/** A resolved glob rule: the pattern (for messages and micromatch) and its split. */
export function globRule(pattern: string, rule: string, field = rule): GlobRule {
  return { pattern, ...splitGlob(pattern, field), rule };
}

/** The pattern again from a split: the base escaped, so it stays literal to micromatch. */
export function joinGlob(split: GlobSplit): string {
  if (split.glob === '') return escapeGlob(split.base);
  return split.base === '/' ? `/${split.glob}` : `${escapeGlob(split.base)}/${split.glob}`;
}

/**
 * The glob with its literal base directory made real, so a glob under a symlinked directory
 * names the same files a real-path matcher (Seatbelt, the mount plan) sees.
 */
export function realGlob(split: GlobSplit, realpath: (p: string) => string): GlobSplit {
  if (split.base === '/') return split;
  const realBase = realpath(split.base);
  return realBase === split.base ? split : { base: realBase, glob: split.glob };
}

export function isGlob(pattern: string): boolean {
  return GLOB_CHARS.test(pattern) && scanCut(pattern).isGlob;
}

export interface GlobWalkOptions {
  /** Directory names never descended into. */
  skipDirs: readonly string[];
  /** Entries the walk may visit before the pattern is rejected as over-broad. */
  budget: number;
  /** Field name for the error message. */
  field: string;
}

/**
 * Existing paths matching a split glob. The walk starts at the glob's literal base,
 * never follows symlinked directories (a link loop or a link to / must not explode it),
 * and stops with ERR_CORDON_POLICY_TOO_BROAD past a budget instead of silently truncating:
 * a deny list that was only partly expanded would be a silent hole.
 */
export function expandGlob(split: GlobSplit, options: GlobWalkOptions): string[] {
  const pattern = joinGlob(split);
  const root = split.base;
  if (root === '/') {
    throw new PolicyError('ERR_CORDON_POLICY_TOO_BROAD', [{ path: options.field, message: `glob ${JSON.stringify(pattern)} has no literal directory to start from` }], {
      hint: 'anchor the glob under a specific directory, e.g. ~/projects/**/*.pem',
    });
  }
  const isMatch = micromatch.matcher(pattern, { dot: true });
  const matches: string[] = [];
  let visited = 0;
  const stack = [root];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      continue; // unreadable or vanished: nothing there can be read by the command either
    }
    for (const entry of entries) {
      visited += 1;
      if (visited > options.budget) {
        throw new PolicyError('ERR_CORDON_POLICY_TOO_BROAD', [{ path: options.field, message: `glob ${JSON.stringify(pattern)} visits more than ${options.budget} entries` }], {
          hint: 'narrow the glob (a deeper literal directory, fewer **), or list the paths explicitly',
        });
      }
      const full = path.join(dir, entry.name);
      if (isMatch(full)) matches.push(full);
      if (entry.isDirectory() && !options.skipDirs.includes(entry.name)) stack.push(full);
    }
  }
  return matches.sort();
}

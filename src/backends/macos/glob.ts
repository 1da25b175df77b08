import { globFail, parseGlobTail, type ClassItem, type GlobAlternative, type GlobToken } from '../../policy/glob-grammar.js';
import type { GlobSplit } from '../../policy/globs.js';
import { caseFoldClassItems, regexChar } from './case-fold.js';

// Split globs (`{ base, glob }`, made by the resolver: src/policy/globs.ts) to Seatbelt regexes.
//
// SBPL regexes cannot take `(param ...)`, so a regex that spelled out the glob's directory
// would put a raw path into the profile text. Instead
//   - the literal BASE is the ROOT, passed as a parameter and matched with `(subpath ...)`, and
//   - the GLOB tail becomes a path-independent regex, anchored by the root's *depth* only:
//       <root>/**/.env  ->  (require-all (subpath (param "R")) (regex #"^/[^/]+/[^/]+(/[^/]+)*/\.env$"))
//     (for a root two segments deep). `subpath` fixes the first segments to the root, and the
//     `/[^/]+` repeated depth times skips exactly those, so the tail matches exactly where
//     the glob would: `*.pub` under ~/.ssh matches ~/.ssh/a.pub but not ~/.ssh/x/a.pub.
// The profile then names no directory, and the regex only carries the glob's own tail.
//
// The tail is read with the policy's one grammar (src/policy/glob-grammar.ts: `*`, `?`, `**`,
// `[...]`, `{a,b}`, `\` escapes); anything outside it is refused there, with the rule named.
// Known difference from micromatch: it also lets `[ab].txt` match a file literally named
// `[ab].txt`; we do not (an existing file is still denied, because the resolver expands
// globs into literal paths).
//
// Case: APFS is case-insensitive by default, so by default every letter of the tail matches
// either case (`.env` -> `\.[eE][nN][vV]`): `cat .ENV` must not slip past a `**/.env` denial.
// The root is matched by `(subpath ...)` as given (a real path from the resolver).
//
// Emitted regex syntax is kept to what Apple's own profiles use: `^ $ . [..] [^..] ( | )
// * + ?` and backslash escapes; no `{n}` counts, no `(?:`, no `\d`, no `(?i)`.

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
  /** Names the rule in error messages (`read.deny: ~/x/*.pem`). */
  field?: string;
  /**
   * Match letters of the tail in either case (default true): APFS and HFS+ volumes are
   * case-insensitive unless formatted otherwise. Off only for case-sensitive volumes and
   * for tests that show what the folding prevents.
   */
  caseInsensitive?: boolean;
}

export function globToSbplRegex(split: GlobSplit, options: GlobOptions = {}): SbplGlob {
  const { base: root, glob } = split;
  const fold = options.caseInsensitive ?? true;
  const pattern = root === '/' ? `/${glob}` : `${root}/${glob}`;
  const fail = globFail(pattern, options.field ?? 'glob');
  if (!root.startsWith('/') || (root !== '/' && (root.endsWith('/') || root.split('/').slice(1).some((s) => s === '' || s === '.' || s === '..')))) {
    fail('the directory part must be a normalized absolute path', 'split globs with splitGlob (src/policy/globs.ts)');
  }
  // The root is matched by `subpath` byte for byte; fs-rules.ts adds its case-folded twin.
  if (glob === '' || glob === '**') return { root, regex: null };
  const alternatives = parseGlobTail(glob, fail);
  const bodies = [...new Set(alternatives.map((alt) => alternativeToRegex(alt, fold)))];
  const anchor = '/[^/]+'.repeat(depthOf(root));
  const body = bodies.length === 1 ? bodies[0]! : `(${bodies.join('|')})`;
  return { root, regex: `^${anchor}${body}$` };
}

function depthOf(root: string): number {
  return root === '/' ? 0 : root.split('/').length - 1;
}

/** One brace-free alternative to a regex body; each segment starts with `/`. */
function alternativeToRegex(segments: GlobAlternative, fold: boolean): string {
  let out = '';
  segments.forEach((seg, i) => {
    const last = i === segments.length - 1;
    if (seg.type === 'globstar') {
      const piece = last ? '(/.*)?' : '(/[^/]+)*';
      if (!out.endsWith(piece)) out += piece;
    } else {
      out += `/${tokensToRegex(seg.tokens, fold)}`;
    }
  });
  return out;
}

function tokensToRegex(tokens: readonly GlobToken[], fold: boolean): string {
  // A segment of stars only must name something: `[^/]+` rather than `[^/]*`.
  if (tokens.length === 1 && tokens[0]!.type === 'star') return '[^/]+';
  return tokens.map((token) => tokenToRegex(token, fold)).join('');
}

function tokenToRegex(token: GlobToken, fold: boolean): string {
  switch (token.type) {
    case 'text':
      return [...token.text].map((c) => regexChar(c, fold)).join('');
    case 'star':
      return '[^/]*';
    case 'any':
      return '[^/]';
    case 'class': {
      const items = (fold ? caseFoldClassItems(token.items) : token.items).map(classItem).join('');
      // A class never matches `/`: micromatch's never does either.
      return token.negate ? `[^${items}/]` : `[${items}]`;
    }
  }
}

function classItem(item: ClassItem): string {
  return item.from === item.to ? item.from : `${item.from}-${item.to}`;
}

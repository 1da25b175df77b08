import micromatch from 'micromatch';
import { describe, expect, it } from 'vitest';
import { isCordonError, PolicyError } from '../../src/errors.js';
import { caseFoldRegexLiteral } from '../../src/backends/macos/case-fold.js';
import { globToSbplRegex, type GlobOptions } from '../../src/backends/macos/glob.js';
import { caseInsensitivePathRegex } from '../../src/backends/macos/path-case.js';
import { escapeGlob, splitGlob } from '../../src/policy/globs.js';

/** A pattern split as the resolver splits it, then converted (case-sensitive unless asked). */
function convert(pattern: string, options: GlobOptions = {}) {
  return globToSbplRegex(splitGlob(pattern, options.field), { caseInsensitive: false, ...options });
}

/** What Seatbelt would answer for `(require-all (subpath ROOT) (regex RE))` on `path`. */
function seatbeltMatches(pattern: string, path: string, options: GlobOptions = {}): boolean {
  const { root, regex } = convert(pattern, options);
  const underRoot = root === '/' || path === root || path.startsWith(`${root}/`);
  return underRoot && (regex === null || new RegExp(regex).test(path));
}

describe('globToSbplRegex: exact output for small cases', () => {
  it.each([
    ['/r/**/.env', '/r', String.raw`^/[^/]+(/[^/]+)*/\.env$`],
    ['/home/u/.ssh/*.pub', '/home/u/.ssh', String.raw`^/[^/]+/[^/]+/[^/]+/[^/]*\.pub$`],
    ['/r/a?c', '/r', String.raw`^/[^/]+/a[^/]c$`],
    ['/r/{a,b}/*', '/r', String.raw`^/[^/]+(/a/[^/]+|/b/[^/]+)$`],
    ['/r/[^a-c]x', '/r', String.raw`^/[^/]+/[^a-c/]x$`],
    ['/r/x/**', '/r/x', null],
    ['/r/plain/file', '/r/plain/file', null],
    ['/*.key', '/', String.raw`^/[^/]*\.key$`],
  ])('%s', (pattern, root, regex) => {
    expect(convert(pattern)).toEqual({ root, regex });
  });

  it('escapes every regex metacharacter of a literal part', () => {
    const { regex } = convert(String.raw`/r/a+b\(1\)\[x\]\{y\}^$\|.txt*`);
    expect(regex).toBe(String.raw`^/[^/]+/a\+b\(1\)\[x\]\{y\}\^\$\|\.txt[^/]*$`);
  });

  it('keeps the directory part out of the regex: only its depth shows', () => {
    const { root, regex } = convert('/Users/alice/secret-project/**/*.pem');
    expect(root).toBe('/Users/alice/secret-project');
    expect(regex).not.toMatch(/alice|secret-project|Users/);
  });
});

describe('globToSbplRegex agrees with micromatch (dot: true) as used by the resolver', () => {
  const root = '/w/proj';
  const paths = [
    '/w/proj', '/w/proj/.env', '/w/proj/.env.local', '/w/proj/.env.example', '/w/proj/a/.env', '/w/proj/a/b/.env',
    '/w/proj/.x/.env', '/w/proj/a.pub', '/w/proj/sub/a.pub', '/w/proj/.pub', '/w/proj/abc', '/w/proj/a/c', '/w/proj/a/b/c',
    '/w/proj/a/x/y/c', '/w/proj/ac', '/w/proj/x1.txt', '/w/proj/x12.txt', '/w/proj/a/k.key', '/w/proj/b/k.key', '/w/proj/c/k.key',
    '/w/proj/a.txt', '/w/proj/b.txt', '/w/proj/d.txt', '/w/proj/a*b', '/w/proj/axb', '/w/proj/node_modules/x/.env',
    '/w/proj/src/m.ts', '/w/proj/lib/x/m.ts', '/w/proj/lib/z/m.ts', '/w/proj/.config/gh/token', '/w/proj/.config/a/b/token',
    '/w/other/.env', '/w/proj2/.env', '/w/projx', '/w/proj/a+b(1)[x].txt', '/w/proj/a+b1x.txt',
  ];
  const patterns = [
    '**/.env', '**/.env.*', '*.pub', 'a/*/c', 'a/**/c', '**', 'x?.txt', '{a,b}/*.key', '[ab].txt', '[^a]*.txt', '[a-c].txt',
    String.raw`a\*b`, '**/node_modules/**', '{src,lib/{x,y}}/*.ts', '.config/*/token', String.raw`a+b\(1\)\[x\].txt`, '*/.env',
  ];
  it.each(patterns)('%s', (tail) => {
    const pattern = `${root}/${tail}`;
    const disagreements = paths.filter((p) => seatbeltMatches(pattern, p) !== micromatch.isMatch(p, pattern, { dot: true }));
    expect(disagreements).toEqual([]);
  });
});

describe('globToSbplRegex: an escaped directory stays literal (escapeGlob, as the resolver builds rules)', () => {
  it('a workspace whose name has glob characters is the root, not a pattern', () => {
    const workspace = '/w/a+b(1)[x]{y}*';
    const pattern = `${escapeGlob(workspace)}/**/.env`;
    expect(convert(pattern).root).toBe(workspace);
    expect(seatbeltMatches(pattern, `${workspace}/app/.env`)).toBe(true);
    expect(seatbeltMatches(pattern, '/w/a+b1x{y}z/.env')).toBe(false);
  });

  it('literal segments below the escaped part join the root', () => {
    expect(convert(`${escapeGlob('/h')}/proj/*.key`).root).toBe('/h/proj');
  });

  it('escapes in the directory part are removed', () => {
    expect(convert(String.raw`/w/a\[1\]/*.key`).root).toBe('/w/a[1]');
  });
});

describe('globToSbplRegex: unsupported syntax is rejected clearly', () => {
  it.each([
    ['/r/(a|b)', /extglob or group/],
    ['/r/+(x).txt', /extglob or group/],
    ['/r/!(x)', /negated|extglob/],
    ['/r/[!a]*.txt', /ambiguous/],
    ['/r/!*.txt', /negated/],
    ['/r/{1..3}.log', /brace ranges/],
    ['/r/{a}.log', /at least two alternatives/],
    ['/r/{a,}.log', /empty brace/],
    ['/r/{a,b.log', /unbalanced "\{"/],
    ['/r/[[:alpha:]].txt', /POSIX/],
    ['/r/[abc.txt', /unclosed "\["/],
    ['/r/[/].txt', /unclosed|not supported/],
    ['/r/a"b*.txt', /`"`/],
    ['/r/*.ключ', /printable ASCII/],
    ['/r/*.txt\\', /lone backslash/],
    ['/r/../*.txt', /normalized/],
    ['relative/*.txt', /must be absolute/],
  ])('%s', (pattern, message) => {
    let error: unknown;
    try {
      convert(pattern, { field: 'read.deny.0' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PolicyError);
    expect(isCordonError(error) && error.code).toBe('ERR_CORDON_POLICY_INVALID');
    expect((error as PolicyError).issues[0]).toMatchObject({ path: 'read.deny.0', message: expect.stringMatching(message) });
    expect((error as PolicyError).hint).toBeTruthy();
  });

  it('limits brace expansion', () => {
    expect(() => convert('/r/{a,b}{c,d}{e,f}{g,h}{i,j}{k,l}{m,n}.x')).toThrow(/more than 64 alternatives/);
  });
});

describe('globToSbplRegex: emitted regexes stay within the subset Seatbelt accepts', () => {
  // Apple's profiles use ^ $ . [..] [^..] ( | ) * + ? and backslash escapes; no {n}, (?:, \d.
  const subset = /^(?:[^\\{}]|\\[.^$*+?()[\]{}|\\])*$/;
  it.each(['/r/**/.env', '/r/{a,b}/**/x?.[a-z]*', String.raw`/r/\{x\}*.txt`, '/r/[^.]*', '/r/**/a/**'].flatMap((p) => [[p, false], [p, true]] as const))('%s (case-insensitive: %s)', (pattern, caseInsensitive) => {
    const { regex } = convert(pattern, { caseInsensitive });
    expect(regex).not.toBeNull();
    expect(regex).toMatch(subset);
    expect(regex).not.toContain('(?');
    expect(regex!.startsWith('^') && regex!.endsWith('$')).toBe(true);
  });
});

describe('globToSbplRegex: the root is as deep as the literal part allows', () => {
  it('literal segments after an escaped directory join the root', () => {
    expect(convert(`${escapeGlob('/h')}/vault/keys/*.key`)).toEqual({ root: '/h/vault/keys', regex: String.raw`^/[^/]+/[^/]+/[^/]+/[^/]*\.key$` });
  });
  it('a pattern with no wildcard is a subtree rule for the whole path', () => {
    expect(convert(`${escapeGlob('/h')}/vault/a.key`)).toEqual({ root: '/h/vault/a.key', regex: null });
  });
});

describe('globToSbplRegex: letters match in either case (case-insensitive APFS)', () => {
  const pattern = '/w/proj/**/.env';
  const variants = ['/w/proj/.ENV', '/w/proj/.Env', '/w/proj/app/.eNv'];

  it('with folding off (the old, case-sensitive rule) `cat .ENV` would slip past a **/.env denial', () => {
    for (const p of variants) expect(seatbeltMatches(pattern, p, { caseInsensitive: false })).toBe(false);
    expect(seatbeltMatches(pattern, '/w/proj/.env', { caseInsensitive: false })).toBe(true);
  });

  it('folding is on by default: .ENV, .Env and .eNv are denied like .env, and nothing more is', () => {
    const { regex } = globToSbplRegex(splitGlob(pattern));
    expect(regex).toBe(String.raw`^/[^/]+/[^/]+(/[^/]+)*/\.[eE][nN][vV]$`);
    for (const p of [...variants, '/w/proj/.env']) expect(seatbeltMatches(pattern, p, { caseInsensitive: true })).toBe(true);
    for (const p of ['/w/proj/.envx', '/w/proj/.ENV/x', '/w/proj/xENV', '/w/other/.ENV']) expect(seatbeltMatches(pattern, p, { caseInsensitive: true })).toBe(false);
  });

  it('character classes fold too, negated ones exclude both cases', () => {
    expect(convert('/r/[a-c]x', { caseInsensitive: true }).regex).toBe(String.raw`^/[^/]+/[a-cA-C][xX]$`);
    expect(convert('/r/[^a-c]x', { caseInsensitive: true }).regex).toBe(String.raw`^/[^/]+/[^a-cA-C/][xX]$`);
  });

  /** What fs-rules.ts emits as a glob denial's case twin: the folded root (path-case.ts) AND the glob regex. */
  const twinMatches = (pattern: string, p: string) => {
    const glob = convert(pattern, { caseInsensitive: true });
    return new RegExp(caseInsensitivePathRegex(glob.root, 'subtree')).test(p) && (glob.regex === null || new RegExp(glob.regex).test(p));
  };

  it('the root is matched by `subpath`, byte for byte: the twin filter folds it too', () => {
    expect(convert('/w/proj/.config/*/token', { caseInsensitive: true }).root).toBe('/w/proj/.config');
    expect(seatbeltMatches('/w/proj/.config/*/token', '/w/proj/.Config/GH/Token', { caseInsensitive: true })).toBe(false);
    expect(twinMatches('/w/proj/.config/*/token', '/w/proj/.Config/GH/Token')).toBe(true);
    expect(twinMatches('/w/proj/.config/*/token', '/w/proj/.Config/GH/x/Token')).toBe(false);
    expect(twinMatches('/w/Proj/**', '/W/pRoj/deep/x')).toBe(true);
  });

  it('the twin filter agrees with micromatch (dot: true, nocase: true) on every pattern of the differential table', () => {
    const paths = ['/w/proj/.env', '/w/proj/.ENV', '/w/proj/A/.Env', '/w/proj/A.PUB', '/w/proj/SUB/a.pub', '/w/proj/X1.TXT', '/w/proj/A/K.Key', '/w/proj/C/k.KEY',
      '/w/proj/B.txt', '/w/proj/D.TXT', '/w/proj/SRC/m.TS', '/w/proj/Lib/X/m.ts', '/w/proj/.Config/GH/Token', '/w/proj/A/B/C', '/w/proj/a/X/y/C', '/w/proj/.env.LOCAL', '/W/PROJ/.Env'];
    const patterns = ['**/.env', '**/.env.*', '*.pub', 'a/*/c', 'a/**/c', 'x?.txt', '{a,b}/*.key', '[ab].txt', '[^a]*.txt', '[a-c].txt', '{src,lib/{x,y}}/*.ts', '.config/*/token'];
    const disagreements = patterns.flatMap((tail) =>
      paths.filter((p) => twinMatches(`/w/proj/${tail}`, p) !== micromatch.isMatch(p, `/w/proj/${tail}`, { dot: true, nocase: true })).map((p) => `${tail} ${p}`),
    );
    expect(disagreements).toEqual([]);
  });
});

describe('globToSbplRegex: a hand-built split is still read with the policy grammar', () => {
  it('refuses a tail outside the grammar, naming the rule', () => {
    expect(() => globToSbplRegex({ base: '/r', glob: '(a|b)/*.key' }, { field: 'read.deny: ~/(a|b)/*.key' })).toThrow(/read\.deny: ~\/\(a\|b\)\/\*\.key: .*extglob or group/);
  });
});

describe('caseFoldRegexLiteral: literal text to an any-case regex fragment (shared with path rules)', () => {
  it('folds ASCII letters, escapes metacharacters, leaves the rest', () => {
    expect(caseFoldRegexLiteral('.Git/hooks')).toBe(String.raw`\.[gG][iI][tT]/[hH][oO][oO][kK][sS]`);
    expect(caseFoldRegexLiteral('a+b(1)[x]{y}*|^$\\9')).toBe(String.raw`[aA]\+[bB]\(1\)\[[xX]\]\{[yY]\}\*\|\^\$\\9`);
    const re = new RegExp(`^${caseFoldRegexLiteral('/Users/a/.env')}$`);
    expect(['/Users/a/.env', '/USERS/A/.ENV', '/users/A/.Env'].every((p) => re.test(p))).toBe(true);
    expect(['/Users/a/xenv', '/Users/a/.env2', '/Users/a/.env/x'].some((p) => re.test(p))).toBe(false);
  });
});

import micromatch from 'micromatch';
import { describe, expect, it } from 'vitest';
import { isCordonError, PolicyError } from '../../src/errors.js';
import { globToSbplRegex } from '../../src/backends/macos/glob.js';

/** What Seatbelt would answer for `(require-all (subpath ROOT) (regex RE))` on `path`. */
function seatbeltMatches(pattern: string, path: string, anchors: string[] = []): boolean {
  const { root, regex } = globToSbplRegex(pattern, { anchors });
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
    expect(globToSbplRegex(pattern)).toEqual({ root, regex });
  });

  it('escapes every regex metacharacter of a literal part', () => {
    const { regex } = globToSbplRegex(String.raw`/r/a+b\(1\)\[x\]\{y\}^$\|.txt*`);
    expect(regex).toBe(String.raw`^/[^/]+/a\+b\(1\)\[x\]\{y\}\^\$\|\.txt[^/]*$`);
  });

  it('keeps the directory part out of the regex: only its depth shows', () => {
    const { root, regex } = globToSbplRegex('/Users/alice/secret-project/**/*.pem');
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

describe('globToSbplRegex: anchors keep a real directory literal', () => {
  it('a workspace whose name has glob characters is the root, not a pattern', () => {
    const workspace = '/w/a+b(1)[x]{y}*';
    const glob = globToSbplRegex(`${workspace}/**/.env`, { anchors: [workspace, '/w'] });
    expect(glob.root).toBe(workspace);
    expect(seatbeltMatches(`${workspace}/**/.env`, `${workspace}/app/.env`, [workspace])).toBe(true);
    expect(seatbeltMatches(`${workspace}/**/.env`, '/w/a+b1x{y}z/.env', [workspace])).toBe(false);
  });

  it('the longest anchor wins', () => {
    expect(globToSbplRegex('/h/proj/*.key', { anchors: ['/h', '/h/proj'] }).root).toBe('/h/proj');
  });

  it('without an anchor, escapes in the directory part are removed', () => {
    expect(globToSbplRegex(String.raw`/w/a\[1\]/*.key`).root).toBe('/w/a[1]');
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
      globToSbplRegex(pattern, { field: 'read.deny.0' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PolicyError);
    expect(isCordonError(error) && error.code).toBe('ERR_CORDON_POLICY_INVALID');
    expect((error as PolicyError).issues[0]).toMatchObject({ path: 'read.deny.0', message: expect.stringMatching(message) });
    expect((error as PolicyError).hint).toBeTruthy();
  });

  it('limits brace expansion', () => {
    expect(() => globToSbplRegex('/r/{a,b}{c,d}{e,f}{g,h}{i,j}{k,l}{m,n}.x')).toThrow(/more than 64 alternatives/);
  });
});

describe('globToSbplRegex: emitted regexes stay within the subset Seatbelt accepts', () => {
  // Apple's profiles use ^ $ . [..] [^..] ( | ) * + ? and backslash escapes; no {n}, (?:, \d.
  const subset = /^(?:[^\\{}]|\\[.^$*+?()[\]{}|\\])*$/;
  it.each(['/r/**/.env', '/r/{a,b}/**/x?.[a-z]*', String.raw`/r/\{x\}*.txt`, '/r/[^.]*', '/r/**/a/**'])('%s', (pattern) => {
    const { regex } = globToSbplRegex(pattern);
    expect(regex).not.toBeNull();
    expect(regex).toMatch(subset);
    expect(regex).not.toContain('(?');
    expect(regex!.startsWith('^') && regex!.endsWith('$')).toBe(true);
  });
});

describe('globToSbplRegex: the root is as deep as the literal part allows', () => {
  it('literal segments after an anchor join the root', () => {
    expect(globToSbplRegex('/h/vault/keys/*.key', { anchors: ['/h'] })).toEqual({ root: '/h/vault/keys', regex: String.raw`^/[^/]+/[^/]+/[^/]+/[^/]*\.key$` });
  });
  it('an anchored pattern with no wildcard is a subtree rule for the whole path', () => {
    expect(globToSbplRegex('/h/vault/a.key', { anchors: ['/h'] })).toEqual({ root: '/h/vault/a.key', regex: null });
  });
});

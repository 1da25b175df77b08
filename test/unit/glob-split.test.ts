import path from 'node:path';
import micromatch from 'micromatch';
import { describe, expect, it } from 'vitest';
import { isCordonError } from '../../src/errors.js';
import { escapeGlob, isGlob, joinGlob, realGlob, splitGlob } from '../../src/policy/globs.js';
import { resolvePolicy } from '../../src/policy/resolve.js';
import { tempTrees } from '../helpers/tree.js';

const tree = tempTrees();

function errorOf(fn: () => unknown): { code?: string; hint?: string; message: string } {
  try {
    fn();
  } catch (error) {
    return error as { code?: string; hint?: string; message: string };
  }
  throw new Error('expected an error');
}

describe('splitGlob: one split into { base, glob }, with micromatch scan', () => {
  it.each([
    ['/r/**/.env', '/r', '**/.env'],
    ['/home/u/.ssh/*.pub', '/home/u/.ssh', '*.pub'],
    ['/r/{a,b}/*', '/r', '{a,b}/*'],
    ['/r/x/**', '/r/x', '**'],
    ['/*.key', '/', '*.key'],
    ['/r/plain/file', '/r/plain/file', ''],
    [String.raw`/w/a\[1\]/*.key`, '/w/a[1]', '*.key'],
    [String.raw`/r/x/a\*b*`, '/r/x', String.raw`a\*b*`],
  ])('%s', (pattern, base, glob) => {
    expect(splitGlob(pattern)).toEqual({ base, glob });
    expect(micromatch.isMatch('/probe', joinGlob({ base, glob }))).toBe(micromatch.isMatch('/probe', pattern));
  });

  it('an escaped `{` in a directory name: micromatch.scan alone loses the glob; the split keeps it', () => {
    const workspace = '/w/a{y}';
    const pattern = `${escapeGlob(workspace)}/**/.env`;
    // picomatch 2's scanner reads `\{` as a brace set and swallows the rest into the base:
    // the workspace's `.env` glob would have been one literal path that names nothing.
    const old = micromatch.scan(pattern, { unescape: true });
    expect(old).toMatchObject({ isGlob: false, glob: '', base: '/w/a{y}/**/.env' });
    expect(splitGlob(pattern)).toEqual({ base: workspace, glob: '**/.env' });
    expect(isGlob(pattern)).toBe(true);
  });

  it("scan's `unescape` also unescaped the tail: rebuilding from it turned a literal `*` into a wildcard; realGlob keeps it", () => {
    const pattern = String.raw`/r/x/a\*b*`;
    const old = micromatch.scan(pattern, { unescape: true });
    const rebuilt = `${escapeGlob('/real/x')}/${old.glob}`; // what the old realGlob returned
    expect(micromatch.isMatch('/real/x/aZZb', rebuilt)).toBe(true);
    const real = realGlob(splitGlob(pattern), (p) => (p === '/r/x' ? '/real/x' : p));
    expect(real).toEqual({ base: '/real/x', glob: String.raw`a\*b*` });
    expect(micromatch.isMatch('/real/x/aZZb', joinGlob(real))).toBe(false);
    expect(micromatch.isMatch('/real/x/a*bc', joinGlob(real))).toBe(true);
  });

  it('a bare `|` is regex alternation to micromatch even in the "literal" part: refused', () => {
    // `/r/a|b/*.txt` compiles to ^(?:\/r\/a|b\/...)$: a deny rule that names /r/a itself.
    expect(micromatch.isMatch('/r/a', '/r/a|b/*.txt')).toBe(true);
    const error = errorOf(() => splitGlob('/r/a|b/*.txt', 'read.deny.0'));
    expect(error.code).toBe('ERR_CORDON_POLICY_INVALID');
    expect(error.message).toMatch(/read\.deny\.0: .*extglob or group/);
    expect(error.hint).toBeTruthy();
  });

  it.each([
    ['/r/(a|b)/*.key', /extglob or group/],
    ['/r/!(x)', /negated/],
    ['!/r/*.key', /negated/],
    ['/r/{a}/x/*.log', /at least two alternatives/],
    ['/r/[abc/x*', /unclosed "\["/],
    ['/r//x/*', /normalized/],
    ['/r/x/**/y/', /empty/],
    ['r/*.key', /absolute/],
  ])('refuses %s with a typed error', (pattern, message) => {
    const error = errorOf(() => splitGlob(pattern, 'read.deny.3'));
    expect(isCordonError(error)).toBe(true);
    expect(error.code).toBe('ERR_CORDON_POLICY_INVALID');
    expect(error.message).toMatch(message);
    expect(error.message).toMatch(/^read\.deny\.3: /);
  });
});

describe('resolvePolicy: glob rules carry their split, on every platform', () => {
  const opts = (t: { path(p: string): string }, home: string) => ({ workspace: t.path('ws'), home, otherHomes: [], passwdHomes: [], env: {} });

  it('a ~ glob carries the real base and the tail; the workspace secret globs carry the workspace', () => {
    const t = tree({ 'ws/': '', 'h/': '', 'real/keys/a.pem': 'k', 'h/keys': '-> real/keys' });
    const r = resolvePolicy({ read: { deny: ['~/keys/**/*.pem'] } }, opts(t, t.path('h')));
    expect(r.denyReadGlobs.find((g) => g.rule === 'read.deny: ~/keys/**/*.pem')).toMatchObject({ base: t.path('real/keys'), glob: '**/*.pem', pattern: `${t.path('real/keys')}/**/*.pem` });
    expect(r.denyRead.map((p) => p.path)).toContain(t.path('real/keys/a.pem'));
    expect(r.denyReadGlobs.filter((g) => g.rule === 'default workspace secret').map(({ base, glob }) => ({ base, glob }))).toEqual([
      { base: t.path('ws'), glob: '**/.env' },
      { base: t.path('ws'), glob: '**/.env.*' },
    ]);
  });

  it('a home named h[1]: `~/keys/*.pem` is not read as a character class, `~/.ssh` stays a path', () => {
    const t = tree({ 'ws/': '', 'h[1]/keys/a.pem': 'k', 'h[1]/.ssh/id': 'k' });
    const home = t.path('h[1]');
    // Before: `~` was spliced in unescaped, so `[1]` was a class (the rule also named another
    // directory, h1) and the literal `~/.ssh` tested as a glob.
    expect(micromatch.isMatch(path.join(t.path('h1'), 'keys/a.pem'), path.join(home, 'keys/*.pem'), { dot: true })).toBe(true);
    expect(isGlob(path.join(home, '.ssh'))).toBe(true);
    const r = resolvePolicy({ read: { deny: ['~/keys/*.pem', '~/.ssh'], defaultSecrets: false } }, opts(t, home));
    expect(r.denyRead.map((p) => p.path)).toEqual(expect.arrayContaining([path.join(home, 'keys/a.pem'), path.join(home, '.ssh')]));
    expect(r.denyReadGlobs.find((g) => g.rule === 'read.deny: ~/keys/*.pem')).toMatchObject({ base: path.join(home, 'keys'), glob: '*.pem' });
    expect(r.denyReadGlobs.some((g) => g.rule === 'read.deny: ~/.ssh')).toBe(false);
    const rule = r.denyReadGlobs.find((g) => g.rule === 'read.deny: ~/keys/*.pem')!;
    expect(micromatch.isMatch(path.join(t.path('h1'), 'keys/a.pem'), rule.pattern, { dot: true })).toBe(false);
  });

  it('one grammar: a group micromatch would have honoured on Linux is refused at resolution, naming the rule', () => {
    const t = tree({ 'ws/': '', 'h/a/x.key': 'k' });
    expect(micromatch.isMatch(t.path('h/a/x.key'), `${t.path('h')}/(a|b)/*.key`)).toBe(true); // the Linux reading before
    const error = errorOf(() => resolvePolicy({ read: { deny: ['/tmp/ok', '~/(a|b)/*.key'] } }, opts(t, t.path('h'))));
    expect(error.code).toBe('ERR_CORDON_POLICY_INVALID');
    expect(error.message).toMatch(/^read\.deny\.1: .*extglob or group/);
  });
});

import { mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import micromatch from 'micromatch';
import { networkEnvDefaults } from '../../src/policy/network-env.js';
import { resolvePolicy } from '../../src/policy/resolve.js';
import { tempTrees } from '../helpers/tree.js';

const tree = tempTrees();
function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

describe('resolvePolicy: workspace', () => {
  it('rejects a relative, missing, or non-directory workspace with ERR_CORDON_WORKSPACE_INVALID', () => {
    const t = tree({ 'file.txt': 'x' });
    expect(codeOf(() => resolvePolicy({}, { workspace: 'relative/dir' }))).toBe('ERR_CORDON_WORKSPACE_INVALID');
    expect(codeOf(() => resolvePolicy({}, { workspace: t.path('missing') }))).toBe('ERR_CORDON_WORKSPACE_INVALID');
    expect(codeOf(() => resolvePolicy({}, { workspace: t.path('file.txt') }))).toBe('ERR_CORDON_WORKSPACE_INVALID');
    expect(codeOf(() => resolvePolicy({}, { workspace: `${t.root}\0x` }))).toBe('ERR_CORDON_WORKSPACE_INVALID');
  });

  it('resolves a symlinked workspace (when vouched for) to its real path and makes it the writable root', () => {
    const t = tree({ 'real/': '', 'link': '-> real' });
    const r = resolvePolicy({ write: { allowSymlinkedRoots: true } }, { workspace: t.path('link'), home: t.path('home') });
    expect(r.workspace).toBe(t.path('real'));
    expect(r.writableRoots).toEqual([t.path('real')]);
    expect(r.cwd).toBe(t.path('real'));
  });

  it('read-only access leaves no writable root', () => {
    const t = tree({ 'ws/': '' });
    expect(resolvePolicy({ workspaceAccess: 'read' }, { workspace: t.path('ws'), home: t.path('home') }).writableRoots).toEqual([]);
  });

  it('rejects / and system directories as writable roots', () => {
    const t = tree({ 'ws/': '' });
    expect(codeOf(() => resolvePolicy({ write: { allow: ['/'] } }, { workspace: t.path('ws') }))).toBe('ERR_CORDON_POLICY_TOO_BROAD');
    expect(codeOf(() => resolvePolicy({ write: { allow: ['/etc'] } }, { workspace: t.path('ws') }))).toBe('ERR_CORDON_POLICY_TOO_BROAD');
    expect(codeOf(() => resolvePolicy({ write: { allow: ['/usr/lib'] } }, { workspace: t.path('ws') }))).toBe('ERR_CORDON_POLICY_TOO_BROAD');
    expect(codeOf(() => resolvePolicy({ write: { allow: [t.path('nope')] } }, { workspace: t.path('ws') }))).toBe('ERR_CORDON_POLICY_INVALID');
    expect(codeOf(() => resolvePolicy({ write: { allow: [`${t.root}/*`] } }, { workspace: t.path('ws') }))).toBe('ERR_CORDON_POLICY_INVALID');
  });
});

describe('resolvePolicy: read denials', () => {
  it('expands ~ against the home directory and keeps missing secrets as kind missing', () => {
    const t = tree({ 'home/.ssh/id_rsa': 'KEY', 'ws/': '' });
    const r = resolvePolicy({}, { workspace: t.path('ws'), home: t.path('home') });
    expect(r.denyRead).toContainEqual({ path: t.path('home/.ssh'), kind: 'dir', rule: 'default secret: ~/.ssh' });
    expect(r.denyRead).toContainEqual(expect.objectContaining({ path: t.path('home/.aws'), kind: 'missing' }));
  });

  it('a deny path that is a symlink protects its target', () => {
    const t = tree({ 'vault/key': 'K', 'home/.aws': '-> vault', 'ws/': '' });
    const r = resolvePolicy({}, { workspace: t.path('ws'), home: t.path('home') });
    expect(r.denyRead).toContainEqual(expect.objectContaining({ path: t.path('vault'), kind: 'dir', rule: 'default secret: ~/.aws' }));
  });

  it('finds .env files at any depth but not templates, node_modules or .git', () => {
    const t = tree({
      'ws/.env': 'A=1',
      'ws/apps/web/.env.local': 'B=2',
      'ws/.env.example': 'A=',
      'ws/node_modules/pkg/.env': 'C=3',
      'ws/.git/.env': 'D=4',
    });
    const r = resolvePolicy({}, { workspace: t.path('ws'), home: t.path('home') });
    const denied = r.denyRead.map((d) => d.path);
    expect(denied).toContain(t.path('ws/.env'));
    expect(denied).toContain(t.path('ws/apps/web/.env.local'));
    expect(denied).not.toContain(t.path('ws/.env.example'));
    expect(denied).not.toContain(t.path('ws/node_modules/pkg/.env'));
    expect(r.denyReadGlobs.map((g) => g.pattern)).toContain(path.join(t.path('ws'), '**/.env'));
    expect(r.allowReadGlobs.map((g) => g.pattern)).toContain(path.join(t.path('ws'), '**/.env.example'));
  });

  it('defaultSecrets: false drops the built-in list but keeps the user list', () => {
    const t = tree({ 'home/.ssh/k': 'K', 'ws/.env': 'x', 'data/secret.pem': 'P' });
    const r = resolvePolicy({ read: { defaultSecrets: false, deny: [`${t.root}/data/*.pem`] } }, { workspace: t.path('ws'), home: t.path('home') });
    expect(r.denyRead.map((d) => d.path)).toEqual([t.path('data/secret.pem')]);
  });

  it('rejects a glob with no literal base, and one that walks too much, as too broad', () => {
    const t = tree({ 'ws/': '' });
    expect(codeOf(() => resolvePolicy({ read: { deny: ['/**/*.pem'] } }, { workspace: t.path('ws'), home: t.path('home') }))).toBe('ERR_CORDON_POLICY_TOO_BROAD');
    const big = tree({});
    for (let i = 0; i < 260; i += 1) mkdirSync(path.join(big.root, `d${i}`, 'a', 'b'), { recursive: true });
    for (let i = 0; i < 200; i += 1) mkdirSync(path.join(big.root, `d${i}`, 'a', 'b', `c${i}`, 'x'), { recursive: true });
    // 260*3 + 200*2 entries is far below the budget: this must succeed ...
    expect(() => resolvePolicy({ read: { deny: [`${big.root}/**/*.pem`] } }, { workspace: t.path('ws'), home: t.path('home') })).not.toThrow();
  });

  it('an allow equal to or above a deny cancels it; one below it is kept for re-exposure', () => {
    const t = tree({ 'home/.aws/config': 'c', 'home/.aws/credentials': 'k', 'home/.npmrc': 'tok', 'ws/': '' });
    const r = resolvePolicy({ read: { allow: ['~/.npmrc', '~/.aws/config'] } }, { workspace: t.path('ws'), home: t.path('home') });
    const denied = r.denyRead.map((d) => d.path);
    expect(denied).not.toContain(t.path('home/.npmrc'));
    expect(denied).toContain(t.path('home/.aws'));
    expect(r.allowRead.map((a) => a.path)).toContain(t.path('home/.aws/config'));
  });

  it('denyHome denies the whole home directory', () => {
    const t = tree({ 'home/notes.txt': 'n', 'ws/': '' });
    const r = resolvePolicy({ read: { denyHome: true } }, { workspace: t.path('ws'), home: t.path('home') });
    expect(r.denyRead).toContainEqual(expect.objectContaining({ path: t.path('home'), kind: 'dir', rule: 'read.denyHome' }));
  });
});

describe('resolvePolicy: protected paths', () => {
  it('protects .git/hooks and .git/config in a repository, pinning .git against rename', () => {
    const t = tree({ 'ws/.git/HEAD': 'ref: refs/heads/main\n', 'ws/.git/hooks/': '', 'ws/.git/config': '[core]' });
    const r = resolvePolicy({}, { workspace: t.path('ws'), home: t.path('home') });
    expect(r.protect).toContainEqual({ path: t.path('ws/.git/hooks'), kind: 'dir', placeholderKind: 'dir', pins: [t.path('ws/.git')], rule: 'protect .git/hooks' });
    expect(r.protect).toContainEqual(expect.objectContaining({ path: t.path('ws/.git/config'), kind: 'file', pins: [t.path('ws/.git')] }));
  });

  it('protects a missing .git itself so a repository cannot be planted', () => {
    const t = tree({ 'ws/': '' });
    const r = resolvePolicy({}, { workspace: t.path('ws'), home: t.path('home') });
    expect(r.protect).toContainEqual(expect.objectContaining({ path: t.path('ws/.git'), kind: 'missing', placeholderKind: 'dir', pins: [] }));
    expect(r.protect).toContainEqual(expect.objectContaining({ path: t.path('ws/.vscode'), kind: 'missing', placeholderKind: 'dir' }));
    // (Its placeholder's shape is placeholders' business: see test/unit/placeholders.test.ts.)
    expect(r.protect).toContainEqual(expect.objectContaining({ path: t.path('ws/.mcp.json'), kind: 'missing' }));
  });

  it('a .git directory that is no repository (no HEAD) is protected whole', () => {
    const t = tree({ 'ws/.git/': '' });
    const r = resolvePolicy({}, { workspace: t.path('ws'), home: t.path('home') });
    expect(r.protect).toContainEqual(expect.objectContaining({ path: t.path('ws/.git'), kind: 'dir', pins: [] }));
    expect(r.protect.filter((p) => p.path.startsWith(t.path('ws/.git/')))).toEqual([]);
  });

  it('in a worktree (.git is a file) protects the .git file', () => {
    const t = tree({ 'ws/.git': 'gitdir: /elsewhere/.git/worktrees/ws\n' });
    const r = resolvePolicy({}, { workspace: t.path('ws'), home: t.path('home') });
    expect(r.protect).toContainEqual(expect.objectContaining({ path: t.path('ws/.git'), kind: 'file' }));
    expect(r.protect.filter((p) => p.path.startsWith(t.path('ws/.git/')))).toEqual([]);
  });

  it('shell start-up files are protected only when the writable root is (or holds) a home directory', () => {
    const t = tree({ 'home/.bashrc': 'x', 'ws/.bashrc': 'y' });
    const inWs = resolvePolicy({}, { workspace: t.path('ws'), home: t.path('home') });
    expect(inWs.protect.map((p) => p.path)).not.toContain(t.path('ws/.bashrc'));
    const inHome = resolvePolicy({ write: { allowHome: true } }, { workspace: t.path('home'), home: t.path('home') });
    expect(inHome.protect.map((p) => p.path)).toContain(t.path('home/.bashrc'));
  });

  it('adds caller-named protected paths; extra roots protect what exists but get no placeholders', () => {
    const t = tree({ 'ws/Makefile': 'all:', 'extra/': '', 'extra/.vscode/': '' });
    const r = resolvePolicy({ write: { allow: [t.path('extra')], protect: ['Makefile'] } }, { workspace: t.path('ws'), home: t.path('home') });
    expect(r.protect).toContainEqual(expect.objectContaining({ path: t.path('ws/Makefile'), kind: 'file' }));
    expect(r.protect.map((p) => p.path)).not.toContain(t.path('extra/Makefile'));
    expect(r.protect).toContainEqual(expect.objectContaining({ path: t.path('extra/.vscode'), kind: 'dir' }));
  });
});

describe('resolvePolicy: tmp and environment', () => {
  it('gives /tmp and $TMPDIR a private tmp, keeping a home below it visible (read-only) on top', () => {
    const t = tree({ 'ws/': '', 'mytmp/': '', 'home/': '' });
    const r = resolvePolicy({}, { workspace: t.path('ws'), home: '/home/cordon-nobody', env: { TMPDIR: t.path('mytmp') } });
    expect(r.tmpDirs).toEqual(expect.arrayContaining(['/tmp', t.path('mytmp')]));
    // A home below /tmp would vanish under the tmpfs: it is kept, not the whole of /tmp.
    const r1 = resolvePolicy({}, { workspace: t.path('ws'), home: t.path('home'), env: {} });
    expect(r1.tmpDirs).toContain('/tmp');
    expect(r1.keepInTmp).toEqual([t.path('home')]);
    const r2 = resolvePolicy({}, { workspace: t.path('ws'), home: t.path('home'), env: { TMPDIR: t.root } });
    expect(r2.tmpDirs).toContain(t.root);
    expect(r2.keepInTmp).toEqual([t.path('home')]);
  });

  it('drops secret-looking variables, keeps the essentials, honours pass/deny/set', () => {
    const t = tree({ 'ws/': '' });
    const env = { HOME: '/h', PATH: '/bin', LANG: 'C', TERM: 'xterm', USER: 'u', GITHUB_TOKEN: 'g', AWS_SECRET_ACCESS_KEY: 's', OPENAI_API_KEY: 'o', db_password: 'p', EDITOR: 'vi', MY_TOKEN: 't', DEBUG: '1' };
    const r = resolvePolicy({ env: { pass: ['MY_TOKEN'], deny: ['DEBUG'], set: { CI: 'true' } } }, { workspace: t.path('ws'), home: t.path('home'), env });
    expect(r.env).toEqual({ ...networkEnvDefaults(r.network), HOME: '/h', PATH: '/bin', LANG: 'C', TERM: 'xterm', USER: 'u', EDITOR: 'vi', MY_TOKEN: 't', CI: 'true' });
  });

  it('the strict preset strips everything but the essentials', async () => {
    const { loadProfile } = await import('../../src/policy/presets.js');
    const t = tree({ 'ws/': '' });
    const r = resolvePolicy(loadProfile('strict'), { workspace: t.path('ws'), home: t.path('home'), env: { HOME: '/h', PATH: '/bin', EDITOR: 'vi' } });
    expect(r.env).toEqual({ ...networkEnvDefaults(r.network), HOME: '/h', PATH: '/bin' });
  });
});

describe('resolvePolicy: symlinked writable roots', () => {
  it('an extra writable root given through a symlink resolves to its target', () => {
    const t = tree({ 'ws/': '', 'cache-real/': '' });
    symlinkSync(t.path('cache-real'), t.path('cache'));
    const r = resolvePolicy({ write: { allow: [t.path('cache')], allowSymlinkedRoots: true } }, { workspace: t.path('ws'), home: t.path('home') });
    expect(r.writableRoots).toEqual([t.path('ws'), t.path('cache-real')]);
  });
});

describe('resolvePolicy: globs and odd names', () => {
  it('a workspace whose name has glob metacharacters still gets its .env denied, and its globs stay literal', () => {
    const t = tree({ 'a[1]{x}(y)*/.env': 'S', 'a1x/.env': 'other' });
    const ws = t.path('a[1]{x}(y)*');
    const r = resolvePolicy({}, { workspace: ws, home: t.path('home') });
    expect(r.denyRead.map((d) => d.path)).toContain(path.join(ws, '.env'));
    expect(r.denyRead.map((d) => d.path)).not.toContain(t.path('a1x/.env'));
    expect(micromatch.isMatch(path.join(ws, '.env'), r.denyReadGlobs.find((g) => g.rule === 'default workspace secret')!.pattern, { dot: true })).toBe(true);
    expect(micromatch.isMatch(t.path('a1x/.env'), r.denyReadGlobs.find((g) => g.rule === 'default workspace secret')!.pattern, { dot: true })).toBe(false);
  });

  it('a user glob under a symlinked directory is kept with its real base', () => {
    const t = tree({ 'real/keys/a.pem': 'K', 'ws/': '' });
    symlinkSync(t.path('real'), t.path('link'));
    const r = resolvePolicy({ read: { deny: [`${t.path('link')}/keys/*.pem`] } }, { workspace: t.path('ws'), home: t.path('home') });
    expect(r.denyReadGlobs.map((g) => g.pattern)).toContain(`${t.path('real')}/keys/*.pem`);
    expect(r.denyRead.map((d) => d.path)).toContain(t.path('real/keys/a.pem'));
  });
});

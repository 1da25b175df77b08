import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isCordonError, PolicyError } from '../../src/errors.js';
import { isWorkspaceSecretName, scanWorkspaceSecrets, SecretScanCache } from '../../src/policy/secret-scan.js';
import { tempTrees } from '../helpers/tree.js';

const tree = tempTrees();

describe('workspace secret scan', () => {
  it('matches .env and .env.* but not the templates', () => {
    expect(['.env', '.env.local', '.env.production'].map(isWorkspaceSecretName)).toEqual([true, true, true]);
    expect(['.env.example', '.env.sample', '.env.template', 'env', '.envrc', 'x.env'].map(isWorkspaceSecretName)).toEqual([false, false, false, false, false, false]);
  });

  it('a cached scan sees files created, removed and renamed since, at any depth', () => {
    const t = tree({ 'a/b/c/.env': 'x', 'node_modules/p/.env': 'x' });
    const cache = new SecretScanCache();
    expect(scanWorkspaceSecrets(t.root, cache)).toEqual([t.path('a/b/c/.env')]);
    writeFileSync(t.path('a/b/.env.local'), 'y');
    mkdirSync(t.path('new/deep'), { recursive: true });
    writeFileSync(t.path('new/deep/.env'), 'z');
    expect(scanWorkspaceSecrets(t.root, cache)).toEqual([t.path('a/b/.env.local'), t.path('a/b/c/.env'), t.path('new/deep/.env')]);
    rmSync(t.path('a/b/c/.env'));
    expect(scanWorkspaceSecrets(t.root, cache)).toEqual([t.path('a/b/.env.local'), t.path('new/deep/.env')]);
    // The cache gives the same answer as a cold scan.
    expect(scanWorkspaceSecrets(t.root, cache)).toEqual(scanWorkspaceSecrets(t.root));
  });
});

describe('workspace secret scan: symlinked directories (issue 7 item 4b)', () => {
  it('follows a symlink into a skipped directory and reports the real path; the weakened scan misses it', () => {
    const t = tree({ 'node_modules/.app/.env.local': 'S', 'app': '-> node_modules/.app', 'node_modules/other/.env': 'dep' });
    expect(scanWorkspaceSecrets(t.root, new SecretScanCache({ followSymlinkedDirs: false }))).toEqual([]);
    // Only what the link leads to is scanned, not the rest of node_modules.
    expect(scanWorkspaceSecrets(t.root)).toEqual([t.path('node_modules/.app/.env.local')]);
  });

  it('a cached scan notices a link created after the first scan and a target that moves under it', () => {
    const t = tree({ 'node_modules/.app/x': '', 'node_modules/.b/.env': 'S' });
    const cache = new SecretScanCache();
    expect(scanWorkspaceSecrets(t.root, cache)).toEqual([]);
    symlinkSync('node_modules/.app', t.path('app'));
    writeFileSync(t.path('node_modules/.app/.env.local'), 'S');
    expect(scanWorkspaceSecrets(t.root, cache)).toEqual([t.path('node_modules/.app/.env.local')]);
    // The link's text stays the same, its target is swapped: the root's listing is unchanged.
    renameSync(t.path('node_modules/.app'), t.path('node_modules/.old'));
    symlinkSync('.b', t.path('node_modules/.app'));
    expect(scanWorkspaceSecrets(t.root, cache)).toEqual([t.path('node_modules/.b/.env')]);
  });

  it('ends on loops, dedupes by real path, and follows links into other writable roots only', () => {
    const t = tree({ 'ws/a/.env': 'S', 'ws/a/up': '-> ws', 'ws/x/to-y': '-> ws/y', 'ws/y/to-x': '-> ws/x', 'ws/y/.env.y': 'S', 'other/.env': 'S', 'outside/.env': 'S', 'ws/o': '-> other', 'ws/out': '-> outside' });
    expect(scanWorkspaceSecrets(t.path('ws'), new SecretScanCache(), [t.path('ws'), t.path('other')])).toEqual([t.path('other/.env'), t.path('ws/a/.env'), t.path('ws/y/.env.y')]);
    expect(scanWorkspaceSecrets(t.path('ws'))).toEqual([t.path('ws/a/.env'), t.path('ws/y/.env.y')]);
  });

  it('a symlink named like a dependency tree is skipped like one', () => {
    const t = tree({ 'shared/node_modules/.env': 'S', 'pkg/node_modules': '-> shared/node_modules' });
    expect(scanWorkspaceSecrets(t.root)).toEqual([]);
  });
});

describe('workspace secret scan: symlinked secrets (issue 7 item 8)', () => {
  it('a dangling secret link masks nothing until its target exists, then masks the real target', () => {
    const t = tree({ 'ws/.env.cache': '-> later/secret.env', 'ws/.env.d': '-> ws/conf', 'ws/conf/.env': 'S' });
    const cache = new SecretScanCache();
    expect(scanWorkspaceSecrets(t.path('ws'), cache)).toEqual([t.path('ws/conf/.env')]);
    // The old behaviour: the link itself was reported, and bwrap cannot bind onto a dangling link.
    expect(scanWorkspaceSecrets(t.path('ws'), new SecretScanCache({ resolveSecretLinks: false }))).toContain(t.path('ws/.env.cache'));
    mkdirSync(t.path('later'));
    writeFileSync(t.path('later/secret.env'), 'S');
    expect(scanWorkspaceSecrets(t.path('ws'), cache)).toEqual([t.path('later/secret.env'), t.path('ws/conf/.env')]);
  });

  it('never masks system files a secret link points at (a command could break every later command)', () => {
    const t = tree({ '.env': '-> /dev/null', '.env.sh': '-> /bin/sh', '.env.proc': '-> /proc/self/status', '.env.ok': '-> vault/k' , 'vault/k': 'S' });
    expect(scanWorkspaceSecrets(t.root)).toEqual([t.path('vault/k')]);
  });
});

describe('workspace secret scan: a tree too large to scan (issue 7 item 8)', () => {
  it('names where the entries are and never suggests turning the secret defaults off', () => {
    const spec: Record<string, string> = { 'src/a/.env': 'S' };
    for (let i = 0; i < 60; i++) spec[`gen/x/d${i}/`] = '';
    const t = tree(spec);
    let error: unknown;
    try {
      scanWorkspaceSecrets(t.root, new SecretScanCache(), [t.root], 100);
    } catch (e) {
      error = e;
    }
    expect(isCordonError(error) && error.code).toBe('ERR_CORDON_POLICY_TOO_BROAD');
    const e = error as PolicyError;
    expect(e.message).toContain(`${t.path('gen/x')} (`);
    expect(e.hint).toContain(`rm -rf '${t.path('gen/x')}'`);
    expect(e.hint).not.toMatch(/defaultSecrets/);
    // Under the budget the same tree scans fine.
    expect(scanWorkspaceSecrets(t.root, new SecretScanCache(), [t.root], 1000)).toEqual([t.path('src/a/.env')]);
  });

  it('names the symlink through which a large tree was reached', () => {
    const spec: Record<string, string> = { 'big-link': '-> node_modules/big' };
    for (let i = 0; i < 60; i++) spec[`node_modules/big/d${i}/`] = '';
    const t = tree(spec);
    expect(() => scanWorkspaceSecrets(t.root, new SecretScanCache(), [t.root], 100)).toThrow(/reached through the symlink .*big-link/);
  });
});

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { isWorkspaceSecretName, scanWorkspaceSecrets, SecretScanCache } from '../../src/policy/secret-scan.js';
import { makeTree, type Tree } from '../helpers/tree.js';

let trees: Tree[] = [];
afterEach(() => {
  for (const t of trees) t.cleanup();
  trees = [];
});

describe('workspace secret scan', () => {
  it('matches .env and .env.* but not the templates', () => {
    expect(['.env', '.env.local', '.env.production'].map(isWorkspaceSecretName)).toEqual([true, true, true]);
    expect(['.env.example', '.env.sample', '.env.template', 'env', '.envrc', 'x.env'].map(isWorkspaceSecretName)).toEqual([false, false, false, false, false, false]);
  });

  it('a cached scan sees files created, removed and renamed since, at any depth', () => {
    const t = makeTree({ 'a/b/c/.env': 'x', 'node_modules/p/.env': 'x' });
    trees.push(t);
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

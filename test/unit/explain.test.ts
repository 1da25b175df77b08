import { afterEach, describe, expect, it } from 'vitest';
import { explainPath } from '../../src/policy/explain.js';
import { resolvePolicy } from '../../src/policy/resolve.js';
import { makeTree, type Tree } from '../helpers/tree.js';

let trees: Tree[] = [];
afterEach(() => {
  for (const t of trees) t.cleanup();
  trees = [];
});

describe('explainPath', () => {
  it('answers from the same plan the Linux backend enforces', () => {
    const t = makeTree({ 'ws/src/a.ts': '', 'ws/.env': 'S', 'ws/.git/HEAD': 'ref', 'ws/.git/hooks/': '', 'home/.ssh/id_rsa': 'K' });
    trees.push(t);
    const policy = resolvePolicy({}, { workspace: t.path('ws'), home: t.path('home'), env: {} });
    const v = (p: string) => explainPath(policy, t.path(p));
    expect(v('ws/src/a.ts')).toMatchObject({ read: true, write: true, rule: expect.stringMatching(/^writable root/) });
    expect(v('ws/.env')).toMatchObject({ read: false, write: false });
    expect(v('ws/.git/hooks/pre-commit')).toMatchObject({ read: true, write: false, rule: expect.stringMatching(/protect \.git\/hooks/) });
    expect(v('ws/.git/objects/ab')).toMatchObject({ read: true, write: true });
    expect(explainPath(policy, '/etc/passwd')).toMatchObject({ read: true, write: false, rule: expect.stringMatching(/base/) });
  });

  it('a secret that does not exist yet is reported as denied, not readable', () => {
    const t = makeTree({ 'ws/': '', 'home/': '' });
    trees.push(t);
    const policy = resolvePolicy({}, { workspace: t.path('ws'), home: '/home/cordon-nobody-x', env: {} });
    expect(explainPath(policy, '/home/cordon-nobody-x/.ssh/id_rsa')).toMatchObject({ read: false, write: false, rule: expect.stringMatching(/does not exist now.*~\/\.ssh/) });
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { explainLinux } from '../../src/backends/linux/explain.js';
import { explainMacos } from '../../src/backends/macos/explain.js';
import { resolvePolicy } from '../../src/policy/resolve.js';
import { makeTree, type Tree } from '../helpers/tree.js';

let trees: Tree[] = [];
afterEach(() => {
  for (const t of trees) t.cleanup();
  trees = [];
});

const LAYOUT = { 'ws/src/a.ts': '', 'ws/.env': 'S', 'ws/.git/HEAD': 'ref', 'ws/.git/hooks/': '', 'home/.ssh/id_rsa': 'K' };

describe('explain, Linux: from the mount plan the backend enforces', () => {
  it('answers from the same plan the Linux backend enforces', () => {
    const t = makeTree(LAYOUT);
    trees.push(t);
    const policy = resolvePolicy({}, { workspace: t.path('ws'), home: t.path('home'), env: {} });
    const v = (p: string) => explainLinux(policy, t.path(p));
    expect(v('ws/src/a.ts')).toMatchObject({ read: true, write: true, rule: expect.stringMatching(/^writable root/) });
    expect(v('ws/.env')).toMatchObject({ read: false, write: false });
    expect(v('ws/.git/hooks/pre-commit')).toMatchObject({ read: true, write: false, rule: expect.stringMatching(/protect \.git\/hooks/) });
    expect(v('ws/.git/objects/ab')).toMatchObject({ read: true, write: true });
    expect(explainLinux(policy, '/etc/passwd')).toMatchObject({ read: true, write: false, rule: expect.stringMatching(/base/) });
  });

  it('a secret that does not exist yet is reported as denied, not readable', () => {
    const t = makeTree({ 'ws/': '', 'home/': '' });
    trees.push(t);
    const policy = resolvePolicy({}, { workspace: t.path('ws'), home: '/home/cordon-nobody-x', env: {} });
    expect(explainLinux(policy, '/home/cordon-nobody-x/.ssh/id_rsa')).toMatchObject({ read: false, write: false, rule: expect.stringMatching(/does not exist now.*~\/\.ssh/) });
  });
});

describe('explain, macOS: by evaluating the generated Seatbelt profile', () => {
  it('gives the same answers as Linux for the same layout, naming the deciding rule', () => {
    const t = makeTree(LAYOUT);
    trees.push(t);
    const policy = resolvePolicy({}, { workspace: t.path('ws'), home: t.path('home'), env: {} });
    for (const p of ['ws/src/a.ts', 'ws/.env', 'ws/.git/hooks/pre-commit', 'ws/.git/objects/ab', 'home/.ssh/id_rsa', 'home/notes.txt']) {
      const mac = explainMacos(policy, t.path(p));
      const linux = explainLinux(policy, t.path(p));
      expect({ p, read: mac.read, write: mac.write }).toEqual({ p, read: linux.read, write: linux.write });
    }
    expect(explainMacos(policy, t.path('ws/.env'))).toMatchObject({ rule: expect.stringMatching(/^denied: a secret: \(deny file-read\* .*\.env/) });
    expect(explainMacos(policy, t.path('ws/.git/hooks/pre-commit'))).toMatchObject({ read: true, write: false, rule: expect.stringMatching(/^protected .*hooks/) });
    expect(explainMacos(policy, t.path('ws/src/a.ts')).rule).toMatch(/^writable root: \(allow file-write\*/);
    expect(explainMacos(policy, '/etc/passwd')).toMatchObject({ read: true, write: false, rule: expect.stringMatching(/^not granted/) });
  });

  it("where the platforms differ it says so: the host's shared tmp is writable only on Linux, as a private tmpfs", () => {
    const t = makeTree({ 'ws/': '', 'home/': '' });
    trees.push(t);
    const policy = resolvePolicy({}, { workspace: t.path('ws'), home: t.path('home'), env: { TMPDIR: '/tmp' } });
    expect(explainLinux(policy, '/tmp/x')).toMatchObject({ write: true, rule: expect.stringMatching(/^private tmp/) });
    expect(explainMacos(policy, '/tmp/x')).toMatchObject({ write: false });
  });
});

import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { explainLinux } from '../../src/backends/linux/explain.js';
import { explainMacos } from '../../src/backends/macos/explain.js';
import { inferDenials } from '../../src/denials/infer.js';
import { resolvePolicy } from '../../src/policy/resolve.js';
import type { PolicyInput } from '../../src/policy/schema.js';
import { tempTrees } from '../helpers/tree.js';

// Under $HOME, not /tmp: the resolver makes /tmp private, which would change every verdict below.
const tree = tempTrees(process.env.CORDON_TEST_BASE ?? os.homedir());

/** A real resolved policy over a scratch tree and the Linux backend's own explain: only the output is recorded. */
function setup(policy: PolicyInput = {}) {
  const t = tree({ 'ws/.git/hooks/': '', 'ws/.git/config': '[core]\n', 'ws/src/': '', 'home/.ssh/id_rsa': 'K', 'home/.cache/pip/': '', 'home/notes/': '' });
  const resolved = resolvePolicy(policy, { workspace: t.path('ws'), home: t.path('home'), env: { HOME: t.path('home') }, otherHomes: [], passwdHomes: [] });
  const ctx = { policy: resolved, explain: (p: string) => explainLinux(resolved, p), platform: 'linux' as const };
  return { t, resolved, ctx, infer: (stderr: string, stdout = '') => inferDenials({ stderr, stdout, exitCode: 1 }, ctx) };
}

describe('inferDenials: only what the policy really denies', () => {
  it('a write outside the writable roots, with its rule, evidence and a suggestion', () => {
    const { t, infer } = setup();
    const line = `touch: cannot touch '${t.path('home/.cache/pip/x')}': Read-only file system`;
    expect(infer(line)).toEqual([{ kind: 'write', path: t.path('home/.cache/pip/x'), rule: 'outside the writable roots', certainty: 'inferred', evidence: line, suggestion: 'write.allow ~/.cache/pip' }]);
  });

  it('the same EROFS line for a path the policy lets the command write is not a denial', () => {
    const { t, infer } = setup();
    // EROFS on a writable path is not the sandbox's doing (a read-only mount of the host's own): no report.
    expect(infer(`touch: cannot touch '${t.path('ws/src/x')}': Read-only file system`)).toEqual([]);
    // ... and the cache line above, with the cache allowed by the policy, is none either.
    const allowed = setup({ write: { allow: [] } });
    const resolved = resolvePolicy({ write: { allow: [allowed.t.path('home/.cache/pip')] } }, { workspace: allowed.t.path('ws'), home: allowed.t.path('home'), env: { HOME: allowed.t.path('home') }, otherHomes: [], passwdHomes: [] });
    const line = `touch: cannot touch '${allowed.t.path('home/.cache/pip/x')}': Read-only file system`;
    expect(inferDenials({ stderr: line }, { policy: resolved, explain: (p) => explainLinux(resolved, p), platform: 'linux' })).toEqual([]);
    expect(allowed.infer(line)).toHaveLength(1);
  });

  it('a relative path resolves against the cwd: .git/hooks is protected and gets no suggestion', () => {
    const { t, infer } = setup();
    const [d] = infer("cp: cannot create regular file '.git/hooks/pre-commit': Read-only file system");
    expect(d).toMatchObject({ kind: 'write', path: t.path('ws/.git/hooks/pre-commit'), rule: expect.stringMatching(/^protected/) });
    expect(d!.suggestion).toBeUndefined();
  });

  it('git config on .git/config fails EBUSY: a protected write', () => {
    const { t, infer } = setup();
    expect(infer('error: could not write config file .git/config: Device or resource busy')).toMatchObject([{ kind: 'write', path: t.path('ws/.git/config'), rule: expect.stringMatching(/^protected/) }]);
  });

  it('ENOENT under a denied directory is a read denial of a secret; an ordinary missing file is nothing', () => {
    const { t, infer } = setup();
    const denials = infer([`cat: ${t.path('home/.ssh/id_rsa')}: No such file or directory`, 'cat: missing.txt: No such file or directory', `cat: ${t.path('home/notes/gone.txt')}: No such file or directory`].join('\n'));
    expect(denials).toEqual([expect.objectContaining({ kind: 'read', path: t.path('home/.ssh/id_rsa'), rule: expect.stringMatching(/default secret: ~\/\.ssh/) })]);
    expect(denials[0]!.suggestion).toBeUndefined();
  });

  it('a secret missing on the host too (no ~/.aws at all) is no denial: nothing was hidden', () => {
    const { t, infer } = setup();
    expect(infer(`cat: ${t.path('home/.aws/credentials')}: No such file or directory`)).toEqual([]);
  });

  it('one denial per kind and path; stdout is read too (2>&1)', () => {
    const { t, infer } = setup();
    const p = t.path('home/out.txt');
    const denials = infer(`sh: 1: cannot create ${p}: Read-only file system\nsh: 2: cannot create ${p}: Read-only file system`, `Error: EROFS: read-only file system, open '${p}'`);
    expect(denials).toHaveLength(1);
    expect(denials[0]).toMatchObject({ kind: 'write', path: p });
  });

  it('a write into the home itself is reported, but no widening is offered (a home as a whole)', () => {
    const { t, infer } = setup();
    const [d] = infer(`sh: 1: cannot create ${t.path('home/out.txt')}: Read-only file system`);
    expect(d).toMatchObject({ kind: 'write', rule: 'outside the writable roots' });
    expect(d!.suggestion).toBeUndefined();
  });

  it('EACCES and EPERM on a path are never the Linux sandbox (it answers EROFS/ENOENT); on macOS EPERM is', () => {
    const { t, ctx, resolved } = setup();
    const line = `Error: EPERM: operation not permitted, open '${t.path('home/.ssh/id_rsa')}'`;
    expect(inferDenials({ stderr: line }, ctx)).toEqual([]);
    const mac = { policy: resolved, explain: (p: string) => explainMacos(resolved, p), platform: 'macos' as const };
    expect(inferDenials({ stderr: line }, mac)).toMatchObject([{ kind: 'read', path: t.path('home/.ssh/id_rsa') }]);
  });

  it('sockets, syscalls and hosts are composed in; a successful quiet command gives []', () => {
    const { infer } = setup();
    const denials = infer(['connect EPERM /var/run/docker.sock', 'unshare: unshare failed: Operation not permitted', 'npm error network request to https://registry.npmjs.org/left-pad failed, reason: getaddrinfo EAI_AGAIN registry.npmjs.org'].join('\n'));
    expect(denials.map((d) => d.kind).sort()).toEqual(['network', 'socket', 'syscall']);
    expect(inferDenials({ stdout: 'ok\n', stderr: '', exitCode: 0 }, setup().ctx)).toEqual([]);
    expect(inferDenials(undefined, setup().ctx)).toEqual([]);
  });

  it('a megabyte stderr is read only at its tail: a line 100 KiB before the end is not looked at', () => {
    const { t, infer } = setup();
    const early = `touch: cannot touch '${t.path('home/a')}': Read-only file system\n`;
    const late = `touch: cannot touch '${t.path('home/.cache/pip/b')}': Read-only file system\n`;
    const filler = 'x'.repeat(99) + '\n';
    const denials = infer(early + filler.repeat(1000) + late);
    expect(denials.map((d) => d.path)).toEqual([t.path('home/.cache/pip/b')]);
    // and at most 200 lines: the same line 300 short lines before the end is not seen
    expect(infer(late + 'y\n'.repeat(300))).toEqual([]);
    expect(infer(late + 'y\n'.repeat(100))).toHaveLength(1);
  });
});

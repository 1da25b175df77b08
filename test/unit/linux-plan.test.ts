import { afterEach, describe, expect, it } from 'vitest';
import { planLinux, type LinuxHost } from '../../src/backends/linux/plan.js';
import { planMounts } from '../../src/backends/linux/mounts.js';
import { resolvePolicy } from '../../src/policy/resolve.js';
import { parseNetworkRules } from '../../src/policy/network/patterns.js';
import { listProfiles, loadProfile } from '../../src/policy/presets.js';
import type { ResolvedPolicy } from '../../src/policy/resolved.js';
import { makeTree, type Tree } from '../helpers/tree.js';

const host = (over: Partial<LinuxHost> = {}): LinuxHost => ({ bwrapPath: '/usr/bin/bwrap', supportsDisableUserns: true, euid: 1000, seccompFilter: new Uint8Array(16), hostStateDirs: [], ...over });

let trees: Tree[] = [];
afterEach(() => {
  for (const t of trees) t.cleanup();
  trees = [];
});
function setup(spec: Record<string, string> = {}) {
  const t = makeTree({ 'ws/': '', ...spec });
  trees.push(t);
  return t;
}

/** A hand-made resolved policy for exact-argv cases (no file-system defaults involved). */
function bare(over: Partial<ResolvedPolicy> = {}): ResolvedPolicy {
  const policy = resolvePolicy({ workspaceAccess: 'read', read: { defaultSecrets: false } }, { workspace: '/', home: '/nonexistent', env: {} });
  return { ...policy, ...over };
}

/** Index of the op `flag path...` in argv, or -1. */
function indexOfOp(args: string[], ...op: string[]): number {
  for (let i = 0; i < args.length; i += 1) if (op.every((v, j) => args[i + j] === v)) return i;
  return -1;
}

describe('planLinux: exact argv', () => {
  it('a minimal policy gives exactly this argv', () => {
    const policy = bare({ workspace: '/w', cwd: '/w', writableRoots: ['/w'], tmpDirs: ['/tmp'], denyRead: [], allowRead: [], protect: [], env: { PATH: '/bin' } });
    const plan = planLinux(policy, { file: 'echo', args: ['hi there'] }, host());
    expect(plan.file).toBe('/usr/bin/bwrap');
    expect(plan.args).toEqual([
      '--new-session', '--die-with-parent',
      '--unshare-user', '--unshare-pid', '--unshare-net', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup', '--disable-userns',
      '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc',
      '--tmpfs', '/tmp',
      '--bind', '/w', '/w',
      '--seccomp', '3', '--json-status-fd', '4',
      '--chdir', '/w',
      '--', 'echo', 'hi there',
    ]);
    expect(plan.env).toEqual({ PATH: '/bin' });
    expect(plan.extraFds).toEqual([
      { fd: 3, direction: 'in', purpose: 'seccomp', data: new Uint8Array(16) },
      { fd: 4, direction: 'out', purpose: 'status' },
    ]);
  });

  it('drops all capabilities only for real root, and omits --disable-userns when bwrap lacks it', () => {
    const policy = bare({ workspace: '/w', cwd: '/w', writableRoots: ['/w'], tmpDirs: [], denyRead: [], allowRead: [], protect: [] });
    expect(indexOfOp(planLinux(policy, { file: 'true', args: [] }, host({ euid: 0 })).args, '--cap-drop', 'ALL')).toBeGreaterThan(-1);
    expect(planLinux(policy, { file: 'true', args: [] }, host({ euid: 1000 })).args).not.toContain('--cap-drop');
    expect(planLinux(policy, { file: 'true', args: [] }, host({ supportsDisableUserns: false })).args).not.toContain('--disable-userns');
  });

  it('refuses a network allowlist instead of opening the network, naming the entries (no proxy yet)', () => {
    const policy = bare({ network: parseNetworkRules({ allow: ['example.com', '127.0.0.1:8080'], deny: [] }) });
    expect(() => planLinux(policy, { file: 'true', args: [] }, host())).toThrow(
      expect.objectContaining({ code: 'ERR_CORDON_UNENFORCEABLE', feature: 'network.allow', backend: 'linux', message: expect.stringMatching(/network\.allow: example\.com, network\.allow: 127\.0\.0\.1:8080/) }),
    );
    // Positive control: the same policy without the allow rule (a deny rule alone opens nothing) plans with --unshare-net.
    const closed = bare({ network: parseNetworkRules({ allow: [], deny: ['example.com'] }) });
    expect(planLinux(closed, { file: 'true', args: [] }, host()).args).toContain('--unshare-net');
  });
});

describe('planLinux: ordering', () => {
  it('binds a workspace under /tmp after the private /tmp, and denies .env after binding the workspace', () => {
    const t = setup({ 'ws/.env': 'SECRET=1' });
    const policy = resolvePolicy({}, { workspace: t.path('ws'), home: '/home/cordon-nobody', env: {} });
    const { args } = planLinux(policy, { file: 'true', args: [] }, host());
    const tmp = indexOfOp(args, '--tmpfs', '/tmp');
    const ws = indexOfOp(args, '--bind', t.path('ws'), t.path('ws'));
    const env = indexOfOp(args, '--ro-bind', '/dev/null', t.path('ws/.env'));
    expect(tmp).toBeGreaterThan(-1);
    expect(ws).toBeGreaterThan(tmp);
    expect(env).toBeGreaterThan(ws);
  });

  it('pins .git before protecting .git/hooks, and places a placeholder only for missing paths', () => {
    const t = setup({ 'ws/.git/HEAD': 'ref: refs/heads/main\n', 'ws/.git/config': '[core]', 'ws/.git/objects/': '' });
    const policy = resolvePolicy({}, { workspace: t.path('ws'), home: '/home/cordon-nobody', env: {} });
    const plan = planLinux(policy, { file: 'true', args: [] }, host());
    const pin = indexOfOp(plan.args, '--bind', t.path('ws/.git'), t.path('ws/.git'));
    const hooks = indexOfOp(plan.args, '--ro-bind', t.path('ws/.git/hooks'), t.path('ws/.git/hooks'));
    const config = indexOfOp(plan.args, '--ro-bind', t.path('ws/.git/config'), t.path('ws/.git/config'));
    expect(pin).toBeGreaterThan(indexOfOp(plan.args, '--bind', t.path('ws'), t.path('ws')));
    expect(hooks).toBeGreaterThan(pin);
    expect(config).toBeGreaterThan(pin);
    expect(plan.placeholders).toContainEqual({ path: t.path('ws/.git/hooks'), kind: 'dir', root: t.path('ws') });
    expect(plan.placeholders).toContainEqual({ path: t.path('ws/.vscode'), kind: 'dir', root: t.path('ws') });
    expect(plan.placeholders).not.toContainEqual(expect.objectContaining({ path: t.path('ws/.git/config') }));
  });

  it('with denyHome, hides home then re-exposes the workspace inside it, and remounts the denial read-only last', () => {
    const t = setup({ 'home/proj/': '', 'home/.ssh/k': 'K' });
    // The tree lies under /tmp, whose private tmpfs would hide home by itself: plan without it.
    const policy = { ...resolvePolicy({ read: { denyHome: true } }, { workspace: t.path('home/proj'), home: t.path('home'), env: {} }), tmpDirs: [] };
    const { ops } = planMounts(policy);
    const kinds = ops.filter((o) => o.path.startsWith(t.path('home'))).map((o) => `${o.kind} ${o.path.slice(t.root.length)}`);
    expect(kinds[0]).toBe('deny-dir /home');
    expect(kinds).toContain('write /home/proj');
    expect(kinds).not.toContain('deny-dir /home/.ssh'); // already hidden by the home denial
    const { args } = planLinux(policy, { file: 'true', args: [] }, host());
    expect(indexOfOp(args, '--remount-ro', t.path('home'))).toBeGreaterThan(indexOfOp(args, '--bind', t.path('home/proj'), t.path('home/proj')));
  });

  it('drops denials hidden by a private tmp: nothing of the host is visible there anyway', () => {
    const t = setup({ 'home/.ssh/k': 'K' });
    const policy = resolvePolicy({}, { workspace: t.path('ws'), home: t.path('home'), env: {} });
    const withTmp = { ...policy, tmpDirs: [t.path('home')] };
    expect(planMounts(withTmp).ops.filter((o) => o.path === t.path('home/.ssh'))).toEqual([]);
    expect(planMounts(policy).ops.filter((o) => o.path === t.path('home/.ssh'))).toEqual([{ kind: 'deny-dir', path: t.path('home/.ssh') }]);
  });

  it('re-exposes an allowed file inside a denied directory, read-only', () => {
    const t = setup({ 'home/.aws/config': 'region', 'home/.aws/credentials': 'K' });
    const policy = resolvePolicy({ read: { allow: ['~/.aws/config'] } }, { workspace: t.path('ws'), home: t.path('home'), env: {} });
    expect(planMounts(policy).ops.filter((o) => o.path.startsWith(t.path('home/.aws')))).toEqual([
      { kind: 'deny-dir', path: t.path('home/.aws') },
      { kind: 'allow', path: t.path('home/.aws/config') },
    ]);
  });
});

describe('planLinux: invariants over every preset', () => {
  for (const name of listProfiles()) {
    it(`${name}: isolation flags, command after --, no secrets in argv, pure`, () => {
      const t = setup({ 'ws/.env': 'X=1', 'ws/.git/hooks/': '', 'home/.ssh/k': 'K' });
      const env = { PATH: '/usr/bin:/bin', HOME: t.path('home'), GITHUB_TOKEN: 'ghp_secret' };
      const policy = resolvePolicy(loadProfile(name), { workspace: t.path('ws'), home: t.path('home'), env });
      for (const h of [host({ euid: 0 }), host()]) {
        const plan = planLinux(policy, { file: '--weird-name', args: ['-rf', '/'] }, h);
        for (const flag of ['--new-session', '--die-with-parent', '--unshare-user', '--unshare-pid', '--unshare-net', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup', '--disable-userns', '--seccomp', '--json-status-fd']) {
          expect(plan.args).toContain(flag);
        }
        expect(plan.args.slice(0, 2)).toEqual(['--new-session', '--die-with-parent']);
        const dashdash = plan.args.indexOf('--');
        expect(plan.args.slice(dashdash)).toEqual(['--', '--weird-name', '-rf', '/']);
        expect(plan.args.indexOf('--ro-bind')).toBe(plan.args.indexOf('/') - 1);
        expect(JSON.stringify(plan)).not.toContain('ghp_secret');
        expect(plan.env.GITHUB_TOKEN).toBeUndefined();
        expect(planLinux(policy, { file: '--weird-name', args: ['-rf', '/'] }, h)).toEqual(plan);
        if (name === 'read-only') expect(plan.args).not.toContain('--bind');
      }
    });
  }
});

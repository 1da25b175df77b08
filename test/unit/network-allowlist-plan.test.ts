import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { planLinux, SANDBOX_PROXY_PORT, type LinuxHost } from '../../src/backends/linux/plan.js';
import { findProxyDoor } from '../../src/native/proxy-door.js';
import { createFilteringProxy } from '../../src/network/proxy.js';
import { parseNetworkRules } from '../../src/policy/network/patterns.js';
import { resolvePolicy } from '../../src/policy/resolve.js';
import type { ResolvedPolicy } from '../../src/policy/resolved.js';

const DOOR = '/opt/cordon/prebuilds/linux-x64/cordon-proxy-door';
const host = (over: Partial<LinuxHost> = {}): LinuxHost => ({ bwrapPath: '/usr/bin/bwrap', supportsDisableUserns: true, euid: 1000, seccompFilter: new Uint8Array(16), hostStateDirs: [], proxyDoor: DOOR, ...over });

function policyWith(allow: string[], env: Record<string, string> = {}): ResolvedPolicy {
  const policy = resolvePolicy({ workspaceAccess: 'read', read: { defaultSecrets: false } }, { workspace: '/', home: '/nonexistent', env: {} });
  return { ...policy, workspace: '/w', cwd: '/w', writableRoots: ['/w'], tmpDirs: ['/tmp'], denyRead: [], allowRead: [], protect: [], env: { PATH: '/bin', ...env }, network: parseNetworkRules({ allow, deny: [] }) };
}

const access = { port: SANDBOX_PROXY_PORT };

describe('planLinux with a network allowlist', () => {
  it('runs the command through cordon-proxy-door, under the same filter, with the door channel on fd 5', () => {
    const plan = planLinux(policyWith(['registry.npmjs.org']), { file: 'npm', args: ['install'] }, host(), access);
    const dashes = plan.args.indexOf('--');
    // bwrap execs the door (after --seccomp, so the filter is already on), the door execs the command.
    expect(plan.args.slice(dashes)).toEqual(['--', DOOR, '5', '3128', '--', 'npm', 'install']);
    expect(plan.args.indexOf('--seccomp')).toBeLessThan(dashes);
    expect(plan.args).toContain('--unshare-net');
    // Bound read-only at its own path after every mount, so no deny rule can hide it.
    const bind = plan.args.findIndex((a, i) => a === '--ro-bind' && plan.args[i + 1] === DOOR && plan.args[i + 2] === DOOR);
    expect(bind).toBeGreaterThan(plan.args.lastIndexOf('--tmpfs'));
    expect(plan.extraFds.map((f) => [f.fd, f.purpose])).toEqual([[3, 'seccomp'], [4, 'status'], [5, 'proxy-door']]);
    expect(plan.proxy).toEqual(access);
  });

  it('points every proxy variable at 127.0.0.1:3128 without a credential, replacing inherited ones', () => {
    const plan = planLinux(policyWith(['registry.npmjs.org'], { HTTPS_PROXY: 'http://evil.example:8080', Http_Proxy: 'http://evil.example:8080', NO_PROXY: '*' }), { file: 'true', args: [] }, host(), access);
    expect(plan.env).toMatchObject({ http_proxy: 'http://127.0.0.1:3128', HTTPS_PROXY: 'http://127.0.0.1:3128', ALL_PROXY: 'socks5h://127.0.0.1:3128', NO_PROXY: 'localhost,127.0.0.1,::1', PATH: '/bin' });
    expect(plan.env['Http_Proxy']).toBeUndefined();
    expect(JSON.stringify(plan.env)).not.toContain('evil.example');
    expect(JSON.stringify(plan.env)).not.toContain('cordon:');
  });

  it('sends loopback through the proxy when the policy allows a loopback target (a host service)', () => {
    for (const allow of ['127.0.0.1:5432', 'localhost:8080', '[::1]:9000']) {
      const plan = planLinux(policyWith([allow]), { file: 'true', args: [] }, host(), access);
      expect(plan.env['NO_PROXY']).toBe('');
      expect(plan.env['no_proxy']).toBe('');
    }
  });

  it('without a proxy, an allowlist is refused; with a proxy, a policy without one is a caller bug', () => {
    expect(() => planLinux(policyWith(['example.com']), { file: 'true', args: [] }, host())).toThrow(expect.objectContaining({ code: 'ERR_CORDON_UNENFORCEABLE' }));
    expect(() => planLinux(policyWith([]), { file: 'true', args: [] }, host(), access)).toThrow(TypeError);
    expect(() => planLinux(policyWith(['example.com']), { file: 'true', args: [] }, host({ proxyDoor: undefined }), access)).toThrow(expect.objectContaining({ code: 'ERR_CORDON_UNENFORCEABLE' }));
    expect(() => planLinux(policyWith(['example.com']), { file: 'true', args: [] }, host(), { port: 8080 })).toThrow(TypeError);
    expect(() => planLinux(policyWith(['example.com']), { file: 'true', args: [] }, host(), { port: 3128, credential: 'x'.repeat(20) })).toThrow(TypeError);
  });

  it('a policy without network.allow plans exactly as before: no door, no proxy variables', () => {
    const plan = planLinux(policyWith([]), { file: 'true', args: [] }, host());
    expect(plan.args).not.toContain(DOOR);
    expect(plan.extraFds).toHaveLength(2);
    expect(Object.keys(plan.env).filter((k) => /proxy/i.test(k))).toEqual([]);
  });
});

describe('createFilteringProxy', () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  it('listenOnLoopback binds 127.0.0.1 synchronously (a plan names the port before spawning) and listens only once', async () => {
    const proxy = createFilteringProxy({ decide: () => ({ allowed: false, rule: 'test', reason: 'no' }) });
    closers.push(proxy.close);
    const port = proxy.listenOnLoopback();
    expect(port).toBeGreaterThan(0);
    // Connectable right away, before any tick.
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', () => resolve()).once('error', reject));
    socket.destroy();
    expect(() => proxy.listenOnLoopback()).toThrow(/already listens/);
    await expect(proxy.acceptOn(0)).rejects.toThrow(/already listens/);
  });

  it('generates a credential by default; null asks for none', () => {
    const withCredential = createFilteringProxy({ decide: () => ({ allowed: false, rule: 'test' }) });
    expect(withCredential.credential).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(createFilteringProxy({ decide: () => ({ allowed: false, rule: 'test' }), credential: null }).credential).toBeNull();
  });

  it('acceptOn refuses a descriptor that is not a listening socket', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cordon-accept-'));
    try {
      const proxy = createFilteringProxy({ decide: () => ({ allowed: false, rule: 'test' }), credential: null });
      closers.push(proxy.close);
      const file = path.join(dir, 'f');
      writeFileSync(file, '');
      const fd = (await import('node:fs')).openSync(file, 'r');
      await expect(proxy.acceptOn(fd)).rejects.toMatchObject({ code: 'ERR_CORDON_SETUP_FAILED' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('findProxyDoor', () => {
  it('finds the door beside the addon node-gyp-build chooses', () => {
    const door = findProxyDoor();
    expect(path.basename(door)).toBe('cordon-proxy-door');
  });

  it('fails closed, naming the fix, where no addon or no door is', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cordon-nodoor-'));
    try {
      writeFileSync(path.join(dir, 'package.json'), '{"name":"cordon"}');
      expect(() => findProxyDoor(dir)).toThrow(expect.objectContaining({ code: 'ERR_CORDON_NATIVE_UNAVAILABLE', hint: expect.stringContaining('npm run build:native') }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

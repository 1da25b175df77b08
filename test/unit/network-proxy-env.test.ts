import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { proxyEnv, withProxyEnv } from '../../src/network/proxy-env.js';

describe('proxy environment for an allowlist (not wired in yet: see issue 10)', () => {
  const endpoint = { port: 41234, credential: '0123abcd' };

  it('points every variable tools read at the proxy on the sandbox loopback, with the credential', () => {
    const env = proxyEnv(endpoint);
    for (const name of ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY', 'npm_config_proxy', 'npm_config_https_proxy']) {
      expect(env[name], name).toBe('http://cordon:0123abcd@127.0.0.1:41234');
    }
    // socks5h: the proxy resolves names, never the client (the sandbox has no DNS anyway).
    expect(env.all_proxy).toBe('socks5h://cordon:0123abcd@127.0.0.1:41234');
    expect(env.ALL_PROXY).toBe(env.all_proxy);
    expect([env.no_proxy, env.NO_PROXY]).toEqual(['', '']);
    expect(env.NODE_USE_ENV_PROXY).toBe('1');
  });

  it("replaces inherited proxy variables in any letter case; keeps everything else", () => {
    const inherited = { PATH: '/bin', Https_Proxy: 'http://elsewhere:3128', no_proxy: 'localhost,.corp', NPM_CONFIG_PROXY: 'http://x' };
    const env = withProxyEnv(inherited, endpoint);
    expect(env.PATH).toBe('/bin');
    expect(env).not.toHaveProperty('Https_Proxy');
    expect(env).not.toHaveProperty('NPM_CONFIG_PROXY');
    expect(env.no_proxy).toBe('');
    expect(Object.values(env).join(' ')).not.toContain('elsewhere');
  });

  const curl = ['/usr/bin/curl', '/bin/curl'].find((p) => existsSync(p));
  it.skipIf(curl === undefined)(`curl dials the proxy on the sandbox loopback, not the host${curl === undefined ? ' (skipped: no curl installed)' : ''}`, () => {
    // Port 9 on 127.0.0.1 (nothing listens): curl fails at once; its verbose log says where it dialled.
    let out = '';
    try {
      execFileSync(curl!, ['-sv', '--max-time', '2', 'http://example.invalid/'], { env: { PATH: '/usr/bin:/bin', ...proxyEnv({ port: 9, credential: 'c0ffee' }) }, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      out = String((error as { stderr?: Buffer }).stderr ?? '');
    }
    expect(out).toMatch(/127\.0\.0\.1.*port 9|127\.0\.0\.1:9/);
    expect(out).not.toMatch(/example\.invalid.*port 80/);
  });

  it('refuses a port or credential that would break the URLs', () => {
    expect(() => proxyEnv({ port: 0, credential: 'a' })).toThrow(RangeError);
    expect(() => proxyEnv({ port: 70000, credential: 'a' })).toThrow(RangeError);
    expect(() => proxyEnv({ port: 80, credential: 'a@b' })).toThrow(RangeError);
  });
});

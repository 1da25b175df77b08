import { describe, expect, it } from 'vitest';
import { basicAuthMatches, newCredential, userPassMatches, validateCredential } from '../../src/network/credential.js';
import { judge, PROXY_RULE } from '../../src/network/judge.js';
import { refusalLine } from '../../src/network/refusal-text.js';
import { ipv6Text, REPLY, socksReply } from '../../src/network/socks5-wire.js';
import { acceptableHost, parseAbsoluteHttp, parseAuthority } from '../../src/network/target.js';
import type { Decide } from '../../src/network/types.js';

describe('network proxy: request targets', () => {
  it('parses CONNECT authorities, keeping the host as spelled', () => {
    expect(parseAuthority('registry.npmjs.org:443')).toEqual({ host: 'registry.npmjs.org', port: 443 });
    expect(parseAuthority('0x7f.1:80')).toEqual({ host: '0x7f.1', port: 80 });
    expect(parseAuthority('2130706433:8080')).toEqual({ host: '2130706433', port: 8080 });
    expect(parseAuthority('EXAMPLE.com:443')).toEqual({ host: 'EXAMPLE.com', port: 443 });
    expect(parseAuthority('[::1]:443')).toEqual({ host: '::1', port: 443 });
    expect(parseAuthority('[::ffff:127.0.0.1]:22')).toEqual({ host: '::ffff:127.0.0.1', port: 22 });
  });

  it('refuses malformed authorities instead of guessing', () => {
    for (const bad of ['example.com', 'example.com:0', 'example.com:65536', 'example.com:-1', 'example.com:44x', '::1:443', '[::1]', '[nothex]:443', '[fe80::1%eth0]:443', 'a b:80', 'a%00b:80', 'user@host:80', ':80', `${'a'.repeat(254)}:80`]) {
      expect(parseAuthority(bad), bad).toBeUndefined();
    }
  });

  it('parses absolute-form http URLs by hand (no WHATWG host rewriting)', () => {
    expect(parseAbsoluteHttp('http://0x7f.1:8080/a?b=1')).toEqual({ host: '0x7f.1', port: 8080, authority: '0x7f.1:8080', path: '/a?b=1' });
    expect(parseAbsoluteHttp('http://Example.COM')).toEqual({ host: 'Example.COM', port: 80, authority: 'Example.COM', path: '/' });
    expect(parseAbsoluteHttp('HTTP://example.com?x')).toEqual({ host: 'example.com', port: 80, authority: 'example.com', path: '/?x' });
    expect(parseAbsoluteHttp('http://[::1]:81/p#frag')).toEqual({ host: '::1', port: 81, authority: '[::1]:81', path: '/p' });
    for (const bad of ['/origin-form', 'https://example.com/', 'http://user:pw@example.com/', 'http://a@b/', 'http:///x', 'ftp://x/', 'http://exa mple.com/']) {
      expect(parseAbsoluteHttp(bad), bad).toBeUndefined();
    }
  });

  it('accepts names and IPv6 literals, nothing with other characters', () => {
    expect(acceptableHost('a-b_c.example')).toBe(true);
    expect(acceptableHost('2001:db8::1')).toBe(true);
    expect(acceptableHost('fe80::1%lo')).toBe(false);
    expect(acceptableHost('')).toBe(false);
    expect(acceptableHost('a\nb')).toBe(false);
  });
});

describe('network proxy: credential', () => {
  const credential = newCredential();

  it('generates a URL-safe secret that validates', () => {
    expect(credential).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(validateCredential(credential)).toBe(credential);
    expect(newCredential()).not.toBe(credential);
  });

  it('refuses credentials that are short or would need escaping in a proxy URL', () => {
    for (const bad of ['short', 'has:colon-and-is-long-enough', 'has@at-sign-long-enough', 'x'.repeat(256)]) {
      expect(() => validateCredential(bad), bad).toThrow(expect.objectContaining({ code: 'ERR_CORDON_SETUP_FAILED' }));
    }
  });

  it('matches Basic cordon:CREDENTIAL and nothing else', () => {
    const header = (text: string): string => `Basic ${Buffer.from(text).toString('base64')}`;
    expect(basicAuthMatches(header(`cordon:${credential}`), credential)).toBe(true);
    expect(basicAuthMatches(`basic   ${Buffer.from(`cordon:${credential}`).toString('base64')}`, credential)).toBe(true);
    expect(basicAuthMatches(header(`other:${credential}`), credential)).toBe(false);
    expect(basicAuthMatches(header(`cordon:${credential}x`), credential)).toBe(false);
    expect(basicAuthMatches(header(`cordon:`), credential)).toBe(false);
    expect(basicAuthMatches(header(credential), credential)).toBe(false);
    expect(basicAuthMatches(`Bearer ${credential}`, credential)).toBe(false);
    expect(basicAuthMatches(undefined, credential)).toBe(false);
    expect(basicAuthMatches([header(`cordon:${credential}`)], credential)).toBe(false);
    expect(userPassMatches(Buffer.from('cordon'), Buffer.from(credential), credential)).toBe(true);
    expect(userPassMatches(Buffer.from('cordon'), Buffer.from(credential.slice(1)), credential)).toBe(false);
  });
});

describe('network proxy: SOCKS5 wire', () => {
  it('prints IPv6 addresses compressed', () => {
    const bytes = (groups: number[]): Buffer => {
      const b = Buffer.alloc(16);
      groups.forEach((g, i) => b.writeUInt16BE(g, i * 2));
      return b;
    };
    expect(ipv6Text(bytes([0, 0, 0, 0, 0, 0, 0, 1]))).toBe('::1');
    expect(ipv6Text(bytes([0x2001, 0xdb8, 0, 0, 1, 0, 0, 1]))).toBe('2001:db8::1:0:0:1');
    expect(ipv6Text(bytes([0, 0, 0, 0, 0, 0xffff, 0x7f00, 1]))).toBe('::ffff:7f00:1');
    expect(ipv6Text(bytes([1, 0, 2, 0, 3, 0, 4, 0]))).toBe('1:0:2:0:3:0:4:0');
    expect(ipv6Text(bytes([0, 0, 0, 0, 0, 0, 0, 0]))).toBe('::');
  });

  it('replies without telling the host its own source address', () => {
    expect([...socksReply(REPLY.notAllowed)]).toEqual([5, 2, 0, 1, 0, 0, 0, 0, 0, 0]);
  });
});

describe('network proxy: judge', () => {
  const target = { host: 'api.example', port: 443 };
  const byNameOnly: Decide = (host, _port, addresses) => (addresses === undefined ? { allowed: host === 'api.example', rule: 'network.allow' } : addresses.includes('10.0.0.5') ? { allowed: false, rule: 'network: private address', reason: 'resolves to 10.0.0.5' } : { allowed: true, rule: 'network.allow' });

  it('never resolves a name the policy refuses', async () => {
    const looked: string[] = [];
    const judgement = await judge({ host: 'other.example', port: 443 }, byNameOnly, async (h) => (looked.push(h), ['127.0.0.1']), 1000);
    expect(judgement).toEqual({ kind: 'denied', denial: { kind: 'network', host: 'other.example', port: 443, rule: 'network.allow', reason: 'not on the allow list', certainty: 'observed' } });
    expect(looked).toEqual([]);
  });

  it('judges the resolved addresses and hands exactly those on', async () => {
    expect(await judge(target, byNameOnly, async () => ['127.0.0.1', '::1'], 1000)).toEqual({ kind: 'allowed', addresses: ['127.0.0.1', '::1'] });
    expect(await judge(target, byNameOnly, async () => ['127.0.0.1', '10.0.0.5'], 1000)).toMatchObject({ kind: 'denied', denial: { rule: 'network: private address', reason: 'resolves to 10.0.0.5' } });
  });

  it('fails closed when decide throws or answers nonsense', async () => {
    const throws: Decide = () => {
      throw new Error('boom');
    };
    expect(await judge(target, throws, async () => ['127.0.0.1'], 1000)).toMatchObject({ kind: 'denied', denial: { rule: PROXY_RULE, reason: 'the policy check failed: boom' } });
    expect(await judge(target, (() => undefined) as unknown as Decide, async () => ['127.0.0.1'], 1000)).toMatchObject({ kind: 'denied' });
    // Control: the same target with a decide that allows.
    expect(await judge(target, () => ({ allowed: true, rule: 'x' }), async () => ['127.0.0.1'], 1000)).toMatchObject({ kind: 'allowed' });
  });

  it('reports names that do not resolve, or not in time, without a denial', async () => {
    expect(await judge(target, byNameOnly, async () => [], 1000)).toEqual({ kind: 'unresolved', message: 'api.example has no addresses' });
    expect(await judge(target, byNameOnly, () => new Promise(() => undefined), 50)).toEqual({ kind: 'unresolved', message: 'could not resolve api.example: no answer within 50 ms' });
  });

  it('words the refusal on one line, IPv6 hosts bracketed', () => {
    expect(refusalLine({ kind: 'network', host: '::1', port: 22, rule: 'network.allow', reason: 'not listed', certainty: 'observed' })).toBe('cordon: network access to [::1]:22 refused by network.allow: not listed');
  });
});

/**
 * Issue 10, the policy side of the network allowlist: host patterns, canonical hosts, the
 * decision (deny wins, rebinding refused) and presets. Pure: no DNS, no sockets. Enforcement
 * (proxy, relay) is not built yet, so the last block shows both backends still refuse any
 * allow rule (fail closed).
 */
import { domainToASCII } from 'node:url';
import { describe, expect, it } from 'vitest';
import { canonicalHost } from '../../src/policy/network/host.js';
import { isSpecialAddress, specialAddressKind } from '../../src/policy/network/addresses.js';
import { parseHostPattern, parseNetworkRules, SHARED_SUFFIXES, type HostRule } from '../../src/policy/network/patterns.js';
import { decide, decideResolved, networkDecider, NO_RULE } from '../../src/policy/network/decide.js';
import { listNetworkPresets, resolveNetwork } from '../../src/policy/network/presets.js';
import { parsePolicy } from '../../src/policy/parse.js';
import { listProfiles } from '../../src/policy/presets.js';
import { resolvePolicy } from '../../src/policy/resolve.js';
import { NETWORK_NONE_ENV } from '../../src/policy/network-env.js';
import { planLinux, type LinuxHost } from '../../src/backends/linux/plan.js';
import { planMacos } from '../../src/backends/macos/index.js';
import { parseArgs, policyFromFlags } from '../../src/cli/args.js';
import { PolicyError } from '../../src/errors.js';
import { resolvedFixture } from '../sbpl/fixtures.js';
import { tempTrees } from '../helpers/tree.js';
import { formatDenials } from '../../src/harness/report-text.js';

const rules = (allow: string[], deny: string[] = []) => parseNetworkRules({ allow, deny });

function policyError(fn: () => unknown): PolicyError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    return error as PolicyError;
  }
  throw new Error('expected a PolicyError');
}

describe('canonicalHost: one spelling per host', () => {
  it.each([
    '127.0.0.1', '0x7f.1', '2130706433', '0177.0.0.1', '127.1', '127.0.1', '0x7f000001', '017700000001', '0x7f.0.0.1', '0x7F.0.0.01', '127.0.0.1.',
    '::ffff:127.0.0.1', '[::ffff:127.0.0.1]', '[::FFFF:7F00:1]', '::ffff:7f00:0001', '0:0:0:0:0:ffff:7f00:1',
  ])('%s is 127.0.0.1', (text) => {
    expect(canonicalHost(text)).toBe('127.0.0.1');
  });

  it.each(['::1', '[::1]', '0:0:0:0:0:0:0:1', '[0000:0000::0001]', '0::1', '[0::0:1]'])('%s is ::1', (text) => {
    expect(canonicalHost(text)).toBe('::1');
  });

  it('lower-cases and compresses IPv6, lower-cases names, drops one trailing dot, maps IDNA to ASCII', () => {
    expect(canonicalHost('FE80:0:0:0:0:0:0:ABCD')).toBe('fe80::abcd');
    expect(canonicalHost('[FD00:EC2::254]')).toBe('fd00:ec2::254');
    expect(canonicalHost('Registry.NPMJS.org.')).toBe('registry.npmjs.org');
    expect(canonicalHost('LOCALHOST.')).toBe('localhost');
    expect(canonicalHost('bücher.de')).toBe('xn--bcher-kva.de');
    expect(canonicalHost('bücher.de')).toBe(domainToASCII('bücher.de'));
    expect(canonicalHost('ＥＸＡＭＰＬＥ．com')).toBe('example.com');
    expect(canonicalHost('_acme-challenge.example.com')).toBe('_acme-challenge.example.com');
  });

  it.each([
    ['empty', ''], ['empty label', 'a..b'], ['two trailing dots', 'example.com..'], ['percent escape (URL would decode it)', 'ex%61mple.com'],
    ['bracketed IPv4', '[127.0.0.1]'], ['IPv6 zone id', 'fe80::1%eth0'], ['space', 'a b.com'], ['NUL', 'a\0.com'], ['five numeric parts', '1.2.3.4.5'],
    ['octet out of range', '999.1.1.1'], ['08 is no octal number', '08.0.0.1'], ['numeric last label', 'example.0x1'], ['path', 'x.com/a'],
    ['user info', 'u@x.com'], ['a port', 'x.com:80'], ['wildcard', '*.example.com'], ['label over 63', `${'a'.repeat(64)}.com`], ['bad IPv6', '1:2:3:4:5:6:7:8:9'],
  ])('refuses %s', (_why, text) => {
    expect(canonicalHost(text)).toBeUndefined();
  });
});

describe('host patterns', () => {
  const ok = (text: string, side: 'allow' | 'deny' = 'allow') => {
    const r = parseHostPattern(text, 'network.allow.0', side);
    if (!('kind' in r)) throw new Error(`${text}: ${r.message}`);
    return r;
  };
  const bad = (text: string, side: 'allow' | 'deny' = 'allow') => {
    const r = parseHostPattern(text, 'network.allow.0', side);
    if ('kind' in r) throw new Error(`${text} was accepted as ${JSON.stringify(r)}`);
    return r;
  };

  it('parses names, subdomain wildcards, IP literals and localhost, with or without a port', () => {
    const pick = (r: HostRule) => ({ kind: r.kind, host: r.host, port: r.port });
    expect(pick(ok('Registry.npmjs.org'))).toEqual({ kind: 'name', host: 'registry.npmjs.org', port: undefined });
    expect(pick(ok('*.github.com:443'))).toEqual({ kind: 'subdomains', host: 'github.com', port: 443 });
    expect(pick(ok('127.0.0.1:8080'))).toEqual({ kind: 'ip', host: '127.0.0.1', port: 8080 });
    expect(pick(ok('0x7f.1:8080'))).toEqual({ kind: 'ip', host: '127.0.0.1', port: 8080 });
    expect(pick(ok('[::1]:5432'))).toEqual({ kind: 'ip', host: '::1', port: 5432 });
    expect(pick(ok('::1'))).toEqual({ kind: 'ip', host: '::1', port: undefined });
    expect(pick(ok('localhost:3000'))).toEqual({ kind: 'localhost', host: 'localhost', port: 3000 });
    expect(pick(ok('x.example.com:65535'))).toEqual({ kind: 'name', host: 'x.example.com', port: 65535 });
    expect(ok('*.github.com').rule).toBe('network.allow: *.github.com');
  });

  it.each([
    ['*', /every host/],
    ['*:443', /every host/],
    ['*.com', /top-level domain \.com/],
    ['*.COM.', /top-level domain \.com/],
    ['*.co.uk', /anyone can register under co\.uk/],
    ['*.github.io', /anyone can register under github\.io/],
    ['*.amazonaws.com', /anyone can register/],
  ])('refuses the over-broad %s in allow', (text, message) => {
    const r = bad(text);
    expect(r.tooBroad).toBe(true);
    expect(r.message).toMatch(message);
    expect(r.path).toBe('network.allow.0');
  });

  it.each([
    ['foo.*.com', /not the whole leading label/],
    ['*foo.com', /not the whole leading label/],
    ['f*o.example.com', /not the whole leading label/],
    ['*.*.example.com', /not the whole leading label/],
    ['**.example.com', /not the whole leading label/],
    ['*.127.0.0.1', /wildcard on an IP/],
    ['a..example.com', /not a valid host/],
    ['.example.com', /not a valid host/],
    ['x.com:0', /port/],
    ['x.com:65536', /port/],
    ['x.com:', /port/],
    ['x.com:http', /port/],
    ['x.com:+80', /port/],
    ['[::1]80', /after "\]"/],
    ['[::1', /unclosed/],
    ['https://registry.npmjs.org', /URL/],
    ['registry.npmjs.org/path', /URL/],
    ['user@x.com', /URL/],
    ['x.com\0', /NUL/],
    ['com', /single label/],
    ['intranet', /single label/],
    ['', /not a valid host/],
  ])('refuses the malformed %j', (text, message) => {
    const r = bad(text);
    expect(r.tooBroad).toBe(false);
    expect(r.message).toMatch(message);
  });

  it('names the host to write instead of a URL', () => {
    expect(bad('https://registry.npmjs.org/left-pad').hint).toBe('write the host alone: "registry.npmjs.org"');
  });

  it('deny may be as broad as it likes: denying can open nothing', () => {
    expect(ok('*', 'deny').kind).toBe('any');
    expect(ok('*.com', 'deny').kind).toBe('subdomains');
    expect(ok('*.github.io', 'deny').kind).toBe('subdomains');
    expect(bad('foo.*.com', 'deny').tooBroad).toBe(false);
  });

  it('every built-in shared suffix is a valid canonical multi-label name', () => {
    for (const s of SHARED_SUFFIXES) expect([s, canonicalHost(s)?.includes('.')]).toEqual([s, true]);
  });
});

describe('parsePolicy: network patterns are checked where the policy is accepted', () => {
  it('names every bad field; ERR_CORDON_POLICY_TOO_BROAD when all are over-broad', () => {
    const e = policyError(() => parsePolicy({ network: { allow: ['registry.npmjs.org', '*', '*.com'] } }));
    expect(e.code).toBe('ERR_CORDON_POLICY_TOO_BROAD');
    expect(e.issues.map((i) => i.path)).toEqual(['network.allow.1', 'network.allow.2']);
    expect(e.hint).toMatch(/list the hosts/);
  });

  it('ERR_CORDON_POLICY_INVALID as soon as one is malformed, with the deny side named too', () => {
    const e = policyError(() => parsePolicy({ network: { allow: ['*'], deny: ['foo.*.com'] } }));
    expect(e.code).toBe('ERR_CORDON_POLICY_INVALID');
    expect(e.issues.map((i) => i.path)).toEqual(['network.allow.0', 'network.deny.0']);
  });

  it('keeps the patterns as written in the policy (canonical forms live in the resolved rules)', () => {
    expect(parsePolicy({ network: { allow: ['0x7f.1:8080'] } }).network).toEqual({ allow: ['0x7f.1:8080'], deny: [], presets: [] });
  });
});

describe('decide: deny wins, names never match addresses, ports must match', () => {
  const r = rules(['*.example.com', 'registry.npmjs.org:443', '127.0.0.1:8080', '[::1]:5432', 'localhost:3000'], ['secret.example.com', 'api.example.com:80']);

  it.each([
    ['a.example.com', 443, true, 'network.allow: *.example.com'],
    ['A.B.Example.COM.', 80, true, 'network.allow: *.example.com'],
    ['example.com', 443, false, NO_RULE], // subdomains only
    ['badexample.com', 443, false, NO_RULE],
    ['example.com.evil.net', 443, false, NO_RULE],
    ['secret.example.com', 443, false, 'network.deny: secret.example.com'], // deny wins
    ['api.example.com', 80, false, 'network.deny: api.example.com:80'],
    ['api.example.com', 443, true, 'network.allow: *.example.com'], // the deny has a port
    ['registry.npmjs.org', 443, true, 'network.allow: registry.npmjs.org:443'],
    ['registry.npmjs.org', 80, false, NO_RULE], // another port on an allowed host
    ['127.0.0.1', 8080, true, 'network.allow: 127.0.0.1:8080'],
    ['2130706433', 8080, true, 'network.allow: 127.0.0.1:8080'], // any spelling of a listed address
    ['127.0.0.1', 8081, false, NO_RULE],
    ['::ffff:127.0.0.1', 8080, true, 'network.allow: 127.0.0.1:8080'],
    ['0:0:0:0:0:0:0:1', 5432, true, 'network.allow: [::1]:5432'],
    ['127.0.0.1', 3000, false, NO_RULE], // `localhost` is the name, not every loopback address
    ['0x7f.1', 3000, false, NO_RULE],
    ['localhost', 3000, true, 'network.allow: localhost:3000'],
    ['LOCALHOST.', 3000, true, 'network.allow: localhost:3000'],
    ['localhost', 8080, false, NO_RULE],
    ['93.184.216.34', 443, false, NO_RULE], // a name rule never allows an address
    ['a.example.com/x', 443, false, 'network'],
    ['a.example.com', 0, false, 'network'],
  ] as const)('%s:%i -> %s', (host, port, allowed, rule) => {
    const d = decide(host, port, r);
    expect({ allowed: d.allowed, rule: d.rule }).toEqual({ allowed, rule });
    expect(d.reason.length).toBeGreaterThan(0);
  });

  it('deny wins for every spelling of a denied address, also when the same address is allowed', () => {
    const both = rules(['127.0.0.1', 'localhost'], ['127.0.0.1', '::1']);
    for (const h of ['127.0.0.1', '0x7f.1', '2130706433', '0177.0.0.1', '127.1', '::ffff:127.0.0.1', '[::FFFF:7F00:1]', '::1', '[0::1]']) {
      expect([h, decide(h, 80, both).allowed]).toEqual([h, false]);
    }
    // Positive control: without the deny rule the same spellings of 127.0.0.1 are allowed.
    expect(decide('0x7f.1', 80, rules(['127.0.0.1'])).allowed).toBe(true);
  });

  it('a deny of * closes everything, whatever is allowed', () => {
    expect(decide('registry.npmjs.org', 443, rules(['registry.npmjs.org'], ['*'])).allowed).toBe(false);
  });

  it('no allow rule: nothing is reachable', () => {
    expect(decide('registry.npmjs.org', 443, rules([])).allowed).toBe(false);
    expect(decide('127.0.0.1', 80, rules([])).allowed).toBe(false);
  });
});

describe('decideResolved: DNS rebinding', () => {
  it('a listed name resolving to 10.0.0.5 is refused; the same with 10.0.0.5 listed is allowed', () => {
    const weak = rules(['rebind.example.com']);
    // The attack: the name alone is allowed (what a check before resolution sees) ...
    expect(decide('rebind.example.com', 443, weak).allowed).toBe(true);
    // ... and its answer leads into the private network: refused.
    const refused = decideResolved('rebind.example.com', 443, ['10.0.0.5'], weak);
    expect(refused).toMatchObject({ allowed: false, rule: 'network.allow: rebind.example.com', addresses: [] });
    expect(refused.reason).toMatch(/10\.0\.0\.5: a private address .*list 10\.0\.0\.5:443/);
    expect(decideResolved('rebind.example.com', 443, ['10.0.0.5'], rules(['rebind.example.com', '10.0.0.5']))).toMatchObject({ allowed: true, addresses: ['10.0.0.5'] });
    // Listed for another port only: still refused.
    expect(decideResolved('rebind.example.com', 443, ['10.0.0.5'], rules(['rebind.example.com', '10.0.0.5:5432'])).allowed).toBe(false);
  });

  it('a public answer passes; one special address among public ones refuses the whole answer', () => {
    const r = rules(['*.example.com']);
    expect(decideResolved('www.example.com', 443, ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'], r)).toMatchObject({ allowed: true, addresses: ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'] });
    expect(decideResolved('www.example.com', 443, ['93.184.216.34', '127.0.0.1'], r).allowed).toBe(false);
  });

  it.each([
    ['127.0.0.1', 'loopback'], ['0x7f.1', 'loopback'], ['::1', 'loopback'], ['::ffff:127.0.0.1', 'loopback'], ['0.0.0.0', 'unspecified'], ['::', 'unspecified'],
    ['169.254.169.254', 'cloud metadata'], ['fd00:ec2::254', 'cloud metadata'], ['[FD00:EC2::254]', 'cloud metadata'], ['168.63.129.16', 'cloud metadata'],
    ['10.0.0.5', 'private'], ['172.16.0.1', 'private'], ['192.168.1.1', 'private'], ['fd12:3456::1', 'private'], ['::ffff:10.0.0.5', 'private'],
    ['100.64.0.1', 'shared (CGNAT)'], ['169.254.1.1', 'link-local'], ['fe80::1', 'link-local'], ['224.0.0.251', 'multicast'], ['ff02::fb', 'multicast'],
    ['64:ff9b::a00:5', 'private'], ['2002:7f00:1::', 'loopback'],
  ])('a name resolving to %s (%s) is refused', (address, kind) => {
    const d = decideResolved('www.example.com', 443, [address], rules(['www.example.com']));
    expect(d.allowed).toBe(false);
    expect(d.reason).toContain(`a ${kind} address`);
  });

  it('an address a deny rule names is refused even when the name is allowed and the address public', () => {
    const d = decideResolved('www.example.com', 443, ['93.184.216.34'], rules(['www.example.com'], ['93.184.216.34']));
    expect(d).toMatchObject({ allowed: false, rule: 'network.deny: 93.184.216.34' });
  });

  it('networkDecider: one function for both halves, as the proxy calls it', () => {
    const d = networkDecider(rules(['rebind.example.com']));
    expect(d('rebind.example.com', 443).allowed).toBe(true);
    expect(d('rebind.example.com', 443, ['10.0.0.5']).allowed).toBe(false);
    expect(d('rebind.example.com', 443, ['93.184.216.34']).allowed).toBe(true);
  });

  it('localhost must lead to loopback; an IP literal connects to itself; no answer is no connection', () => {
    const r = rules(['localhost:3000', '10.0.0.5:5432']);
    expect(decideResolved('localhost', 3000, ['127.0.0.1', '::1'], r)).toMatchObject({ allowed: true, addresses: ['127.0.0.1', '::1'] });
    expect(decideResolved('localhost', 3000, ['10.0.0.5'], r).allowed).toBe(false);
    expect(decideResolved('localhost', 3000, ['93.184.216.34'], r).allowed).toBe(false);
    expect(decideResolved('10.0.0.5', 5432, [], r)).toMatchObject({ allowed: true, addresses: ['10.0.0.5'] });
    expect(decideResolved('www.example.com', 443, [], rules(['www.example.com'])).allowed).toBe(false);
    expect(decideResolved('www.example.com', 443, ['not-an-address'], rules(['www.example.com'])).allowed).toBe(false);
  });
});

describe('isSpecialAddress', () => {
  it.each([
    ['8.8.8.8', false], ['1.1.1.1', false], ['93.184.216.34', false], ['2606:4700:4700::1111', false], ['2a00:1450::1', false],
    ['172.15.255.255', false], ['172.16.0.0', true], ['172.31.255.255', true], ['172.32.0.0', false],
    ['100.63.255.255', false], ['100.64.0.0', true], ['100.127.255.255', true], ['100.128.0.0', false],
    ['126.255.255.255', false], ['127.255.255.255', true], ['11.0.0.0', false], ['9.255.255.255', false],
    ['fbff::1', false], ['fc00::', true], ['fdff:ffff::1', true], ['fe80::', true], ['febf::1', true], ['ff00::1', true],
    ['255.255.255.255', true], ['not an ip', true], ['example.com', true],
  ])('%s -> %s', (ip, special) => {
    expect(isSpecialAddress(ip)).toBe(special);
  });

  it('names the kind', () => {
    expect(specialAddressKind('169.254.169.254')).toBe('cloud metadata');
    expect(specialAddressKind('8.8.8.8')).toBeUndefined();
  });
});

describe('network presets (profiles/network/*.json)', () => {
  it('ship npm, pypi and github; each parses, pins port 443 and is not a runnable profile', () => {
    expect(listNetworkPresets()).toEqual(expect.arrayContaining(['github', 'npm', 'pypi']));
    expect(listProfiles()).not.toContain('network');
    for (const name of listNetworkPresets()) {
      const r = resolveNetwork({ allow: [], deny: [], presets: [name] });
      expect(r.allow.length).toBeGreaterThan(0);
      for (const rule of r.allow) expect([rule.rule, rule.port]).toEqual([expect.stringMatching(new RegExp(`^network\\.presets: ${name} \\(`)), 443]);
    }
  });

  it('add to allow; the user\'s deny still wins over them', () => {
    const r = resolveNetwork({ allow: ['api.example.com'], deny: ['gist.github.com'], presets: ['npm', 'github'] });
    expect(decide('registry.npmjs.org', 443, r)).toMatchObject({ allowed: true, rule: 'network.presets: npm (registry.npmjs.org:443)' });
    expect(decide('api.github.com', 443, r).allowed).toBe(true);
    expect(decide('gist.github.com', 443, r)).toMatchObject({ allowed: false, rule: 'network.deny: gist.github.com' });
    expect(decide('registry.npmjs.org', 80, r).allowed).toBe(false);
  });

  it('an unknown preset is a PolicyError naming the field and the known ones', () => {
    const e = policyError(() => parsePolicy({ network: { presets: ['npm', 'cargo'] } }));
    expect(e.issues).toEqual([{ path: 'network.presets.1', message: 'unknown network preset "cargo"' }]);
    expect(e.hint).toMatch(/github, npm, pypi/);
  });
});

describe('resolution, CLI and the backends', () => {
  const tree = tempTrees();
  const host: LinuxHost = { bwrapPath: '/usr/bin/bwrap', supportsDisableUserns: true, euid: 1000, seccompFilter: new Uint8Array(16), hostStateDirs: [] };

  it('resolvePolicy carries canonical rules; the fail-fast env defaults apply only without allow rules', () => {
    const t = tree({ 'ws/': '' });
    const opts = { workspace: t.path('ws'), home: t.path('home'), env: { PATH: '/bin' } };
    const open = resolvePolicy({ network: { allow: ['0x7f.1:8080'], deny: ['EVIL.example.com.'] } }, opts);
    expect(open.network.allow.map((r) => [r.host, r.port])).toEqual([['127.0.0.1', 8080]]);
    expect(open.network.deny.map((r) => r.host)).toEqual(['evil.example.com']);
    expect(Object.keys(open.env)).not.toContain(NETWORK_NONE_ENV[0]!.name);
    const presetOnly = resolvePolicy({ network: { presets: ['npm'] } }, opts);
    expect(Object.keys(presetOnly.env)).not.toContain(NETWORK_NONE_ENV[0]!.name);
    const closed = resolvePolicy({ network: { deny: ['x.example.com'] } }, opts);
    expect(closed.env).toMatchObject({ [NETWORK_NONE_ENV[0]!.name]: NETWORK_NONE_ENV[0]!.value });
  });

  it('--allow-domain HOST[:PORT] (repeatable) adds to network.allow; an over-broad one is refused', () => {
    const { flags } = parseArgs(['--allow-domain', 'registry.npmjs.org', '--allow-domain=*.github.com:443', '--', 'true']);
    expect(policyFromFlags(flags).network.allow).toEqual(['registry.npmjs.org', '*.github.com:443']);
    const wide = parseArgs(['--allow-domain', '*', 'true']).flags;
    expect(policyError(() => policyFromFlags(wide))).toMatchObject({ code: 'ERR_CORDON_POLICY_TOO_BROAD', issues: [{ path: 'network.allow.0' }] });
  });

  it('both backends still refuse any allow rule (no proxy yet), naming the entries; presets too', () => {
    const t = tree({ 'ws/': '' });
    const resolved = resolvePolicy({ network: { allow: ['registry.npmjs.org', '127.0.0.1:8080'], presets: ['pypi'] } }, { workspace: t.path('ws'), home: t.path('home'), env: {} });
    const names = /network\.allow: registry\.npmjs\.org, network\.allow: 127\.0\.0\.1:8080, network\.presets: pypi \(pypi\.org:443\)/;
    expect(() => planLinux(resolved, { file: 'true', args: [] }, host)).toThrow(expect.objectContaining({ code: 'ERR_CORDON_UNENFORCEABLE', feature: 'network.allow', backend: 'linux', message: expect.stringMatching(names) }));
    const mac = resolvedFixture({ network: resolved.network });
    expect(() => planMacos(mac, { file: 'true', args: [] })).toThrow(expect.objectContaining({ code: 'ERR_CORDON_UNENFORCEABLE', feature: 'network.allow', backend: 'macos', message: expect.stringMatching(names) }));
    // Positive control: deny rules alone open nothing, and both plan.
    const denyOnly = resolvePolicy({ network: { deny: ['*'] } }, { workspace: t.path('ws'), home: t.path('home'), env: {} });
    expect(planLinux(denyOnly, { file: 'true', args: [] }, host).args).toContain('--unshare-net');
    expect(() => planMacos(resolvedFixture({ network: denyOnly.network }), { file: 'true', args: [] })).not.toThrow();
  });
});

describe('reasons name host:port as a URL would', () => {
  it('an IPv6 address is bracketed (`[::1]:9`, never the ambiguous `::1:9`), in the reason, the refusal line and the report', () => {
    const rules = parseNetworkRules({ allow: ['example.com'], deny: ['[::2]:80'] });
    expect(decide('::1', 9, rules).reason).toBe('[::1]:9 is not in network.allow');
    expect(decide('[::2]', 80, rules).reason).toBe('[::2]:80 is denied');
    expect(decide('127.0.0.1', 9, rules).reason).toBe('127.0.0.1:9 is not in network.allow');
    expect(formatDenials([{ kind: 'network', host: '::1', port: 9, rule: 'network.allow (no entry matches)', certainty: 'observed' }])).toContain('network [::1]:9 ');
  });
});

describe('inherited proxy variables', () => {
  const env = { PATH: '/usr/bin:/bin', HOME: '/nonexistent', HTTPS_PROXY: 'http://proxy.corp.example:3128', http_proxy: 'http://proxy.corp.example:3128', No_Proxy: '.corp.example', npm_config_proxy: 'http://proxy.corp.example:3128' };
  const proxyNames = (e: Record<string, string>) => Object.keys(e).filter((k) => /proxy/i.test(k)).sort();

  it('are dropped when there is no network: unreachable anyway, and tools would name the proxy instead of the host in their errors', () => {
    const policy = resolvePolicy({ workspaceAccess: 'read', read: { defaultSecrets: false } }, { workspace: '/', home: '/nonexistent', env });
    expect(proxyNames(policy.env)).toEqual([]);
    expect(policy.env['PATH']).toBe('/usr/bin:/bin');
  });

  it("are kept when env.pass names them (the caller's explicit choice wins, as in the env filter)", () => {
    const policy = resolvePolicy({ workspaceAccess: 'read', read: { defaultSecrets: false }, env: { pass: ['HTTPS_PROXY'] } }, { workspace: '/', home: '/nonexistent', env });
    expect(proxyNames(policy.env)).toEqual(['HTTPS_PROXY']);
  });

  it('are kept by resolution under an allowlist (the plan then replaces every one of them with the sandbox proxy)', () => {
    const policy = resolvePolicy({ workspaceAccess: 'read', read: { defaultSecrets: false }, network: { allow: ['example.com'] } }, { workspace: '/', home: '/nonexistent', env });
    expect(proxyNames(policy.env)).toEqual(['HTTPS_PROXY', 'No_Proxy', 'http_proxy', 'npm_config_proxy']);
  });
});

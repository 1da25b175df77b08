import { mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MacosBackend, planMacos } from '../../src/backends/macos/index.js';
import { buildProfile } from '../../src/backends/macos/profile.js';
import type { ProxyAccess } from '../../src/backends/types.js';
import { PolicyUnenforceableError, SandboxSetupError } from '../../src/errors.js';
import type { FilteringProxyServer } from '../../src/network/types.js';
import { parseNetworkRules } from '../../src/policy/network/patterns.js';
import { resolvePolicy } from '../../src/policy/resolve.js';
import type { ResolvedPolicy } from '../../src/policy/resolved.js';
import { checkProfile, profileOf, type ProfileParts } from '../sbpl/checks.js';
import { SeatbeltModel, type Target } from '../sbpl/decide.js';
import { resolvedFixture } from '../sbpl/fixtures.js';
import { readSbpl } from '../sbpl/reader.js';

/**
 * The macOS half of the network allowlist: the filtering proxy listens on the host's loopback,
 * the profile lets the command reach that one port and nothing else, and the env sends every
 * proxy-aware tool there with the credential. Checked on the profile text, through the
 * decision model, and on the plan; sandbox-exec itself only runs on a Mac.
 */

const cmd = { file: '/usr/bin/curl', args: ['https://registry.npmjs.org/'] };
const RUN_DIR = '/private/var/folders/xy/abc123/T/cr-0123abcd01';
const PORT = 43128;
const CREDENTIAL = 'Zm9vYmFyLWNyZWRlbnRpYWwtMDEyMw';
const ACCESS: ProxyAccess = { port: PORT, credential: CREDENTIAL };
const PROXY_URL = `http://cordon:${CREDENTIAL}@127.0.0.1:${PORT}`;
const GRANT = `(allow network-outbound (remote ip "localhost:${PORT}"))`;

const withAllowlist = (allow = ['registry.npmjs.org'], env?: Record<string, string>): ResolvedPolicy =>
  resolvedFixture({ network: parseNetworkRules({ allow, deny: [] }), ...(env === undefined ? {} : { env }) });
const planWith = (policy: ResolvedPolicy, access: ProxyAccess = ACCESS) => planMacos(policy, cmd, { sessionTag: 't', runDir: RUN_DIR }, access);
const modelOf = (parts: ProfileParts) => new SeatbeltModel(parts.text, parts.defines);
const connect = (address: string, port: number, protocol: 'tcp' | 'udp' = 'tcp'): Target => ({ socket: 'remote', ip: { address, port, protocol } });

describe('profile with a proxy', () => {
  const parts = profileOf(planWith(withAllowlist()));

  it("grants exactly the proxy's port on localhost, beside the run dir's unix sockets", () => {
    const grants = parts.text.split('\n').filter((l) => l.startsWith('(allow network') || l.startsWith('(allow system-socket'));
    expect(grants).toEqual([
      GRANT,
      '(allow system-socket (socket-domain AF_UNIX))',
      '(allow network-bind (local unix-socket (subpath (param "TMP_DIR_0"))))',
      '(allow network-outbound (remote unix-socket (subpath (param "TMP_DIR_0"))))',
    ]);
    // No other port, no other address form anywhere (comments included).
    expect(parts.text.match(/localhost:[0-9*]+/g)).toEqual([`localhost:${PORT}`, `localhost:${PORT}`]);
    expect(parts.text.match(/\((local|remote) (ip|tcp|udp)\b/g)).toEqual(['(remote ip']);
  });

  it('puts the grant after the network denial, so it is the one rule that opens anything', () => {
    const deny = parts.text.indexOf('(deny network* (with message "cordon:t:network"))');
    expect(deny).toBeGreaterThan(0);
    expect(parts.text.indexOf(GRANT)).toBeGreaterThan(deny);
  });

  it('parses, and passes every reader check', () => {
    expect(() => readSbpl(parts.text)).not.toThrow();
    expect(checkProfile(parts, withAllowlist())).toEqual([]);
  });

  it('is the profile without a proxy plus the grant and its comment, nothing else changed', () => {
    const without = profileOf(planMacos(resolvedFixture(), cmd, { sessionTag: 't', runDir: RUN_DIR }));
    const stripped = parts.text
      .replace('; Network: only the filtering proxy, which enforces network.allow; every other address (DNS included) is denied.', '; Network: none. A domain allowlist needs the filtering proxy (plan() refuses it).')
      .replace(`; The filtering proxy: localhost:${PORT} (127.0.0.1 and ::1), nothing else.\n${GRANT}\n`, '');
    expect(stripped).toBe(without.text);
    // The port is not a path: no new parameter.
    expect([...parts.defines]).toEqual([...without.defines]);
  });

  it('without a proxy there is no IP grant (byte-identical to the profile before proxies existed)', () => {
    const text = buildProfile(resolvedFixture(), 't', { runDir: RUN_DIR }).text;
    expect(text).toContain('; Network: none. A domain allowlist needs the filtering proxy (plan() refuses it).\n(deny network* (with message "cordon:t:network"))\n; Unix sockets:');
    expect(text).not.toContain('localhost');
    expect(text).not.toContain('remote ip');
  });

  it("refuses a port that is not a TCP port where it becomes SBPL text, not only in planMacos", () => {
    for (const proxyPort of [0, 70000, 1.5, Number.NaN, -1]) {
      expect(() => buildProfile(resolvedFixture(), 't', { runDir: RUN_DIR, proxyPort }), String(proxyPort)).toThrow(TypeError);
    }
  });
});

describe('decision model on the proxy profile', () => {
  const model = modelOf(profileOf(planWith(withAllowlist())));
  const outbound = (target: Target) => model.decide('network-outbound', target);

  it("allows TCP to the proxy's port on the loopback addresses", () => {
    expect(outbound(connect('127.0.0.1', PORT)).decision).toBe('allow');
    expect(outbound(connect('::1', PORT)).decision).toBe('allow');
    expect(outbound(connect('127.0.0.1', PORT)).rule).toBe(GRANT);
  });

  it('the same question is denied by a profile without the proxy (what the grant changes)', () => {
    const without = modelOf(profileOf(planMacos(resolvedFixture(), cmd, { sessionTag: 't', runDir: RUN_DIR })));
    expect(without.decide('network-outbound', connect('127.0.0.1', PORT)).decision).toBe('deny');
  });

  it.each([
    ['localhost, another port', connect('127.0.0.1', PORT + 1)],
    ['localhost, the port below', connect('127.0.0.1', PORT - 1)],
    ['an internet host on 443', connect('93.184.216.34', 443)],
    ["an internet host on the proxy's port number", connect('93.184.216.34', PORT)],
    ['the LAN', connect('192.168.1.1', 80)],
    ['cloud metadata', connect('169.254.169.254', 80)],
    ['UDP to another loopback port', connect('127.0.0.1', PORT + 1, 'udp')],
    ['DNS over UDP', connect('8.8.8.8', 53, 'udp')],
    ['DNS over TCP', connect('8.8.8.8', 53)],
    ['a local resolver on loopback', connect('127.0.0.1', 53, 'udp')],
    // A dual-stack client (JDK, gRPC) connects to 127.0.0.1 as ::ffff:127.0.0.1, which
    // Seatbelt's `localhost` is reported not to match: refused (README: limits).
    ['IPv4-mapped loopback', connect('::ffff:127.0.0.1', PORT)],
    ['DNS through mDNSResponder', { socket: 'remote', path: '/private/var/run/mDNSResponder' } satisfies Target],
    ["ssh-agent's socket in the shared tmp", { socket: 'remote', path: '/private/tmp/com.apple.launchd.abc/Listeners' } satisfies Target],
    ["docker's socket", { socket: 'remote', path: '/var/run/docker.sock' } satisfies Target],
  ])('denies %s, tagged as a network denial', (_what, target) => {
    const verdict = outbound(target);
    expect(verdict.decision).toBe('deny');
    expect(verdict.message).toBe('cordon:t:network');
  });

  it("still allows unix sockets under the run's own directory (positive control for the path cases)", () => {
    expect(outbound({ socket: 'remote', path: `${RUN_DIR}/pymp-abc/listener-1` }).decision).toBe('allow');
  });

  it('grants no bind or inbound: the command serves nothing, not even on the proxy port', () => {
    const local: Target = { socket: 'local', ip: { address: '127.0.0.1', port: PORT, protocol: 'tcp' } };
    expect(model.decide('network-bind', local).decision).toBe('deny');
    expect(model.decide('network-inbound', local).decision).toBe('deny');
    expect(model.decide('network-bind', { socket: 'local', ip: { address: '0.0.0.0', port: 8080, protocol: 'tcp' } }).decision).toBe('deny');
  });
});

describe('plan with a proxy', () => {
  const inherited = { PATH: '/usr/bin:/bin', HOME: '/Users/alice', HTTPS_PROXY: 'http://elsewhere:3128', Http_Proxy: 'http://elsewhere:3128', no_proxy: '.corp', NODE_USE_ENV_PROXY: '0' };
  const plan = planWith(withAllowlist(['registry.npmjs.org'], inherited));

  it('points every proxy variable at the proxy, with the credential', () => {
    for (const name of ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY', 'npm_config_proxy', 'npm_config_https_proxy']) {
      expect(plan.env[name], name).toBe(PROXY_URL);
    }
    expect(plan.env.ALL_PROXY).toBe(`socks5h://cordon:${CREDENTIAL}@127.0.0.1:${PORT}`);
    expect(plan.env.all_proxy).toBe(plan.env.ALL_PROXY);
    expect(plan.env.NODE_USE_ENV_PROXY).toBe('1');
  });

  it('replaces inherited proxy variables, in any letter case, and keeps the rest of the env', () => {
    expect(plan.env).not.toHaveProperty('Http_Proxy');
    expect(Object.values(plan.env).join(' ')).not.toContain('elsewhere');
    expect(plan.env.no_proxy).toBe('localhost,127.0.0.1,::1');
    expect(plan.env.PATH).toBe('/usr/bin:/bin');
    expect([plan.env.TMPDIR, plan.env.TMP, plan.env.TEMP]).toEqual([RUN_DIR, RUN_DIR, RUN_DIR]);
  });

  it('sends loopback through the proxy when the policy allows a service on the host loopback', () => {
    const env = planWith(withAllowlist(['registry.npmjs.org', 'localhost:5432'])).env;
    expect([env.no_proxy, env.NO_PROXY]).toEqual(['', '']);
  });

  it('carries the proxy access; a plan without one carries none', () => {
    expect(plan.proxy).toEqual(ACCESS);
    expect(planMacos(resolvedFixture(), cmd)).not.toHaveProperty('proxy');
  });

  it('is what MacosBackend.plan returns for the same inputs', () => {
    const backend = new MacosBackend();
    const policy = withAllowlist();
    expect(backend.plan(policy, cmd, { sessionTag: 't', runDir: RUN_DIR }, ACCESS)).toEqual(planWith(policy));
  });
});

describe('fail closed', () => {
  it('refuses an allowlist without a proxy (ERR_CORDON_UNENFORCEABLE)', () => {
    const policy = withAllowlist();
    expect(() => planMacos(policy, cmd, { runDir: RUN_DIR })).toThrow(PolicyUnenforceableError);
    expect(() => planMacos(policy, cmd, { runDir: RUN_DIR })).toThrow(expect.objectContaining({ code: 'ERR_CORDON_UNENFORCEABLE', feature: 'network.allow', backend: 'macos' }));
    // Positive control: the same policy plans once the proxy is given.
    expect(() => planWith(policy)).not.toThrow();
  });

  it.each([0, 70000, 1.5, -1, Number.NaN, '43128' as unknown as number])('refuses proxy port %s', (port) => {
    expect(() => planWith(withAllowlist(), { port, credential: CREDENTIAL })).toThrow(/proxy\.port .* is not a TCP port/);
  });

  it('accepts the ends of the port range', () => {
    for (const port of [1, 65535]) expect(profileOf(planWith(withAllowlist(), { port, credential: CREDENTIAL })).text).toContain(`"localhost:${port}"`);
  });

  it('refuses a proxy for a policy without allow rules (a caller bug)', () => {
    expect(() => planWith(resolvedFixture())).toThrow(/without network\.allow/);
    expect(() => planWith(resolvedFixture({ network: parseNetworkRules({ allow: [], deny: ['github.com'] }) }))).toThrow(TypeError);
  });

  it("refuses a proxy without a credential: it listens on the host's loopback", () => {
    expect(() => planWith(withAllowlist(), { port: PORT })).toThrow(/credential/);
    expect(() => planWith(withAllowlist(), { port: PORT, credential: '' })).toThrow(TypeError);
    // A credential that cannot sit in a proxy URL unescaped is refused by proxy-env.ts.
    expect(() => planWith(withAllowlist(), { port: PORT, credential: 'a b@c' })).toThrow(RangeError);
  });
});

describe('MacosBackend.proxyAccess', () => {
  /** A FilteringProxyServer stand-in: only what proxyAccess uses does anything. */
  const standIn = (credential: string | null) => {
    const listened: number[] = [];
    const server: FilteringProxyServer = {
      credential,
      listenOnLoopback: () => {
        listened.push(PORT);
        return PORT;
      },
      acceptOn: async () => {},
      denials: () => [],
      droppedDenials: () => 0,
      close: async () => {},
    };
    return { server, listened };
  };

  it('asks for a credential', () => {
    expect(new MacosBackend().proxyNeedsCredential).toBe(true);
  });

  it("listens on the host's loopback now and returns that port with the credential", () => {
    const { server, listened } = standIn(CREDENTIAL);
    expect(new MacosBackend().proxyAccess(server)).toEqual({ port: PORT, credential: CREDENTIAL });
    expect(listened).toEqual([PORT]);
  });

  it('refuses a proxy without a credential, before it listens', () => {
    const { server, listened } = standIn(null);
    expect(() => new MacosBackend().proxyAccess(server)).toThrow(SandboxSetupError);
    expect(() => new MacosBackend().proxyAccess(server)).toThrow(expect.objectContaining({ code: 'ERR_CORDON_SETUP_FAILED' }));
    expect(listened).toEqual([]);
  });
});

describe('a resolved policy with an allowlist', () => {
  const root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'cordon-macos-allowlist-')));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const home = path.join(root, 'home');
  const workspace = path.join(home, 'proj');
  mkdirSync(workspace, { recursive: true });
  const resolved = resolvePolicy({ network: { allow: ['registry.npmjs.org'] } }, { workspace, home, env: { HOME: home, PATH: '/usr/bin:/bin', HTTPS_PROXY: 'http://elsewhere:3128' } });

  it('plans through the proxy: grant, env and reader checks', () => {
    const plan = planMacos(resolved, cmd, { sessionTag: 't', runDir: RUN_DIR }, ACCESS);
    const parts = profileOf(plan);
    expect(checkProfile(parts, resolved)).toEqual([]);
    expect(modelOf(parts).decide('network-outbound', connect('127.0.0.1', PORT)).decision).toBe('allow');
    expect(modelOf(parts).decide('network-outbound', connect('104.16.0.35', 443)).decision).toBe('deny');
    expect(plan.env.HTTPS_PROXY).toBe(PROXY_URL);
    expect(() => planMacos(resolved, cmd, { runDir: RUN_DIR })).toThrow(PolicyUnenforceableError);
  });
});

describe('decision model: internet-socket filters', () => {
  const model = (...rules: string[]) => new SeatbeltModel(['(version 1)', '(deny default)', ...rules].join('\n'), new Map());
  const decide = (m: SeatbeltModel, op: string, target: Target) => m.decide(op, target).decision;

  it('`ip` is any transport, `tcp` and `udp` only theirs', () => {
    const ip = model('(allow network-outbound (remote ip "localhost:80"))');
    const tcp = model('(allow network-outbound (remote tcp "localhost:80"))');
    const udp = model('(allow network-outbound (remote udp "localhost:80"))');
    expect([decide(ip, 'network-outbound', connect('127.0.0.1', 80)), decide(ip, 'network-outbound', connect('127.0.0.1', 80, 'udp'))]).toEqual(['allow', 'allow']);
    expect([decide(tcp, 'network-outbound', connect('127.0.0.1', 80)), decide(tcp, 'network-outbound', connect('127.0.0.1', 80, 'udp'))]).toEqual(['allow', 'deny']);
    expect([decide(udp, 'network-outbound', connect('127.0.0.1', 80)), decide(udp, 'network-outbound', connect('127.0.0.1', 80, 'udp'))]).toEqual(['deny', 'allow']);
  });

  it('`*` is the only wildcard, for host or port; no address means any', () => {
    const anyPort = model('(allow network-outbound (remote tcp "localhost:*"))');
    expect(decide(anyPort, 'network-outbound', connect('::1', 5432))).toBe('allow');
    expect(decide(anyPort, 'network-outbound', connect('10.0.0.1', 5432))).toBe('deny');
    const anyHost = model('(allow network-outbound (remote tcp "*:443"))');
    expect(decide(anyHost, 'network-outbound', connect('93.184.216.34', 443))).toBe('allow');
    expect(decide(anyHost, 'network-outbound', connect('93.184.216.34', 80))).toBe('deny');
    const any = model('(allow network-outbound (remote tcp))');
    expect(decide(any, 'network-outbound', connect('93.184.216.34', 1))).toBe('allow');
    expect(decide(any, 'network-outbound', connect('93.184.216.34', 1, 'udp'))).toBe('deny');
  });

  it('throws on an address sandbox-exec would reject, rather than guess', () => {
    for (const address of ['127.0.0.1:80', '::1:80', 'example.com:443', 'localhost:0', 'localhost:70000', 'localhost:8o', 'localhost']) {
      const m = model(`(allow network-outbound (remote tcp "${address}"))`);
      expect(() => m.decide('network-outbound', connect('127.0.0.1', 80)), address).toThrow(/sandbox-exec rejects/);
    }
  });

  it('a loopback spelling not known to match `localhost` is unknown: no allow, but a deny', () => {
    const allow = model('(allow network-outbound (remote tcp "localhost:80"))');
    const deny = model('(allow network-outbound (remote tcp "*:80"))', '(deny network-outbound (remote tcp "localhost:80"))');
    for (const address of ['127.0.0.2', '::ffff:127.0.0.1', '0:0:0:0:0:ffff:7f00:1']) {
      expect(decide(allow, 'network-outbound', connect(address, 80)), address).toBe('deny');
      expect(decide(deny, 'network-outbound', connect(address, 80)), address).toBe('deny');
    }
    // Positive control: an ordinary address is not loopback, so the deny does not apply.
    expect(decide(deny, 'network-outbound', connect('93.184.216.34', 80))).toBe('allow');
  });

  it('local and remote are different ends; unix-socket and internet filters never cross', () => {
    const m = model('(allow network-bind (local tcp "localhost:8080"))', '(allow network-outbound (remote unix-socket))');
    expect(decide(m, 'network-bind', { socket: 'local', ip: { address: '127.0.0.1', port: 8080, protocol: 'tcp' } })).toBe('allow');
    expect(decide(m, 'network-bind', { socket: 'remote', ip: { address: '127.0.0.1', port: 8080, protocol: 'tcp' } })).toBe('deny');
    // `localhost` in a local filter is reported to admit more than loopback: unknown, so no allow.
    expect(decide(m, 'network-bind', { socket: 'local', ip: { address: '0.0.0.0', port: 8080, protocol: 'tcp' } })).toBe('deny');
    expect(decide(m, 'network-outbound', { socket: 'remote', path: '/private/tmp/x.sock' })).toBe('allow');
    expect(decide(m, 'network-outbound', connect('127.0.0.1', 8080))).toBe('deny');
  });
});

import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { NODE_FETCH_PRELOAD, requireOption, withNodeFetchPreload } from '../../src/network/node-fetch-preload.js';
import { startFilteringProxy, type Decide, type FilteringProxy, type Resolve } from '../../src/network/proxy.js';
import { networkDecider } from '../../src/policy/network/decide.js';
import { parseNetworkRules } from '../../src/policy/network/patterns.js';
import { listenCounting } from '../helpers/counting-server.js';
import { hasCommand } from '../helpers/has-command.js';

/**
 * The fetch preload (preload/node-fetch-proxy.cjs) in real node processes against cordon's
 * filtering proxy and servers on 127.0.0.1 only. Names such as allowed.test are resolved by
 * the proxy's injected resolver alone: a child that reached one did so through the proxy.
 */

const LOCAL = '127.0.0.1';
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
/** Node's own fetch honours NODE_USE_ENV_PROXY here (24.0+, 22.21+): the preload steps aside. */
const nativeEnvProxy = major >= 24 || (major === 22 && minor >= 21);
const hasOpenssl = hasCommand('openssl', 'version');

// ---- servers and proxy --------------------------------------------------------------------

interface Upstream {
  port: number;
  connections: number;
  log: string[];
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

async function listen(server: net.Server, upstream: Upstream): Promise<Upstream> {
  cleanups.push(await listenCounting(server, upstream));
  return upstream;
}

/** Answers `hello METHOD URL host=HOST`; logs the same line. */
function handler(upstream: Upstream): http.RequestListener {
  return (req, res) => {
    const line = `${req.method} ${req.url} host=${req.headers.host}`;
    upstream.log.push(line);
    res.end(`hello ${line}`);
  };
}

async function httpUpstream(): Promise<Upstream> {
  const upstream: Upstream = { port: 0, connections: 0, log: [] };
  return listen(http.createServer(handler(upstream)), upstream);
}

let tlsDir: string | undefined;
/** A self-signed certificate for 127.0.0.1 and allowed.test (not other.test). */
function certificate(): { key: string; cert: string } {
  if (!tlsDir) {
    tlsDir = mkdtempSync(path.join(os.tmpdir(), 'cordon-fetch-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(tlsDir, 'key.pem'), '-out', path.join(tlsDir, 'cert.pem'), '-days', '1', '-subj', '/CN=allowed.test', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:allowed.test'], { stdio: 'ignore' });
  }
  return { key: path.join(tlsDir, 'key.pem'), cert: path.join(tlsDir, 'cert.pem') };
}
afterAll(() => {
  if (tlsDir) rmSync(tlsDir, { recursive: true, force: true });
});

async function tlsUpstream(): Promise<Upstream> {
  const files = certificate();
  const upstream: Upstream = { port: 0, connections: 0, log: [] };
  return listen(https.createServer({ key: readFileSync(files.key), cert: readFileSync(files.cert) }, handler(upstream)), upstream);
}

/** The policy's own decide for `allow`, counting each target it is asked about. */
function counted(allow: readonly string[]): Decide & { targets: string[] } {
  const policy = networkDecider(parseNetworkRules({ allow, deny: [] }));
  const targets: string[] = [];
  const decide = ((host: string, port: number, addresses?: readonly string[]) => {
    if (addresses === undefined) targets.push(`${host}:${port}`);
    return policy(host, port, addresses);
  }) as Decide & { targets: string[] };
  decide.targets = targets;
  return decide;
}

/** Only the names the tests use, all on 127.0.0.1; anything else fails like ENOTFOUND. */
const resolve: Resolve = async (host) => {
  if (host === 'allowed.test' || host === 'other.test' || host === LOCAL) return [LOCAL];
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
};

async function proxyFor(decide: Decide): Promise<FilteringProxy> {
  const proxy = await startFilteringProxy({ decide, resolve });
  cleanups.push(() => proxy.close());
  return proxy;
}

// ---- node children ------------------------------------------------------------------------

/** The proxy variables cordon sets (src/network/proxy-env.ts), without NO_PROXY unless given. */
function proxyVariables(proxy: FilteringProxy, credential = proxy.credential, noProxy = ''): Record<string, string> {
  const url = `http://cordon:${credential}@${LOCAL}:${proxy.port}`;
  return { http_proxy: url, HTTP_PROXY: url, https_proxy: url, HTTPS_PROXY: url, ALL_PROXY: `socks5h://cordon:${credential}@${LOCAL}:${proxy.port}`, no_proxy: noProxy, NO_PROXY: noProxy, NODE_USE_ENV_PROXY: '1' };
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `node -e script` with exactly `env` (plus PATH): nothing inherited from the test runner. */
function node(script: string, env: Record<string, string>): Promise<Run> {
  return new Promise((done) => {
    execFile(process.execPath, ['-e', script], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, timeout: 20_000 }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** Prints the body, or `FAILED <message> | <cause message>` and exits 3. */
const fetchScript = (url: string): string =>
  `fetch(${JSON.stringify(url)}).then((r) => r.text()).then((t) => console.log(t), (e) => { console.log('FAILED', e.message, '|', e.cause && (e.cause.code || ''), e.cause && e.cause.message); process.exitCode = 3; })`;

const settle = (ms = 100): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---- tests --------------------------------------------------------------------------------

describe('withNodeFetchPreload', () => {
  it('adds --require=<absolute preload> after the caller\'s NODE_OPTIONS, or sets it', () => {
    expect(path.isAbsolute(NODE_FETCH_PRELOAD)).toBe(true);
    expect(NODE_FETCH_PRELOAD.endsWith(path.join('preload', 'node-fetch-proxy.cjs'))).toBe(true);
    expect(withNodeFetchPreload({ A: '1' })).toEqual({ A: '1', NODE_OPTIONS: `--require=${NODE_FETCH_PRELOAD}` });
    expect(withNodeFetchPreload({ NODE_OPTIONS: '--max-old-space-size=100' }).NODE_OPTIONS).toBe(`--max-old-space-size=100 --require=${NODE_FETCH_PRELOAD}`);
    const once = withNodeFetchPreload({ NODE_OPTIONS: '--max-old-space-size=100' });
    expect(withNodeFetchPreload(once)).toEqual(once);
  });

  it('quotes a path with a space, a quote or a backslash as NODE_OPTIONS splitting needs; refuses a relative one', () => {
    expect(requireOption('/opt/cordon/preload/x.cjs')).toBe('--require=/opt/cordon/preload/x.cjs');
    expect(requireOption('/Users/Jane Doe/x.cjs')).toBe('--require "/Users/Jane Doe/x.cjs"');
    expect(requireOption('/a"b\\c/x.cjs')).toBe('--require "/a\\"b\\\\c/x.cjs"');
    expect(() => requireOption('preload/x.cjs')).toThrow(TypeError);
  });

  it('the caller\'s --max-old-space-size=100 still applies in the child, and the preload loads', async () => {
    const proxy = await proxyFor(counted([]));
    const env = withNodeFetchPreload({ NODE_OPTIONS: '--max-old-space-size=100', ...proxyVariables(proxy) });
    const run = await node("console.log(Math.round(require('v8').getHeapStatistics().heap_size_limit / 2 ** 20), require.cache[process.env.PRELOAD] !== undefined)", { ...env, PRELOAD: NODE_FETCH_PRELOAD });
    const [limit, loaded] = run.stdout.trim().split(' ');
    // heap_size_limit is the old space plus young-generation overhead: about 100 + 16 MiB.
    expect(Number(limit)).toBeGreaterThanOrEqual(100);
    expect(Number(limit)).toBeLessThan(200);
    expect(loaded).toBe('true');
  });

  it.skipIf(nativeEnvProxy)('a preload under a path with a space and a quote loads through the quoted option', async () => {
    const upstream = await httpUpstream();
    const decide = counted([`${LOCAL}:${upstream.port}`]);
    const proxy = await proxyFor(decide);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cordon fetch "q" '));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(path.join(dir, 'preload'));
    const copy = path.join(dir, 'preload', 'node-fetch-proxy.cjs');
    copyFileSync(NODE_FETCH_PRELOAD, copy);
    const run = await node(fetchScript(`http://${LOCAL}:${upstream.port}/spaced`), withNodeFetchPreload(proxyVariables(proxy), copy));
    expect(run.stdout).toBe(`hello GET /spaced host=${LOCAL}:${upstream.port}\n`);
    expect(decide.targets).toEqual([`${LOCAL}:${upstream.port}`]);
  });
});

describe.skipIf(nativeEnvProxy)(`fetch through the preload (Node ${process.versions.node}, whose fetch ignores proxy variables)`, () => {
  it('an allowed http target is reached through the proxy: exactly one request, judged once by the proxy', async () => {
    const upstream = await httpUpstream();
    const decide = counted([`${LOCAL}:${upstream.port}`]);
    const proxy = await proxyFor(decide);
    const run = await node(fetchScript(`http://${LOCAL}:${upstream.port}/x`), withNodeFetchPreload(proxyVariables(proxy)));
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe(`hello GET /x host=${LOCAL}:${upstream.port}\n`);
    expect(upstream.log).toEqual([`GET /x host=${LOCAL}:${upstream.port}`]);
    expect(decide.targets).toEqual([`${LOCAL}:${upstream.port}`]);
    expect(proxy.denials()).toEqual([]);
  });

  it('control: without the preload the same fetch goes direct and the proxy never hears of it', async () => {
    const upstream = await httpUpstream();
    const decide = counted([`${LOCAL}:${upstream.port}`]);
    const proxy = await proxyFor(decide);
    const run = await node(fetchScript(`http://${LOCAL}:${upstream.port}/direct`), proxyVariables(proxy));
    expect(run.stdout).toBe(`hello GET /direct host=${LOCAL}:${upstream.port}\n`);
    expect(decide.targets).toEqual([]);
  });

  it('a name only the proxy can resolve is reached (the child never looks it up)', async () => {
    const upstream = await httpUpstream();
    const decide = counted([`allowed.test:${upstream.port}`, `${LOCAL}:${upstream.port}`]);
    const proxy = await proxyFor(decide);
    const run = await node(fetchScript(`http://allowed.test:${upstream.port}/named`), withNodeFetchPreload(proxyVariables(proxy)));
    expect(run.stdout).toBe(`hello GET /named host=allowed.test:${upstream.port}\n`);
    expect(decide.targets).toEqual([`allowed.test:${upstream.port}`]);
    // Control: without the preload the child resolves the name itself, and cannot.
    const without = await node(fetchScript(`http://allowed.test:${upstream.port}/named`), proxyVariables(proxy));
    expect(without.stdout).toMatch(/^FAILED fetch failed \| (ENOTFOUND|EAI_AGAIN) /);
    expect(upstream.log).toEqual([`GET /named host=allowed.test:${upstream.port}`]);
  });

  it('a port the policy refuses fails the fetch with the proxy\'s reason; the upstream logs nothing', async () => {
    const upstream = await httpUpstream();
    const other = await httpUpstream();
    const decide = counted([`${LOCAL}:${other.port}`]);
    const proxy = await proxyFor(decide);
    const run = await node(fetchScript(`http://${LOCAL}:${upstream.port}/refused`), withNodeFetchPreload(proxyVariables(proxy)));
    expect(run.code).toBe(3);
    expect(run.stdout).toContain(`FAILED fetch failed |  cordon: the proxy refused CONNECT ${LOCAL}:${upstream.port}: HTTP/1.1 403 Forbidden (cordon: network access to ${LOCAL}:${upstream.port} refused by network.allow`);
    await settle();
    expect(upstream.connections).toBe(0);
    expect(proxy.denials()).toMatchObject([{ kind: 'network', host: LOCAL, port: upstream.port }]);
    // Control: the allowed port, same proxy, same child.
    const allowed = await node(fetchScript(`http://${LOCAL}:${other.port}/ok`), withNodeFetchPreload(proxyVariables(proxy)));
    expect(allowed.stdout).toBe(`hello GET /ok host=${LOCAL}:${other.port}\n`);
  });

  it('a wrong credential fails the fetch (407), never a direct connection', async () => {
    const upstream = await httpUpstream();
    const proxy = await proxyFor(counted([`${LOCAL}:${upstream.port}`]));
    const run = await node(fetchScript(`http://${LOCAL}:${upstream.port}/`), withNodeFetchPreload(proxyVariables(proxy, 'W'.repeat(43))));
    expect(run.stdout).toContain('HTTP/1.1 407 Proxy Authentication Required');
    await settle();
    expect(upstream.connections).toBe(0);
  });

  it.skipIf(!hasOpenssl)('https: TLS inside the CONNECT tunnel, the certificate checked against the target name', async () => {
    const upstream = await tlsUpstream();
    const decide = counted([`allowed.test:${upstream.port}`, `other.test:${upstream.port}`, `${LOCAL}:${upstream.port}`]);
    const proxy = await proxyFor(decide);
    const env = { ...withNodeFetchPreload(proxyVariables(proxy)), NODE_EXTRA_CA_CERTS: certificate().cert };
    const run = await node(fetchScript(`https://allowed.test:${upstream.port}/secure`), env);
    expect(run.stdout).toBe(`hello GET /secure host=allowed.test:${upstream.port}\n`);
    // Same server, a name its certificate does not carry: refused by the TLS check in the child.
    const wrongName = await node(fetchScript(`https://other.test:${upstream.port}/secure`), env);
    expect(wrongName.stdout).toMatch(/^FAILED fetch failed \| ERR_TLS_CERT_ALTNAME_INVALID .*other\.test/);
    expect(decide.targets).toEqual([`allowed.test:${upstream.port}`, `other.test:${upstream.port}`]);
    expect(upstream.log).toEqual([`GET /secure host=allowed.test:${upstream.port}`]);
  });

  it('NO_PROXY hosts are dialled directly (cordon lists the sandbox\'s own loopback there)', async () => {
    const upstream = await httpUpstream();
    const decide = counted([`${LOCAL}:${upstream.port}`]);
    const proxy = await proxyFor(decide);
    const run = await node(fetchScript(`http://${LOCAL}:${upstream.port}/local`), withNodeFetchPreload(proxyVariables(proxy, proxy.credential, 'localhost,127.0.0.1,::1')));
    expect(run.stdout).toBe(`hello GET /local host=${LOCAL}:${upstream.port}\n`);
    expect(decide.targets).toEqual([]);
  });

  it('a fetch captured before the first call works; afterwards globalThis.fetch is Node\'s own again', async () => {
    const upstream = await httpUpstream();
    const decide = counted([`${LOCAL}:${upstream.port}`]);
    const proxy = await proxyFor(decide);
    const script = [
      'const early = fetch;',
      `early(${JSON.stringify(`http://${LOCAL}:${upstream.port}/1`)}).then((r) => r.text()).then(async (first) => {`,
      '  const slot = Object.getOwnPropertyDescriptor(globalThis, "fetch");',
      `  const second = await (await fetch(${JSON.stringify(`http://${LOCAL}:${upstream.port}/2`)})).text();`,
      '  console.log(JSON.stringify([first, second, slot.writable && slot.configurable && slot.enumerable, slot.value !== early, fetch.length]));',
      '});',
    ].join('\n');
    const run = await node(script, withNodeFetchPreload(proxyVariables(proxy)));
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual([`hello GET /1 host=${LOCAL}:${upstream.port}`, `hello GET /2 host=${LOCAL}:${upstream.port}`, true, true, 1]);
    expect(upstream.log.length).toBe(2);
  });

  it('undici already loaded before the first fetch (a Headers access) still routes through the proxy', async () => {
    const upstream = await httpUpstream();
    const decide = counted([`${LOCAL}:${upstream.port}`]);
    const proxy = await proxyFor(decide);
    const run = await node(`new Headers(); ${fetchScript(`http://${LOCAL}:${upstream.port}/late`)}`, withNodeFetchPreload(proxyVariables(proxy)));
    expect(run.stdout).toBe(`hello GET /late host=${LOCAL}:${upstream.port}\n`);
    expect(decide.targets).toEqual([`${LOCAL}:${upstream.port}`]);
  });

  it('a process that never calls fetch never loads undici; without proxy variables fetch is not even wrapped', async () => {
    const probe = "console.log(globalThis[Symbol.for('undici.globalDispatcher.1')] === undefined, /fetchImpl/.test(String(globalThis.fetch)))";
    const proxy = await proxyFor(counted([]));
    const wrapped = await node(probe, withNodeFetchPreload(proxyVariables(proxy)));
    expect(wrapped.stdout).toBe('true false\n');
    const untouched = await node(probe, withNodeFetchPreload({}));
    expect(untouched.stdout).toBe('true true\n');
  });
});

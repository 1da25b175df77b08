import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFilteringProxy, type Decide, type FilteringProxy, type Resolve } from '../../src/network/proxy.js';
import { listenCounting } from '../helpers/counting-server.js';
import { hasCommand } from '../helpers/has-command.js';

/**
 * The filtering proxy of issue 10 on its own (not yet wired into sandboxedSpawn): real clients
 * (curl, Node's http) against real servers on 127.0.0.1, judged on the servers afterwards (did
 * a connection arrive?). Every target is on 127.0.0.1; 10.0.0.5 only ever appears as an answer
 * of the injected resolver, which the proxy must refuse without dialling.
 */

const LOCAL = '127.0.0.1';
// The system Python (not a pyenv shim, which the unprivileged CI user cannot read).
const PYTHON = '/usr/bin/python3';
const hasCurl = hasCommand('curl', '--version');
const hasOpenssl = hasCommand('openssl', 'version');

// ---- servers that log every connection they accept -------------------------------------

interface Logged {
  port: number;
  /** Connections accepted (any byte or none). */
  connections: number;
  /** Request lines (HTTP servers) or received text (echo server). */
  log: string[];
  close(): Promise<void>;
}

async function listenLogged(server: net.Server, logged: Logged): Promise<Logged> {
  logged.close = await listenCounting(server, logged);
  return logged;
}

function blank(): Logged {
  return { port: 0, connections: 0, log: [], close: async () => undefined };
}

/** An HTTP server that answers `hello from PORT: METHOD PATH (Host: ...)`. */
async function httpTarget(): Promise<Logged> {
  const logged = blank();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      logged.log.push(`${req.method} ${req.url} host=${req.headers.host} auth=${req.headers['proxy-authorization'] ?? '-'} body=${body}`);
      res.end(`hello from ${logged.port}: ${req.method} ${req.url} (Host: ${req.headers.host})`);
    });
  });
  return listenLogged(server, logged);
}

/** A TCP echo server; when the client half-closes it sends `|bye` and then ends its side. */
async function echoTarget(): Promise<Logged> {
  const logged = blank();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('data', (chunk) => {
      logged.log.push(chunk.toString());
      socket.write(chunk);
    });
    socket.on('end', () => socket.end('|bye'));
    socket.on('error', () => undefined);
  });
  return listenLogged(server, logged);
}

let tlsDir: string | undefined;
async function tlsTarget(): Promise<Logged> {
  if (!tlsDir) {
    tlsDir = mkdtempSync(path.join(os.tmpdir(), 'cordon-proxy-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(tlsDir, 'key.pem'), '-out', path.join(tlsDir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:allowed.test'], { stdio: 'ignore' });
  }
  const logged = blank();
  const server = https.createServer({ key: readFileSync(path.join(tlsDir, 'key.pem')), cert: readFileSync(path.join(tlsDir, 'cert.pem')) }, (req, res) => {
    logged.log.push(`${req.method} ${req.url}`);
    res.end(`tls hello: ${req.method} ${req.url}`);
  });
  // Count TCP connections, not only TLS ones.
  return listenLogged(server, logged);
}

// ---- policy stubs (the real rules live in src/policy/network-rules.ts, another helper's) ---

const SPECIAL_V4 = [/^10\./, /^192\.168\./, /^172\.(1[6-9]|2\d|3[01])\./, /^169\.254\./, /^0\./];

/**
 * Allows exactly the listed `host:port` pairs. With `refuseSpecial` (the default), a resolved
 * address in a private or link-local range is refused, as the real rules refuse a listed name
 * that resolves there (loopback stays allowed here because every test server is on 127.0.0.1).
 */
function allowOnly(entries: readonly string[], refuseSpecial = true): Decide & { calls: Array<{ host: string; port: number; addresses?: readonly string[] }> } {
  const calls: Array<{ host: string; port: number; addresses?: readonly string[] }> = [];
  const decide = ((host: string, port: number, addresses?: readonly string[]) => {
    calls.push({ host, port, addresses });
    if (!entries.includes(`${host}:${port}`)) return { allowed: false, rule: 'network.allow', reason: `${host}:${port} is not on the allow list` };
    const special = addresses?.find((a) => SPECIAL_V4.some((re) => re.test(a)));
    if (refuseSpecial && special) return { allowed: false, rule: 'network: private address', reason: `${host} resolves to ${special}` };
    return { allowed: true, rule: `network.allow ${host}:${port}` };
  }) as Decide & { calls: typeof calls };
  decide.calls = calls;
  return decide;
}

/** A resolver with a fixed table and a call log; names not in the table fail like ENOTFOUND. */
function tableResolver(table: Record<string, string[] | (() => string[])>): Resolve & { calls: string[] } {
  const calls: string[] = [];
  const resolve = (async (host: string) => {
    calls.push(host);
    const entry = table[host];
    if (!entry) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return typeof entry === 'function' ? entry() : entry;
  }) as Resolve & { calls: string[] };
  resolve.calls = calls;
  return resolve;
}

// ---- clients ------------------------------------------------------------------------------

interface CurlResult {
  code: number;
  stdout: string;
  stderr: string;
}

function curl(args: readonly string[]): Promise<CurlResult> {
  return new Promise((resolve) => {
    execFile('curl', ['-sS', '--max-time', '10', '--noproxy', '', ...args], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

const basic = (credential: string): string => `Basic ${Buffer.from(`cordon:${credential}`).toString('base64')}`;

/** Node's http.request through the proxy (absolute-form request target). */
function nodeGet(proxy: FilteringProxy, url: string, auth: string | null = basic(proxy.credential!)): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const request = http.request({ host: LOCAL, port: proxy.port, method: 'GET', path: url, agent: false, headers: { Host: target.host, ...(auth ? { 'Proxy-Authorization': auth } : {}) } }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    request.on('error', reject);
    request.end();
  });
}

/** Opens a CONNECT tunnel by hand; resolves with the socket and the proxy's status line. */
function rawConnect(proxy: FilteringProxy, authority: string, auth = basic(proxy.credential!)): Promise<{ socket: net.Socket; status: string; rest: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: LOCAL, port: proxy.port, allowHalfOpen: true });
    let received = '';
    const onData = (chunk: Buffer): void => {
      received += chunk.toString('latin1');
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      resolve({ socket, status: received.slice(0, received.indexOf('\r\n')), rest: received.slice(end + 4) });
    };
    socket.on('data', onData);
    socket.on('error', reject);
    // Half-open only while the test wants it: once the proxy ends its side, end ours too.
    socket.on('end', () => socket.end());
    socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\nProxy-Authorization: ${auth}\r\n\r\n`);
  });
}

function readAll(socket: net.Socket, initial = ''): Promise<string> {
  return new Promise((resolve) => {
    let text = initial;
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('end', () => resolve(text));
    socket.on('close', () => resolve(text));
  });
}

const settle = (ms = 100): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// ---- a guard on every connection this process makes ----------------------------------------

/**
 * The proxy runs in this process, so every connection it dials goes through
 * net.Socket.prototype.connect. The guard logs each address and refuses (throws, as net.connect
 * does for bad arguments) anything but 127.0.0.1, so that even a broken proxy under test never
 * sends a packet to 10.0.0.5; the log is the evidence that nothing was dialled.
 */
const dialled: string[] = [];
const originalConnect = net.Socket.prototype.connect;
beforeAll(() => {
  net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
    // net.connect() passes its normalised [options, callback] array as the first argument.
    const first = Array.isArray(args[0]) ? args[0][0] : args[0];
    const host = typeof first === 'object' && first !== null ? (first as { host?: string; path?: string }).host ?? ((first as { path?: string }).path ? 'unix' : 'localhost') : typeof args[1] === 'string' ? args[1] : 'localhost';
    dialled.push(host);
    if (host !== LOCAL) throw new Error(`test guard: refusing to dial ${host}`);
    return (originalConnect as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof net.Socket.prototype.connect;
});
afterAll(() => {
  net.Socket.prototype.connect = originalConnect;
});

// ---- tests --------------------------------------------------------------------------------

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});
afterAll(() => {
  if (tlsDir) rmSync(tlsDir, { recursive: true, force: true });
});

async function serve<T extends Logged>(make: Promise<T>): Promise<T> {
  const server = await make;
  cleanups.push(() => server.close());
  return server;
}

async function proxyWith(decide: Decide, resolve?: Resolve, limits?: Parameters<typeof startFilteringProxy>[0]['limits']): Promise<FilteringProxy> {
  const proxy = await startFilteringProxy({ decide, resolve, limits });
  cleanups.push(() => proxy.close());
  return proxy;
}

const proxyUrl = (proxy: FilteringProxy, credential = proxy.credential): string => `http://cordon:${credential}@${LOCAL}:${proxy.port}`;
const socksUrl = (proxy: FilteringProxy, credential = proxy.credential): string => `socks5h://cordon:${credential}@${LOCAL}:${proxy.port}`;

describe('filtering proxy: allowed targets are reachable', () => {
  it.skipIf(!hasCurl)('plain HTTP forward with curl -x; the target sees origin form, the judged Host and no credential', async () => {
    const target = await serve(httpTarget());
    const proxy = await proxyWith(allowOnly([`${LOCAL}:${target.port}`]));
    const result = await curl(['-x', proxyUrl(proxy), '-d', 'payload', `http://${LOCAL}:${target.port}/path?q=1`]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(`hello from ${target.port}: POST /path?q=1 (Host: ${LOCAL}:${target.port})`);
    expect(target.log).toEqual([`POST /path?q=1 host=${LOCAL}:${target.port} auth=- body=payload`]);
    expect(proxy.denials()).toEqual([]);
  });

  it.skipIf(!hasCurl)('CONNECT with curl --proxytunnel to a plain HTTP server', async () => {
    const target = await serve(httpTarget());
    const proxy = await proxyWith(allowOnly([`${LOCAL}:${target.port}`]));
    const result = await curl(['-x', proxyUrl(proxy), '--proxytunnel', `http://${LOCAL}:${target.port}/tunnelled`]);
    expect(result.stdout).toBe(`hello from ${target.port}: GET /tunnelled (Host: ${LOCAL}:${target.port})`);
    expect(target.connections).toBe(1);
  });

  it.skipIf(!hasCurl || !hasOpenssl)('CONNECT with curl to a local TLS server, by a name only the proxy resolves', async () => {
    const target = await serve(tlsTarget());
    const resolve = tableResolver({ 'allowed.test': [LOCAL] });
    const proxy = await proxyWith(allowOnly([`allowed.test:${target.port}`]), resolve);
    const result = await curl(['-k', '-x', proxyUrl(proxy), `https://allowed.test:${target.port}/secure`]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('tls hello: GET /secure');
    expect(target.log).toEqual(['GET /secure']);
    expect(resolve.calls).toEqual(['allowed.test']);
  });

  it.skipIf(!hasCurl)('SOCKS5 with curl --socks5-hostname and user:pass, by name and by IPv4 address', async () => {
    const target = await serve(httpTarget());
    const proxy = await proxyWith(allowOnly([`allowed.test:${target.port}`, `${LOCAL}:${target.port}`]), tableResolver({ 'allowed.test': [LOCAL], [LOCAL]: [LOCAL] }));
    const byName = await curl(['-x', socksUrl(proxy), `http://allowed.test:${target.port}/socks`]);
    expect(byName.stderr).toBe('');
    expect(byName.stdout).toBe(`hello from ${target.port}: GET /socks (Host: allowed.test:${target.port})`);
    // socks5:// (not socks5h) makes curl send an IPv4 address (ATYP 1).
    const byAddress = await curl(['-x', `socks5://cordon:${proxy.credential}@${LOCAL}:${proxy.port}`, `http://${LOCAL}:${target.port}/v4`]);
    expect(byAddress.stdout).toBe(`hello from ${target.port}: GET /v4 (Host: ${LOCAL}:${target.port})`);
    expect(target.log.length).toBe(2);
  });

  it('Node http.request with the proxy (absolute-form target)', async () => {
    const target = await serve(httpTarget());
    const proxy = await proxyWith(allowOnly([`allowed.test:${target.port}`]), tableResolver({ 'allowed.test': [LOCAL] }));
    const response = await nodeGet(proxy, `http://allowed.test:${target.port}/node`);
    expect(response).toEqual({ status: 200, body: `hello from ${target.port}: GET /node (Host: allowed.test:${target.port})` });
  });

  it.skipIf(!existsSync(PYTHON))('Python urllib with HTTP_PROXY / HTTPS_PROXY (plain and CONNECT)', async () => {
    const plain = await serve(httpTarget());
    const tls = hasOpenssl ? await serve(tlsTarget()) : undefined;
    const proxy = await proxyWith(allowOnly([`allowed.test:${plain.port}`, ...(tls ? [`allowed.test:${tls.port}`] : [])]), tableResolver({ 'allowed.test': [LOCAL] }));
    const script = [
      'import ssl, sys, urllib.request',
      'ctx = ssl._create_unverified_context()',
      'for url in sys.argv[1:]:',
      '    print(urllib.request.urlopen(url, context=ctx, timeout=10).read().decode())',
    ].join('\n');
    const urls = [`http://allowed.test:${plain.port}/py`, ...(tls ? [`https://allowed.test:${tls.port}/pys`] : [])];
    const proxyEnv = proxyUrl(proxy);
    const out = await new Promise<string>((resolve, reject) => {
      execFile(PYTHON, ['-c', script, ...urls], { env: { PATH: '/usr/bin:/bin', HTTP_PROXY: proxyEnv, HTTPS_PROXY: proxyEnv, http_proxy: proxyEnv, https_proxy: proxyEnv } }, (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)));
    });
    expect(out).toBe([`hello from ${plain.port}: GET /py (Host: allowed.test:${plain.port})`, ...(tls ? ['tls hello: GET /pys'] : [])].join('\n') + '\n');
  });

  it('passes the host to decide exactly as the client spelled it (no URL canonicalisation)', async () => {
    const target = await serve(httpTarget());
    const decide = allowOnly([`0x7f.1:${target.port}`]);
    const proxy = await proxyWith(decide, tableResolver({ '0x7f.1': [LOCAL] }));
    const response = await nodeGet(proxy, `http://0x7f.1:${target.port}/spelled`);
    expect(response.status).toBe(200);
    expect(decide.calls.map((c) => c.host)).toEqual(['0x7f.1', '0x7f.1']);
    expect(decide.calls[1]?.addresses).toEqual([LOCAL]);
  });
});

describe('filtering proxy: refusals (each with the same request allowed as control)', () => {
  it.skipIf(!hasCurl)('another port on the same host is refused with 403 and that server logs nothing', async () => {
    const allowed = await serve(httpTarget());
    const other = await serve(httpTarget());
    const proxy = await proxyWith(allowOnly([`${LOCAL}:${allowed.port}`]));
    const plain = await curl(['-x', proxyUrl(proxy), '-w', '%{http_code}', `http://${LOCAL}:${other.port}/`]);
    expect(plain.stdout).toBe(`cordon: network access to ${LOCAL}:${other.port} refused by network.allow: ${LOCAL}:${other.port} is not on the allow list\n403`);
    const tunnel = await curl(['-x', proxyUrl(proxy), '--proxytunnel', `http://${LOCAL}:${other.port}/`]);
    expect(tunnel.code).not.toBe(0);
    expect(tunnel.stderr).toMatch(/403/);
    const socks = await curl(['-x', socksUrl(proxy), `http://${LOCAL}:${other.port}/`]);
    expect(socks.code).not.toBe(0);
    expect(socks.stderr).toMatch(/Can't complete SOCKS5 connection.*\(2\)/);
    await settle();
    expect(other.connections).toBe(0);
    expect(proxy.denials()).toEqual(
      [1, 2, 3].map(() => ({ kind: 'network', host: LOCAL, port: other.port, rule: 'network.allow', reason: `${LOCAL}:${other.port} is not on the allow list`, certainty: 'observed' })),
    );
    // Control: the same three requests with that port allowed reach the server.
    const open = await proxyWith(allowOnly([`${LOCAL}:${allowed.port}`, `${LOCAL}:${other.port}`]));
    expect((await curl(['-x', proxyUrl(open), `http://${LOCAL}:${other.port}/`])).stdout).toContain(`hello from ${other.port}`);
    expect((await curl(['-x', proxyUrl(open), '--proxytunnel', `http://${LOCAL}:${other.port}/`])).stdout).toContain(`hello from ${other.port}`);
    expect((await curl(['-x', socksUrl(open), `http://${LOCAL}:${other.port}/`])).stdout).toContain(`hello from ${other.port}`);
    expect(other.connections).toBe(3);
  });

  it('a refused name is never looked up (a DNS query is itself a way out)', async () => {
    const target = await serve(httpTarget());
    const resolve = tableResolver({ 'other.test': [LOCAL], 'allowed.test': [LOCAL] });
    const proxy = await proxyWith(allowOnly([`allowed.test:${target.port}`]), resolve);
    expect((await nodeGet(proxy, `http://other.test:${target.port}/`)).status).toBe(403);
    expect(resolve.calls).toEqual([]);
    expect(target.connections).toBe(0);
    // Control: the listed name is resolved and reached.
    expect((await nodeGet(proxy, `http://allowed.test:${target.port}/`)).status).toBe(200);
    expect(resolve.calls).toEqual(['allowed.test']);
  });

  it.skipIf(!hasCurl)('a listed name that resolves to a private address (10.0.0.5) is refused and nothing is dialled', async () => {
    const target = await serve(echoTarget());
    const name = 'rebind.test';
    // The local server's address is in the answer too: if the proxy dialled anything, it would arrive there.
    const resolve = tableResolver({ [name]: ['10.0.0.5', LOCAL] });
    const proxy = await proxyWith(allowOnly([`${name}:${target.port}`]), resolve);
    const started = Date.now();
    const http1 = await nodeGet(proxy, `http://${name}:${target.port}/`);
    const tunnel = await rawConnect(proxy, `${name}:${target.port}`);
    tunnel.socket.destroy();
    const socks = await curl(['-x', socksUrl(proxy), `http://${name}:${target.port}/`]);
    expect(http1.status).toBe(403);
    expect(http1.body).toBe(`cordon: network access to ${name}:${target.port} refused by network: private address: ${name} resolves to 10.0.0.5\n`);
    expect(tunnel.status).toBe('HTTP/1.1 403 Forbidden');
    expect(socks.code).not.toBe(0);
    // A dial to 10.0.0.5 would have been stopped by the guard and answered 502, not 403.
    expect(Date.now() - started).toBeLessThan(5000);
    await settle();
    expect(target.connections).toBe(0);
    expect(dialled).not.toContain('10.0.0.5');
    expect(proxy.denials().map((d) => [d.host, d.port, d.rule])).toEqual([
      [name, target.port, 'network: private address'],
      [name, target.port, 'network: private address'],
      [name, target.port, 'network: private address'],
    ]);
    // Control: the same name answering with loopback only is reached, over all three protocols.
    const honest = await proxyWith(allowOnly([`${name}:${target.port}`]), tableResolver({ [name]: [LOCAL] }));
    const connected = await rawConnect(honest, `${name}:${target.port}`);
    expect(connected.status).toBe('HTTP/1.1 200 Connection Established');
    connected.socket.end('ping');
    expect(await readAll(connected.socket, connected.rest)).toBe('ping|bye');
    expect(target.connections).toBe(1);
  });

  it('the name is resolved once per request and only the judged answer is dialled (no rebinding window)', async () => {
    const target = await serve(httpTarget());
    let answers = 0;
    // First answer loopback, every later one 10.0.0.5: a re-resolving proxy would dial it after judging loopback.
    const resolve = tableResolver({ 'flip.test': () => (answers++ === 0 ? [LOCAL] : ['10.0.0.5']) });
    const proxy = await proxyWith(allowOnly([`flip.test:${target.port}`]), resolve);
    expect((await nodeGet(proxy, `http://flip.test:${target.port}/once`)).status).toBe(200);
    expect(resolve.calls).toEqual(['flip.test']);
    expect(target.log.map((l) => l.split(' ')[1])).toEqual(['/once']);
    // The next request gets the private answer and is refused.
    expect((await nodeGet(proxy, `http://flip.test:${target.port}/twice`)).status).toBe(403);
    expect(dialled).not.toContain('10.0.0.5');
  });

  it.skipIf(!hasCurl)('missing or wrong credential: 407 over HTTP and CONNECT, auth failure over SOCKS5; the target logs nothing', async () => {
    const target = await serve(httpTarget());
    const decide = allowOnly([`${LOCAL}:${target.port}`]);
    const proxy = await proxyWith(decide);
    const url = `http://${LOCAL}:${target.port}/`;
    const missing = await curl(['-x', `http://${LOCAL}:${proxy.port}`, '-w', '%{http_code}', '-o', '/dev/null', url]);
    const wrong = await curl(['-x', proxyUrl(proxy, 'x'.repeat(43)), '-w', '%{http_code}', '-o', '/dev/null', url]);
    const tunnelMissing = await curl(['-x', `http://${LOCAL}:${proxy.port}`, '--proxytunnel', url]);
    const tunnelWrong = await rawConnect(proxy, `${LOCAL}:${target.port}`, basic('y'.repeat(43)));
    tunnelWrong.socket.destroy();
    const socksWrong = await curl(['-x', socksUrl(proxy, 'z'.repeat(43)), url]);
    const socksNoAuth = await curl(['-x', `socks5h://${LOCAL}:${proxy.port}`, url]);
    const node = await nodeGet(proxy, url, null);
    expect(missing.stdout).toBe('407');
    expect(wrong.stdout).toBe('407');
    expect(tunnelMissing.code).not.toBe(0);
    expect(tunnelMissing.stderr).toMatch(/407/);
    expect(tunnelWrong.status).toBe('HTTP/1.1 407 Proxy Authentication Required');
    expect(socksWrong.code).not.toBe(0);
    expect(socksWrong.stderr).toMatch(/User was rejected by the SOCKS5 server/);
    expect(socksNoAuth.code).not.toBe(0);
    expect(node.status).toBe(407);
    await settle();
    expect(target.connections).toBe(0);
    // Unauthenticated requests are neither judged nor recorded: other local processes cannot fill the report.
    expect(decide.calls).toEqual([]);
    expect(proxy.denials()).toEqual([]);
    // Control: the right credential reaches the target over each protocol.
    expect((await curl(['-x', proxyUrl(proxy), url])).stdout).toContain('hello from');
    expect((await curl(['-x', proxyUrl(proxy), '--proxytunnel', url])).stdout).toContain('hello from');
    expect((await curl(['-x', socksUrl(proxy), url])).stdout).toContain('hello from');
    expect(target.connections).toBe(3);
  });
});

/** Runs a SOCKS5 exchange by hand: greeting with `methods`, then (if offered) auth, then `request`. Resolves with every byte the proxy sent until it closed or `untilBytes` arrived. */
function rawSocks(proxy: FilteringProxy, methods: number[], request: Buffer | undefined, untilBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(proxy.port, LOCAL);
    let got = Buffer.alloc(0);
    let stage = 0;
    socket.on('data', (chunk) => {
      got = Buffer.concat([got, chunk]);
      if (stage === 0 && got.length >= 2 && got[1] === 0x02) {
        stage = 1;
        const user = Buffer.from('cordon');
        const pass = Buffer.from(proxy.credential!);
        socket.write(Buffer.concat([Buffer.from([1, user.length]), user, Buffer.from([pass.length]), pass]));
      } else if (stage === 1 && got.length >= 4) {
        stage = 2;
        if (request) socket.write(request);
      }
      if (got.length >= untilBytes) {
        socket.destroy();
        resolve(got);
      }
    });
    socket.on('close', () => resolve(got));
    socket.on('error', reject);
    socket.write(Buffer.from([5, methods.length, ...methods]));
  });
}

function socksRequest(command: number, port: number): Buffer {
  const p = Buffer.alloc(2);
  p.writeUInt16BE(port);
  return Buffer.concat([Buffer.from([5, command, 0, 1, 127, 0, 0, 1]), p]);
}

describe('filtering proxy: protocol details', () => {
  it('SOCKS5: a client offering only "no authentication" gets 0xFF; BIND and UDP ASSOCIATE get 0x07; CONNECT works (control)', async () => {
    const target = await serve(echoTarget());
    const proxy = await proxyWith(allowOnly([`${LOCAL}:${target.port}`]));
    expect([...(await rawSocks(proxy, [0x00], undefined, 2))]).toEqual([5, 0xff]);
    const bind = await rawSocks(proxy, [0x00, 0x02], socksRequest(0x02, target.port), 14);
    expect([...bind.subarray(0, 6)]).toEqual([5, 2, 1, 0, 5, 7]);
    const udp = await rawSocks(proxy, [0x02], socksRequest(0x03, target.port), 14);
    expect(udp[5]).toBe(7);
    await settle();
    expect(target.connections).toBe(0);
    const connect = await rawSocks(proxy, [0x02], socksRequest(0x01, target.port), 14);
    expect(connect[5]).toBe(0);
    await settle();
    expect(target.connections).toBe(1);
  });

  it('HTTP forward: Host is rewritten to the judged authority (no virtual-host fronting in plain HTTP)', async () => {
    const target = await serve(httpTarget());
    const proxy = await proxyWith(allowOnly([`allowed.test:${target.port}`]), tableResolver({ 'allowed.test': [LOCAL] }));
    const response = await new Promise<string>((resolve, reject) => {
      const request = http.request({ host: LOCAL, port: proxy.port, path: `http://allowed.test:${target.port}/h`, agent: false, headers: { Host: 'evil.test', 'Proxy-Authorization': basic(proxy.credential!) } }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve(body));
      });
      request.on('error', reject);
      request.end();
    });
    expect(response).toBe(`hello from ${target.port}: GET /h (Host: allowed.test:${target.port})`);
  });

  it('HTTP forward: every request on a kept-alive client connection is judged on its own', async () => {
    const allowed = await serve(httpTarget());
    const other = await serve(httpTarget());
    const proxy = await proxyWith(allowOnly([`${LOCAL}:${allowed.port}`]));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = (port: number): Promise<{ status: number; socket: net.Socket }> =>
      new Promise((resolve, reject) => {
        const request = http.request({ host: LOCAL, port: proxy.port, path: `http://${LOCAL}:${port}/`, agent, headers: { 'Proxy-Authorization': basic(proxy.credential!) } }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, socket: request.socket as net.Socket }));
        });
        request.on('error', reject);
        request.end();
      });
    const first = await get(allowed.port);
    const second = await get(allowed.port);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.socket).toBe(first.socket);
    expect((await get(other.port)).status).toBe(403);
    agent.destroy();
    await settle();
    expect(other.connections).toBe(0);
    expect(allowed.connections).toBe(2);
  });

  it('keeps at most maxDenials refusals and counts the rest', async () => {
    const target = await serve(httpTarget());
    const proxy = await proxyWith(allowOnly([]), undefined, { maxDenials: 2 });
    for (let i = 0; i < 3; i++) expect((await nodeGet(proxy, `http://${LOCAL}:${target.port}/${i}`)).status).toBe(403);
    expect(proxy.denials()).toHaveLength(2);
    expect(proxy.droppedDenials()).toBe(1);
    expect(target.connections).toBe(0);
  });
});

describe('filtering proxy: limits and lifetime', () => {
  it('CONNECT tunnels carry a half-close: the client ends, the server still answers', async () => {
    const target = await serve(echoTarget());
    const proxy = await proxyWith(allowOnly([`${LOCAL}:${target.port}`]));
    const tunnel = await rawConnect(proxy, `${LOCAL}:${target.port}`);
    expect(tunnel.status).toBe('HTTP/1.1 200 Connection Established');
    tunnel.socket.write('one,');
    tunnel.socket.end('two');
    expect(await readAll(tunnel.socket, tunnel.rest)).toBe('one,two|bye');
  });

  it('close() ends listeners and open tunnels', async () => {
    const target = await serve(echoTarget());
    const proxy = await startFilteringProxy({ decide: allowOnly([`${LOCAL}:${target.port}`]) });
    const tunnel = await rawConnect(proxy, `${LOCAL}:${target.port}`);
    tunnel.socket.write('still open');
    await settle();
    expect(target.log).toEqual(['still open']);
    const tunnelClosed = new Promise<void>((resolve) => tunnel.socket.on('close', () => resolve()));
    await proxy.close();
    await tunnelClosed;
    await expect(
      new Promise((resolve, reject) => {
        const socket = net.connect(proxy.port, LOCAL);
        socket.on('connect', () => resolve('connected'));
        socket.on('error', reject);
      }),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('an oversized request head gets 431 and dials nothing; a normal one passes (control)', async () => {
    const target = await serve(httpTarget());
    const proxy = await proxyWith(allowOnly([`${LOCAL}:${target.port}`]), undefined, { maxHeaderBytes: 4096 });
    const big = await new Promise<number>((resolve, reject) => {
      const request = http.request({ host: LOCAL, port: proxy.port, path: `http://${LOCAL}:${target.port}/`, agent: false, headers: { 'Proxy-Authorization': basic(proxy.credential!), 'X-Pad': 'a'.repeat(8000) } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      request.on('error', reject);
      request.end();
    });
    expect(big).toBe(431);
    expect(target.connections).toBe(0);
    expect((await nodeGet(proxy, `http://${LOCAL}:${target.port}/`)).status).toBe(200);
  });

  it('idle tunnels and silent clients are closed after their timeouts', async () => {
    const target = await serve(echoTarget());
    const proxy = await proxyWith(allowOnly([`${LOCAL}:${target.port}`]), undefined, { idleTimeoutMs: 300, handshakeTimeoutMs: 300 });
    const tunnel = await rawConnect(proxy, `${LOCAL}:${target.port}`);
    const silent = net.connect(proxy.port, LOCAL);
    const started = Date.now();
    await Promise.all([new Promise((r) => tunnel.socket.on('close', r)), new Promise((r) => silent.on('close', r))]);
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(250);
    expect(waited).toBeLessThan(5000);
  });

  it('connections beyond maxConnections are closed at accept; below it they are served (control)', async () => {
    const target = await serve(httpTarget());
    const proxy = await proxyWith(allowOnly([`${LOCAL}:${target.port}`]), undefined, { maxConnections: 2 });
    const idle = [net.connect(proxy.port, LOCAL), net.connect(proxy.port, LOCAL)];
    await Promise.all(idle.map((s) => new Promise((r) => s.on('connect', r))));
    await settle();
    await expect(nodeGet(proxy, `http://${LOCAL}:${target.port}/`)).rejects.toMatchObject({ code: expect.stringMatching(/ECONNRESET|EPIPE/) });
    for (const socket of idle) socket.destroy();
    await settle();
    expect((await nodeGet(proxy, `http://${LOCAL}:${target.port}/`)).status).toBe(200);
    expect(target.connections).toBe(1);
  });

  it('refuses to listen anywhere but 127.0.0.1', async () => {
    await expect(startFilteringProxy({ decide: allowOnly([]), listen: { host: '0.0.0.0' as '127.0.0.1', port: 0 } })).rejects.toMatchObject({ code: 'ERR_CORDON_SETUP_FAILED' });
  });
});

describe('filtering proxy: cost', () => {
  it('per-connection overhead versus a direct connection (reported, not asserted)', async () => {
    const target = await serve(httpTarget());
    const echo = await serve(echoTarget());
    const proxy = await proxyWith(allowOnly([`${LOCAL}:${target.port}`, `${LOCAL}:${echo.port}`]));
    const rounds = 200;
    const direct = (): Promise<number> =>
      new Promise((resolve, reject) => {
        http.get({ host: LOCAL, port: target.port, path: '/', agent: false }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        }).on('error', reject);
      });
    const viaProxy = async (): Promise<number> => (await nodeGet(proxy, `http://${LOCAL}:${target.port}/`)).status;
    const directTcp = (): Promise<string> =>
      new Promise((resolve, reject) => {
        const socket = net.connect({ host: LOCAL, port: echo.port, allowHalfOpen: true }, () => socket.end('x'));
        socket.on('error', reject);
        void readAll(socket).then(resolve);
      });
    const tunnelTcp = async (): Promise<string> => {
      const t = await rawConnect(proxy, `${LOCAL}:${echo.port}`);
      t.socket.end('x');
      return readAll(t.socket, t.rest);
    };
    const time = async <T>(fn: () => Promise<T>): Promise<{ ms: number; results: T[] }> => {
      const results: T[] = [];
      for (let i = 0; i < 20; i++) await fn(); // warm-up
      const start = process.hrtime.bigint();
      for (let i = 0; i < rounds; i++) results.push(await fn());
      return { ms: Number(process.hrtime.bigint() - start) / 1e6 / rounds, results };
    };
    const d = await time(direct);
    const p = await time(viaProxy);
    const dt = await time(directTcp);
    const pt = await time(tunnelTcp);
    console.log(
      `network proxy cost (mean of ${rounds}, sequential, new connection each): HTTP GET direct ${d.ms.toFixed(3)} ms, via proxy ${p.ms.toFixed(3)} ms (+${(p.ms - d.ms).toFixed(3)}); ` +
        `TCP connect+echo direct ${dt.ms.toFixed(3)} ms, via CONNECT ${pt.ms.toFixed(3)} ms (+${(pt.ms - dt.ms).toFixed(3)})`,
    );
    expect(new Set([...d.results, ...p.results])).toEqual(new Set([200]));
    expect(new Set([...dt.results, ...pt.results])).toEqual(new Set(['x|bye']));
  });
});

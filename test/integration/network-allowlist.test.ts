/**
 * Issue 10 end to end: a policy with `network.allow` runs the command in a network namespace of
 * its own, where cordon-proxy-door listens on 127.0.0.1:3128 and hands the listener to the
 * filtering proxy on the host. Real clients (curl, Python's urllib, git, Node's fetch) run in
 * the real sandbox against real servers on the HOST's 127.0.0.1; every verdict is read off
 * those servers afterwards: each counts every TCP connection it accepts and every request, so
 * "refused" means the server saw nothing at all, not only that the client printed an error.
 *
 * Every target is on 127.0.0.1. Names that must not resolve are under `.invalid`; the
 * rebinding case uses `rebind.test`, answered with 127.0.0.1 by a stub of this process's
 * resolver (the one the proxy asks; it then answers nothing else), so no query ever leaves the
 * machine. The DNS case only asserts that a lookup fails inside the sandbox, which
 * has no route anywhere.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import dns from 'node:dns';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it, vi } from 'vitest';
import { LinuxBackend } from '../../src/backends/linux/backend.js';
import type { LaunchChannels, LaunchPlan } from '../../src/backends/types.js';
import { SandboxSetupError } from '../../src/errors.js';
import { sandboxedSpawn, type SandboxedSpawnOptions } from '../../src/index.js';
import { SandboxRuntime } from '../../src/runtime.js';
import { sandboxReport, type Denial } from '../../src/sandbox-report.js';
import { describeSandbox, scratchTrees } from './harness.js';
import { listenCounting } from '../helpers/counting-server.js';

const tree = scratchTrees();
const LOCAL = '127.0.0.1';
/** Where cordon-proxy-door listens inside the sandbox (src/backends/linux/plan.ts). */
const SANDBOX_PROXY = 'http://127.0.0.1:3128';
const CLI = fileURLToPath(new URL('../../dist/cli.mjs', import.meta.url));

// ---- tools: absolute paths in system directories (a pyenv shim under /root is unreadable to
// the unprivileged CI user), each missing one skips its tests visibly ---------------------------

function systemTool(name: string, versionArg = '--version'): string | undefined {
  return ['/usr/bin', '/bin', '/usr/local/bin'].map((d) => `${d}/${name}`).find((p) => existsSync(p) && spawnSync(p, [versionArg], { stdio: 'ignore' }).status === 0);
}
const tools = {
  curl: systemTool('curl'),
  python: systemTool('python3', '-V'),
  git: systemTool('git'),
  openssl: systemTool('openssl', 'version'),
  bash: systemTool('bash'),
};
const missing = (...names: Array<keyof typeof tools>): string => {
  const absent = names.filter((n) => tools[n] === undefined);
  return absent.length === 0 ? '' : ` (skipped: ${absent.join(', ')} not installed in /usr/bin, /bin or /usr/local/bin)`;
};

// ---- host servers that log every connection they accept -------------------------------------

interface Logged {
  port: number;
  /** TCP connections accepted (with or without a byte). */
  connections: number;
  /** One line per request: `METHOD URL host=...`. */
  requests: string[];
}

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const close of closers.splice(0)) await close();
});

async function listenLogged(server: net.Server, logged: Logged): Promise<Logged> {
  closers.push(await listenCounting(server, logged));
  return logged;
}

const blank = (): Logged => ({ port: 0, connections: 0, requests: [] });

/** Answers `hello from PORT: METHOD URL`. */
function httpTarget(): Promise<Logged> {
  const logged = blank();
  const server = http.createServer((req, res) => {
    logged.requests.push(`${req.method} ${req.url} host=${req.headers.host}`);
    res.end(`hello from ${logged.port}: ${req.method} ${req.url}`);
  });
  return listenLogged(server, logged);
}

/** Serves the files under `root` (GET only): git's dumb HTTP protocol needs nothing more. */
function staticTarget(root: string): Promise<Logged> {
  const logged = blank();
  const server = http.createServer((req, res) => {
    logged.requests.push(`${req.method} ${req.url} host=${req.headers.host}`);
    const rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = path.join(root, path.normalize(rel));
    if (req.method !== 'GET' || !file.startsWith(root + path.sep)) {
      res.writeHead(404).end();
      return;
    }
    try {
      res.end(readFileSync(file));
    } catch {
      res.writeHead(404).end();
    }
  });
  return listenLogged(server, logged);
}

/** A datagram server on 127.0.0.1 collecting what arrives. */
async function udpTarget(): Promise<{ port: number; received: string[] }> {
  const socket = dgram.createSocket('udp4');
  const received: string[] = [];
  socket.on('message', (message) => received.push(message.toString()));
  await new Promise<void>((resolve) => socket.bind(0, LOCAL, resolve));
  closers.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return { port: socket.address().port, received };
}

// ---- running things in the sandbox -----------------------------------------------------------

interface Outcome {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  /** The proxy's refusals in result.sandbox.denials (network, certainty 'observed'). */
  refused: Denial[];
}

async function inSandbox(file: string, args: readonly string[], options: SandboxedSpawnOptions): Promise<Outcome> {
  const result = await sandboxedSpawn(file, args, { reject: false, ...options });
  const denials = sandboxReport(result)?.denials ?? [];
  return {
    exitCode: result.exitCode,
    stdout: String(result.stdout ?? ''),
    stderr: String(result.stderr ?? ''),
    refused: denials.filter((d) => d.kind === 'network' && d.certainty === 'observed'),
  };
}

const allow = (...entries: string[]) => ({ network: { allow: entries } });
const workspace = () => tree({ 'ws/': '' }).path('ws');

/** The rule a refusal cites when no allow entry matches (src/policy/network/decide.ts). */
const NO_ENTRY = 'network.allow (no entry matches)';

/** The proxy's refusal of host:port as result.sandbox.denials carries it. */
const refusalOf = (host: string, port: number, rule = NO_ENTRY, reason: RegExp = new RegExp(`^${host.replace(/\./g, '\\.')}:${port} is not in network\\.allow$`)) =>
  expect.objectContaining({ kind: 'network', host, port, rule, reason: expect.stringMatching(reason), certainty: 'observed' });

/** Everything arrives: wait a moment so a late datagram or connection would be counted. */
const settle = (ms = 300) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * An allowed name whose address is loopback: the proxy refuses it (no connection), and reaches
 * the same server once the address itself is listed as well (the positive control).
 */
async function expectRebindingRefused(name: string, address: string): Promise<void> {
  const target = await httpTarget();
  const ws = workspace();
  const url = `http://${name}:${target.port}/rebind`;
  const refused = await inSandbox(tools.curl!, ['-sS', '-w', '%{http_code}', url], { workspace: ws, policy: allow(`${name}:${target.port}`) });
  expect(refused.stdout).toMatch(/loopback.*rebinding.*\n403$/s);
  expect(target.connections).toBe(0);
  expect(refused.refused).toEqual([refusalOf(name, target.port, `network.allow: ${name}:${target.port}`, /resolves to .*: a loopback address \(refused for names, against DNS rebinding\)/)]);
  // Only for an IPv4 mapping: the server listens on 127.0.0.1.
  if (!address.startsWith('127.')) return;
  const reached = await inSandbox(tools.curl!, ['-sS', url], { workspace: ws, policy: allow(`${name}:${target.port}`, `${address}:${target.port}`) });
  expect(reached.exitCode, reached.stderr).toBe(0);
  expect(reached.stdout).toBe(`hello from ${target.port}: GET /rebind`);
  expect(target.requests).toEqual([`GET /rebind host=${name}:${target.port}`]);
}

/**
 * This process's name resolution, replaced: `name` is 127.0.0.1 and every other name fails
 * without a query (both dns.lookup and dns.promises.lookup, so nothing can reach a real
 * resolver while it is in place); IP literals answer themselves. Returns the names asked for.
 * Undone by vi.restoreAllMocks() (also after every test).
 */
function stubLoopbackDns(name: string): string[] {
  const asked: string[] = [];
  const answer = (host: string) => {
    // IP literals are themselves (net's listen() looks its host up even when it is one).
    if (net.isIP(host)) return { address: host, family: net.isIP(host) };
    asked.push(host);
    if (host !== name) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND', hostname: host });
    return { address: LOCAL, family: 4 };
  };
  vi.spyOn(dns.promises, 'lookup').mockImplementation((async (host: string, options?: { all?: boolean }) => {
    const entry = answer(host);
    return options?.all ? [entry] : entry;
  }) as never);
  vi.spyOn(dns, 'lookup').mockImplementation(((host: string, ...rest: unknown[]) => {
    const callback = rest[rest.length - 1] as (error: Error | null, address?: unknown, family?: number) => void;
    const options = rest.length > 1 ? (rest[0] as { all?: boolean } | number) : undefined;
    let entry: { address: string; family: number };
    try {
      entry = answer(host);
    } catch (error) {
      process.nextTick(() => callback(error as Error));
      return;
    }
    process.nextTick(() => (typeof options === 'object' && options?.all ? callback(null, [entry]) : callback(null, entry.address, entry.family)));
  }) as never);
  return asked;
}

describeSandbox('network allowlist: through the proxy, end to end', () => {
  it.skipIf(!tools.curl)(`curl, plain http forwarded to an allowed 127.0.0.1:PORT: the body arrives and the server got exactly that request${missing('curl')}`, async () => {
    const target = await httpTarget();
    const r = await inSandbox(tools.curl!, ['-sS', '-v', `http://${LOCAL}:${target.port}/plain`], { workspace: workspace(), policy: allow(`${LOCAL}:${target.port}`) });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toBe(`hello from ${target.port}: GET /plain`);
    // Forwarded by the proxy (absolute-form request line), not sent to the server directly.
    expect(r.stderr).toContain(`> GET http://${LOCAL}:${target.port}/plain HTTP/1.1`);
    expect(target.requests).toEqual([`GET /plain host=${LOCAL}:${target.port}`]);
    expect(target.connections).toBe(1);
    expect(r.refused).toEqual([]);
  });

  it.skipIf(!tools.curl)(`curl through a CONNECT tunnel (-p -x ${SANDBOX_PROXY}): the proxy is asked to CONNECT and the server sees the request${missing('curl')}`, async () => {
    const target = await httpTarget();
    const r = await inSandbox(tools.curl!, ['-sS', '-v', '-p', '-x', SANDBOX_PROXY, `http://${LOCAL}:${target.port}/tunnel`], { workspace: workspace(), policy: allow(`${LOCAL}:${target.port}`) });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toBe(`hello from ${target.port}: GET /tunnel`);
    expect(r.stderr).toContain(`> CONNECT ${LOCAL}:${target.port} HTTP/1.1`);
    expect(r.stderr).toMatch(/< HTTP\/1\.[01] 200/);
    // Inside the tunnel curl speaks to the server itself: an origin-form request line.
    expect(r.stderr).toContain('> GET /tunnel HTTP/1.1');
    expect(target.requests).toEqual([`GET /tunnel host=${LOCAL}:${target.port}`]);
    expect(target.connections).toBe(1);
  });

  it.skipIf(!tools.curl || !tools.openssl)(`curl https through CONNECT to a server with a self-signed certificate (--cacert)${missing('curl', 'openssl')}`, async () => {
    const t = tree({ 'ws/': '', 'tls/': '' });
    const key = t.path('tls/key.pem');
    const cert = t.path('ws/ca.crt');
    execFileSync(tools.openssl!, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=cordon-test', '-addext', `subjectAltName=IP:${LOCAL}`], { stdio: 'ignore' });
    const logged = blank();
    const server = https.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
      logged.requests.push(`${req.method} ${req.url}`);
      res.end(`tls hello: ${req.method} ${req.url}`);
    });
    const target = await listenLogged(server, logged);
    const r = await inSandbox(tools.curl!, ['-sS', '-v', '--cacert', 'ca.crt', `https://${LOCAL}:${target.port}/secure`], { workspace: t.path('ws'), policy: allow(`${LOCAL}:${target.port}`) });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toBe('tls hello: GET /secure');
    // https_proxy from the sandbox's environment: a CONNECT to the proxy, TLS end to end.
    expect(r.stderr).toContain(`> CONNECT ${LOCAL}:${target.port} HTTP/1.1`);
    expect(target.requests).toEqual(['GET /secure']);
    expect(target.connections).toBe(1);
  });

  it.skipIf(!tools.python)(`python urllib follows the proxy variables: the allowed port answers, another port gets the proxy's 403${missing('python')}`, async () => {
    const allowed = await httpTarget();
    const other = await httpTarget();
    const script = [
      'import sys, urllib.request, urllib.error',
      'for port in sys.argv[1:]:',
      '    try:',
      "        print('OK', urllib.request.urlopen(f'http://127.0.0.1:{port}/py').read().decode())",
      '    except urllib.error.HTTPError as e:',
      "        print('HTTP', e.code, e.read().decode().strip())",
    ].join('\n');
    const r = await inSandbox(tools.python!, ['-c', script, String(allowed.port), String(other.port)], { workspace: workspace(), policy: allow(`${LOCAL}:${allowed.port}`) });
    expect(r.exitCode, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe(`OK hello from ${allowed.port}: GET /py`);
    // The refusal text is the proxy's own: the request went through it, not around it.
    expect(lines[1]).toMatch(new RegExp(`^HTTP 403 cordon: network access to 127\\.0\\.0\\.1:${other.port} refused by `));
    expect(allowed.requests).toEqual([`GET /py host=${LOCAL}:${allowed.port}`]);
    expect(other.connections).toBe(0);
    expect(r.refused).toEqual([refusalOf(LOCAL, other.port)]);
  });

  it.skipIf(!tools.git)(`git clone over http (dumb protocol) into the workspace: the clone has the commit${missing('git')}`, async () => {
    const t = tree({ 'ws/': '', 'srv/': '', 'home/': '', 'src/file.txt': 'from the host\n' });
    const gitEnv = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: t.path('home'),
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_AUTHOR_NAME: 'cordon test',
      GIT_AUTHOR_EMAIL: 'test@cordon.invalid',
      GIT_COMMITTER_NAME: 'cordon test',
      GIT_COMMITTER_EMAIL: 'test@cordon.invalid',
    };
    const git = (cwd: string, ...args: string[]) => execFileSync(tools.git!, args, { cwd, env: gitEnv, encoding: 'utf8' }).trim();
    const src = t.path('src');
    const bare = t.path('srv/repo.git');
    git(src, 'init', '-q', '-b', 'main');
    git(src, 'add', 'file.txt');
    git(src, 'commit', '-q', '-m', 'served over dumb http');
    const commit = git(src, 'rev-parse', 'HEAD');
    git(t.path('srv'), 'init', '-q', '--bare', '-b', 'main', bare);
    git(src, 'push', '-q', bare, 'main:main');
    git(bare, 'update-server-info');
    const target = await staticTarget(t.path('srv'));

    const url = `http://${LOCAL}:${target.port}/repo.git`;
    const r = await inSandbox('sh', ['-c', `${tools.git} clone -q "$1" clone && ${tools.git} -C clone log -1 --format=%H`, 'sh', url], {
      workspace: t.path('ws'),
      policy: allow(`${LOCAL}:${target.port}`),
      env: { GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_TERMINAL_PROMPT: '0' },
    });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(commit);
    expect(readFileSync(t.path('ws/clone/file.txt'), 'utf8')).toBe('from the host\n');
    expect(target.requests).toContain(`GET /repo.git/info/refs?service=git-upload-pack host=${LOCAL}:${target.port}`);
    expect(target.requests.some((line) => line.startsWith('GET /repo.git/objects/'))).toBe(true);
    expect(r.refused).toEqual([]);
  });

  // Node 20's fetch ignores every proxy variable; cordon's preload (preload/node-fetch-proxy.cjs,
  // loaded through NODE_OPTIONS) routes it through the proxy. A refusal surfaces as fetch's
  // error, whose cause carries the proxy's refusal line.
  it("node's fetch goes through the proxy: the allowed port answers, another port is refused by the proxy", async () => {
    const allowed = await httpTarget();
    const other = await httpTarget();
    const code = [
      '(async () => {',
      '  for (const port of process.argv.slice(1)) {',
      '    try {',
      "      const r = await fetch('http://127.0.0.1:' + port + '/node');",
      '      console.log(r.status, (await r.text()).trim());',
      '    } catch (e) {',
      "      console.log('failed', e.cause?.message ?? e.message);",
      '    }',
      '  }',
      '})()',
    ].join('\n');
    const r = await inSandbox(process.execPath, ['-e', code, String(allowed.port), String(other.port)], { workspace: workspace(), policy: allow(`${LOCAL}:${allowed.port}`) });
    expect(r.exitCode, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe(`200 hello from ${allowed.port}: GET /node`);
    expect(lines[1]).toMatch(/^(403 |failed .*)cordon: network access to 127\.0\.0\.1:\d+ refused by network\.allow/);
    expect(lines[1]).toContain(`127.0.0.1:${other.port} refused`);
    expect(allowed.requests).toEqual([`GET /node host=${LOCAL}:${allowed.port}`]);
    expect(other.connections).toBe(0);
    expect(r.refused).toEqual([refusalOf(LOCAL, other.port)]);
  });
});

describeSandbox('network allowlist: refusals leave the target untouched', () => {
  it.skipIf(!tools.curl)(`another port on the same host: 403 from the proxy, a denial, and the server saw nothing${missing('curl')}`, async () => {
    const allowed = await httpTarget();
    const other = await httpTarget();
    const r = await inSandbox('sh', ['-c', `${tools.curl} -sS "$1"; echo; echo ---; ${tools.curl} -sS -w '%{http_code}' "$2"`, 'sh', `http://${LOCAL}:${allowed.port}/yes`, `http://${LOCAL}:${other.port}/no`], {
      workspace: workspace(),
      policy: allow(`${LOCAL}:${allowed.port}`),
    });
    const [first, second] = r.stdout.split('\n---\n');
    expect(first?.trim()).toBe(`hello from ${allowed.port}: GET /yes`);
    expect(second).toMatch(new RegExp(`^cordon: network access to 127\\.0\\.0\\.1:${other.port} refused by network\\.allow.*\\n403$`, 's'));
    expect(allowed.requests).toEqual([`GET /yes host=${LOCAL}:${allowed.port}`]);
    expect(other.connections).toBe(0);
    expect(r.refused).toEqual([refusalOf(LOCAL, other.port)]);
  });

  it.skipIf(!tools.curl)(`a name not on the list (unlisted.invalid): refused by name, the server saw nothing${missing('curl')}`, async () => {
    const target = await httpTarget();
    const r = await inSandbox(tools.curl!, ['-sS', '-w', '%{http_code}', `http://unlisted.invalid:${target.port}/`], { workspace: workspace(), policy: allow(`${LOCAL}:${target.port}`) });
    expect(r.stdout).toMatch(/refused by network\.allow.*unlisted\.invalid.*\n403$/s);
    expect(target.connections).toBe(0);
    expect(r.refused).toEqual([refusalOf('unlisted.invalid', target.port)]);
  });

  it.skipIf(!tools.curl)(`DNS rebinding (the proxy's resolver answers rebind.test with 127.0.0.1): refused unless the address itself is listed${missing('curl')}`, async () => {
    const asked = stubLoopbackDns('rebind.test');
    try {
      await expectRebindingRefused('rebind.test', LOCAL);
    } finally {
      vi.restoreAllMocks();
    }
    // The verdicts above were about the stubbed answer: the proxy did ask for the name.
    expect(asked).toContain('rebind.test');
  });

  it.skipIf(!tools.curl || !tools.python)(`a direct connection that ignores the proxy variables fails and the server sees nothing${missing('curl', 'python')}`, async () => {
    const target = await httpTarget();
    const url = `http://${LOCAL}:${target.port}`;
    const connect = `import socket, sys\ntry:\n    socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=5)\n    print('connected')\nexcept OSError as e:\n    print('failed', type(e).__name__)`;
    const script = [
      `${tools.curl} -sS "$1/proxied"; echo`,
      `${tools.curl} -sS --max-time 5 --noproxy '*' "$1/direct"; echo "curl-direct=$?"`,
      `${tools.python} -c "$2" "$3"`,
    ].join('\n');
    const r = await inSandbox('sh', ['-c', script, 'sh', url, connect, String(target.port)], { workspace: workspace(), policy: allow(`${LOCAL}:${target.port}`) });
    const lines = r.stdout.trim().split('\n');
    // Positive control: the same server through the proxy, from the same sandbox.
    expect(lines[0]).toBe(`hello from ${target.port}: GET /proxied`);
    expect(lines[1]).toMatch(/^curl-direct=[1-9]\d*$/);
    expect(lines[2]).toBe('failed ConnectionRefusedError');
    expect(r.stderr).toMatch(/Failed to connect to 127\.0\.0\.1 port \d+/);
    expect(target.requests).toEqual([`GET /proxied host=${LOCAL}:${target.port}`]);
    expect(target.connections).toBe(1);
  });

  it.skipIf(!tools.python && !tools.bash)(`UDP never arrives, even to an allowed host:port${missing('python', 'bash').replace(/python, bash/, 'python and bash')}`, async () => {
    const target = await udpTarget();
    // Positive control: a datagram from the host reaches the server.
    const client = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => client.send('from the host', target.port, LOCAL, (error) => (error ? reject(error) : resolve())));
    client.close();
    await settle(100);
    expect(target.received).toEqual(['from the host']);

    const send = "import socket, sys\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nfor _ in range(5): s.sendto(b'from python', ('127.0.0.1', int(sys.argv[1])))\nprint('python sent')";
    const script = [
      tools.python ? `${tools.python} -c "$1" "$2"` : 'true',
      tools.bash ? `${tools.bash} -c 'for i in 1 2 3 4 5; do echo from-bash > /dev/udp/127.0.0.1/$0; done; echo bash sent' "$2"` : 'true',
    ].join('\n');
    const r = await inSandbox('sh', ['-c', script, 'sh', send, String(target.port)], { workspace: workspace(), policy: allow(`${LOCAL}:${target.port}`) });
    // The senders did send (into the sandbox's own loopback), so "nothing arrived" means something.
    if (tools.python) expect(r.stdout, r.stderr).toContain('python sent');
    if (tools.bash) expect(r.stdout, r.stderr).toContain('bash sent');
    await settle();
    expect(target.received).toEqual(['from the host']);
  });

  it.skipIf(!tools.curl)(`no allowlist means no network: the same curl fails, the server sees nothing, no proxy variable is set (inherited ones dropped)${missing('curl')}`, async () => {
    const target = await httpTarget();
    const ws = workspace();
    // An inherited proxy (a harness behind a corporate proxy) is dropped too: unreachable anyway.
    const r = await inSandbox('sh', ['-c', `env; echo ---; ${tools.curl} -sS --max-time 5 "$1"; echo "curl=$?"`, 'sh', `http://${LOCAL}:${target.port}/none`], {
      workspace: ws,
      env: { HTTPS_PROXY: 'http://proxy.corp.example:3128', http_proxy: `http://${LOCAL}:${target.port}` },
    });
    const [env, rest] = r.stdout.split('---\n');
    expect(env).toMatch(/^PATH=/m); // the env listing really ran
    const proxyVars = (env ?? '').split('\n').filter((line) => /^[^=]*(proxy|node_use_env_proxy)[^=]*=/i.test(line));
    expect(proxyVars).toEqual([]);
    expect(rest?.trim()).toMatch(/^curl=[1-9]\d*$/);
    expect(target.connections).toBe(0);
    expect(r.refused).toEqual([]);
    // Positive control: with the port listed, the same command reaches the server.
    const listed = await inSandbox(tools.curl!, ['-sS', `http://${LOCAL}:${target.port}/listed`], { workspace: ws, policy: allow(`${LOCAL}:${target.port}`) });
    expect(listed.stdout).toBe(`hello from ${target.port}: GET /listed`);
    expect(target.connections).toBe(1);
  });

  it.skipIf(!tools.python)(`DNS is impossible inside, with or without an allowlist (getaddrinfo fails)${missing('python')}`, async () => {
    const target = await httpTarget();
    const ws = workspace();
    const lookup = "import socket\ntry:\n    print('resolved', socket.getaddrinfo('example.com', 80))\nexcept OSError as e:\n    print('failed', type(e).__name__)";
    for (const policy of [undefined, allow(`${LOCAL}:${target.port}`)]) {
      const r = await inSandbox(tools.python!, ['-c', lookup], { workspace: ws, ...(policy ? { policy } : {}) });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe('failed gaierror');
    }
  });
});

/** The real channels, with the door's listener swapped for a descriptor that is no socket. */
class NotASocketListener extends LinuxBackend {
  swapped = 0;
  /** early: hand /dev/null over at once, while the real receive is still waiting (the door's answer comes first). */
  constructor(private readonly early = false) {
    super();
  }
  override openChannels(plan: LaunchPlan): LaunchChannels {
    const channels = super.openChannels(plan);
    const door = channels.proxyDoor;
    if (door === undefined) return channels;
    this.swapped += 1;
    // The proxy is handed /dev/null instead of the door's listener (which is closed when it
    // arrives): listen() on it fails as it would on a broken hand-over.
    door.listener.then((fd) => fd !== undefined && closeSync(fd), () => undefined);
    const listener = this.early ? Promise.resolve(openSync('/dev/null', 'r')) : door.listener.then(() => openSync('/dev/null', 'r'));
    return { ...channels, proxyDoor: { listener, answer: (ready) => door.answer(ready) } };
  }
}

describeSandbox('network allowlist: setup', () => {
  it('a kill while the door waits, or right after, ends the sandbox and the call settles as killed', async () => {
    const ws = workspace();
    for (const delayMs of [0, 1, 5, 20]) {
      const sub = sandboxedSpawn('sh', ['-c', 'touch ran; sleep 30'], { workspace: ws, reject: false, policy: allow(`${LOCAL}:9`) });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      sub.kill();
      const r = await sub;
      expect(r.failed, `delay ${delayMs}`).toBe(true);
      expect(r.isTerminated || r.isCanceled, `delay ${delayMs}`).toBe(true);
    }
    // With a longer wait the command runs (the control): 'ran' appears.
    const sub = sandboxedSpawn('sh', ['-c', 'touch ran; sleep 30'], { workspace: ws, reject: false, policy: allow(`${LOCAL}:9`), timeout: 1500 });
    const r = await sub;
    expect(r.timedOut).toBe(true);
    expect(existsSync(path.join(ws, 'ran'))).toBe(true);
  });

  it.each([
    ['after the listener arrived', false],
    ['before it arrived (the refusal must still reach the door once the receive ends)', true],
  ])('the proxy cannot come up (the listener is no socket), %s: the command is not run and sandboxedSpawn rejects with ERR_CORDON_SETUP_FAILED', async (_when, early) => {
    const ws = workspace();
    const backend = new NotASocketListener(early);
    const runtime = new SandboxRuntime({ backend, hostCheck: false });
    try {
      for (const reject of [true, false]) {
        const error = await sandboxedSpawn('sh', ['-c', 'touch marker'], { workspace: ws, runtime, reject, policy: allow(`${LOCAL}:9`) }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(SandboxSetupError);
        expect((error as SandboxSetupError).code).toBe('ERR_CORDON_SETUP_FAILED');
        expect((error as Error).message).toMatch(/network proxy could not come up/);
        expect(existsSync(path.join(ws, 'marker'))).toBe(false);
      }
      expect(backend.swapped).toBe(2);
    } finally {
      runtime.close();
    }
    // Positive control: the same command and policy with the real listener does run.
    const control = new SandboxRuntime({ backend: new LinuxBackend(), hostCheck: false });
    try {
      const r = await sandboxedSpawn('sh', ['-c', 'touch marker'], { workspace: ws, runtime: control, policy: allow(`${LOCAL}:9`) });
      expect(r.exitCode).toBe(0);
      expect(existsSync(path.join(ws, 'marker'))).toBe(true);
    } finally {
      control.close();
    }
  });

  it.skipIf(!tools.curl)(`the CLI: cordon run --allow-domain 127.0.0.1:PORT -- curl reaches the server${missing('curl')}`, async () => {
    const target = await httpTarget();
    expect(existsSync(CLI), 'dist/cli.mjs is missing: run `npm run build` (npm test does it first)').toBe(true);
    const ws = workspace();
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [CLI, 'run', '--allow-domain', `${LOCAL}:${target.port}`, '--', tools.curl!, '-sS', `http://${LOCAL}:${target.port}/cli`], { cwd: ws, encoding: 'utf8' }, (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
      );
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`hello from ${target.port}: GET /cli`);
    expect(target.requests).toEqual([`GET /cli host=${LOCAL}:${target.port}`]);
  });
});

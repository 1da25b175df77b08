/**
 * A red team's attacks on the network allowlist (Linux: the sandbox's own network namespace,
 * cordon-proxy-door, the filtering proxy on the host), each kept as a regression test. The
 * attacker is the sandboxed command; the victims are the host's loopback services and the
 * harness. Every policy here allows exactly one host server, `127.0.0.1:ALLOWED`; a second
 * server, `127.0.0.1:OTHER`, is not allowed. Both log every TCP connection they accept, and
 * every verdict is read off them: "stopped" means OTHER accepted nothing at all, and each test
 * shows in the same run that ALLOWED answers (the attack's client works, the proxy is up).
 *
 * Only 127.0.0.1 is ever a target. No case makes the proxy resolve a name: refused names are
 * refused before any lookup, and every allowed spelling is an IP literal that getaddrinfo
 * parses itself (a trailing dot or an empty `0x` part would make it ask DNS; left out).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { afterEach, expect, it } from 'vitest';
import { formatDenials } from '../../src/harness/report-text.js';
import { sandboxedSpawn, type SandboxedSpawnOptions } from '../../src/index.js';
import { sandboxReport, type Denial } from '../../src/sandbox-report.js';
import { describeSandbox, scratchTrees } from './harness.js';

const tree = scratchTrees();
const LOCAL = '127.0.0.1';

function systemTool(name: string, versionArg = '--version'): string | undefined {
  return ['/usr/bin', '/bin', '/usr/local/bin'].map((d) => `${d}/${name}`).find((p) => existsSync(p) && spawnSync(p, [versionArg], { stdio: 'ignore' }).status === 0);
}
const python = systemTool('python3', '-V');
const skipped = (...names: Array<[string, string | undefined]>): string => {
  const absent = names.filter(([, p]) => p === undefined).map(([n]) => n);
  return absent.length === 0 ? '' : ` (skipped: ${absent.join(', ')} not installed in /usr/bin, /bin or /usr/local/bin)`;
};

// ---- host servers that count every connection ------------------------------------------------

interface Server {
  port: number;
  /** TCP connections accepted, with or without a byte. */
  connections: number;
  /** Connections still open right now. */
  open: Set<net.Socket>;
  /** What arrived, per connection (latin1). */
  received: string[];
}

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function serve(server: net.Server): Promise<Server> {
  const logged: Server = { port: 0, connections: 0, open: new Set(), received: [] };
  server.on('connection', (socket: net.Socket) => {
    logged.connections += 1;
    logged.open.add(socket);
    const index = logged.received.push('') - 1;
    socket.on('data', (chunk: Buffer) => (logged.received[index] += chunk.toString('latin1')));
    socket.on('close', () => logged.open.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, LOCAL, resolve));
  logged.port = (server.address() as net.AddressInfo).port;
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of logged.open) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return logged;
}

/** The allowed one: answers every request with `hello PORT` and closes. */
const allowedServer = (): Promise<Server> =>
  serve(
    http.createServer((req, res) => {
      res.setHeader('Connection', 'close');
      res.end(`hello ${req.url}`);
    }),
  );
/** The one the policy does not allow: accepts, logs, never answers. */
const otherServer = (): Promise<Server> => serve(net.createServer(() => undefined));

// ---- running an attack -----------------------------------------------------------------------

interface Outcome {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  refused: Denial[];
  report: string;
}

async function attack(file: string, args: readonly string[], options: SandboxedSpawnOptions): Promise<Outcome> {
  const result = await sandboxedSpawn(file, args, { reject: false, timeout: 80_000, ...options });
  const denials = sandboxReport(result)?.denials ?? [];
  return {
    exitCode: result.exitCode,
    stdout: String(result.stdout ?? ''),
    stderr: String(result.stderr ?? ''),
    refused: denials.filter((d) => d.kind === 'network' && d.certainty === 'observed'),
    report: formatDenials(denials),
  };
}

/** Python helpers every probe starts with: raw bytes to the sandbox's proxy, the answer back. */
const PRELUDE = String.raw`
import socket, struct, sys
ALLOWED, OTHER = int(sys.argv[1]), int(sys.argv[2])
def raw(data, timeout=2.0):
    s = socket.create_connection(('127.0.0.1', 3128), timeout=timeout)
    out = b''
    try:
        s.sendall(data)
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    except OSError:
        pass
    s.close()
    return out
def status(answer):
    return answer.split(b'\r\n')[0].decode('latin1')[:40] or '(nothing)'
def socks(atyp, address, port):
    reply = raw(b'\x05\x01\x00' + b'\x05\x01\x00' + bytes([atyp]) + address + struct.pack('>H', port) + b'GET /socks HTTP/1.1\r\nHost: x\r\n\r\n')
    return 'socks-ok' if reply[2:4] == b'\x05\x00' else 'socks-refused %d' % (reply[3] if len(reply) > 3 else -1)
`;

const workspaceWith = (probe: string) => tree({ 'ws/probe.py': `${PRELUDE}\n${probe}` }).path('ws');
const allowOnly = (port: number) => ({ network: { allow: [`${LOCAL}:${port}`] } });
/** `label: verdict` lines of a probe's stdout. */
const verdicts = (stdout: string): Map<string, string> => new Map(stdout.trim().split('\n').map((line) => line.split(': ', 2) as [string, string]));

describeSandbox('network allowlist red team: host spellings through every protocol', () => {
  it.skipIf(!python)(`every spelling of 127.0.0.1 reaches the allowed port and never the other one, by HTTP forward, CONNECT and SOCKS5 (name, IPv4, IPv6)${skipped(['python3', python])}`, async () => {
    const allowed = await allowedServer();
    const other = await otherServer();
    // Spellings of the allowed address (WHATWG URL and getaddrinfo agree on each).
    const same = ['127.0.0.1', '0x7f.1', '2130706433', '0177.0.0.1', '127.1', '127.00.0.1', '0x7F.0.0.0x1', '[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '[0:0:0:0:0:ffff:7f00:1]'];
    // Other loopback spellings that are not the listed address, and text that is no host.
    const different = ['[::1]', '[0:0:0:0:0:0:0:1]', '[::]', '0', '0.0.0.0', '[::127.0.0.1]', 'localhost', 'LOCALHOST'];
    const malformed = ['127.0.0.1%2e', 'allowed.test@127.0.0.1', '127.0.0.1%00', '127.0.0.1\\t', '127.0.0.1\\x1b'];
    const probe = String.raw`
def each(host):
    bare = host.strip('[]').encode('latin1')
    for name, port in (('allowed', ALLOWED), ('other', OTHER)):
        forward = status(raw(('GET http://%s:%d/fwd HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n' % (host, port, ALLOWED)).encode('latin1')))
        connect = status(raw(('CONNECT %s:%d HTTP/1.1\r\n\r\nGET /tunnel HTTP/1.1\r\nHost: x\r\n\r\n' % (host, port)).encode('latin1')))
        print('%s %s forward: %s' % (host, name, forward))
        print('%s %s connect: %s' % (host, name, connect))
        print('%s %s socks-name: %s' % (host, name, socks(3, bytes([len(bare)]) + bare, port)))
for host in sys.argv[3].split(' '):
    each(host.encode('latin1').decode('unicode_escape'))
for name, port in (('allowed', ALLOWED), ('other', OTHER)):
    print('ipv4 %s socks-ipv4: %s' % (name, socks(1, bytes([127, 0, 0, 1]), port)))
    print('mapped %s socks-ipv6: %s' % (name, socks(4, bytes(10) + b'\xff\xff' + bytes([127, 0, 0, 1]), port)))
    print('::1 %s socks-ipv6: %s' % (name, socks(4, bytes(15) + b'\x01', port)))
`;
    const hosts = [...same, ...different, ...malformed].join(' ');
    const r = await attack(python!, ['probe.py', String(allowed.port), String(other.port), hosts], { workspace: workspaceWith(probe), policy: allowOnly(allowed.port) });
    expect(r.exitCode, r.stderr).toBe(0);
    const seen = verdicts(r.stdout);
    const expectAll = (host: string, name: 'allowed' | 'other', forward: RegExp, connect: RegExp, socksName: string) => {
      expect(seen.get(`${host} ${name} forward`), `${host} ${name} forward`).toMatch(forward);
      expect(seen.get(`${host} ${name} connect`), `${host} ${name} connect`).toMatch(connect);
      expect(seen.get(`${host} ${name} socks-name`), `${host} ${name} socks-name`).toBe(socksName);
    };
    for (const host of same) {
      // Positive control: the same spelling reaches the allowed server through all three.
      expectAll(host, 'allowed', /^HTTP\/1\.1 200 OK$/, /^HTTP\/1\.1 200 Connection Established$/, 'socks-ok');
      expectAll(host, 'other', /^HTTP\/1\.1 403 /, /^HTTP\/1\.1 403 /, 'socks-refused 2');
    }
    for (const host of different) for (const name of ['allowed', 'other'] as const) expectAll(host, name, /^HTTP\/1\.1 403 /, /^HTTP\/1\.1 403 /, 'socks-refused 2');
    for (const host of malformed.map((h) => h.replace('\\t', '\t').replace('\\x1b', '\x1b'))) {
      for (const name of ['allowed', 'other'] as const) expectAll(host, name, /^HTTP\/1\.1 400 /, /^HTTP\/1\.1 400 /, 'socks-refused 1');
    }
    expect(seen.get('ipv4 allowed socks-ipv4')).toBe('socks-ok');
    expect(seen.get('mapped allowed socks-ipv6')).toBe('socks-ok');
    expect(seen.get('ipv4 other socks-ipv4')).toBe('socks-refused 2');
    expect(seen.get('mapped other socks-ipv6')).toBe('socks-refused 2');
    expect(seen.get('::1 allowed socks-ipv6')).toBe('socks-refused 2');
    // The verdict: the other server never saw a connection; the allowed one saw exactly the
    // positive controls (3 per same-address spelling, 2 SOCKS ones with numeric addresses).
    expect(other.connections).toBe(0);
    expect(allowed.connections).toBe(same.length * 3 + 2);
    // Refusals of text with control characters are not recorded (no host to name), so none reach the report.
    expect(r.refused.length).toBeGreaterThan(0);
    for (const denial of r.refused) expect(denial.host).toMatch(/^[A-Za-z0-9_.:-]+$/);
    expect(r.report).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
  }, 120_000); // about 170 proxy round trips: slow on a loaded two-core runner
});

describeSandbox('network allowlist red team: request tricks on the wire', () => {
  it.skipIf(!python)(`URI/Host mismatch, userinfo, pipelining, CONNECT-then-requests, CL+TE smuggling, upgrades, OPTIONS *, oversized heads: the other port sees nothing${skipped(['python3', python])}`, async () => {
    const allowed = await allowedServer();
    const other = await otherServer();
    const probe = String.raw`
A, B = ALLOWED, OTHER
cases = [
    ('control', 'GET http://127.0.0.1:%d/control HTTP/1.1\r\nHost: x\r\n\r\n' % A),
    ('host-header-names-other', 'GET http://127.0.0.1:%d/h HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n' % (A, B)),
    ('origin-form', 'GET /o HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n' % B),
    ('two-ports', 'GET http://127.0.0.1:%d:%d/x HTTP/1.1\r\nHost: x\r\n\r\n' % (A, B)),
    ('userinfo', 'GET http://127.0.0.1:%d@127.0.0.1:%d/x HTTP/1.1\r\nHost: x\r\n\r\n' % (A, B)),
    ('backslash', 'GET http://127.0.0.1:%d\\@127.0.0.1:%d/x HTTP/1.1\r\nHost: x\r\n\r\n' % (A, B)),
    ('other-scheme', 'GET ws://127.0.0.1:%d/x HTTP/1.1\r\nHost: x\r\n\r\n' % B),
    ('port-plus-65536', 'GET http://127.0.0.1:%d/x HTTP/1.1\r\nHost: x\r\n\r\n' % (B + 65536)),
    ('connect-port-plus-65536', 'CONNECT 127.0.0.1:%d HTTP/1.1\r\n\r\n' % (B + 65536)),
    ('connect-port-0', 'CONNECT 127.0.0.1:0 HTTP/1.1\r\n\r\n'),
    ('connect-proxy-itself', 'CONNECT 127.0.0.1:3128 HTTP/1.1\r\n\r\n'),
    ('two-targets-in-line', 'GET http://127.0.0.1:%d/ http://127.0.0.1:%d/ HTTP/1.1\r\nHost: x\r\n\r\n' % (A, B)),
    ('bare-lf-pipeline', 'GET http://127.0.0.1:%d/x HTTP/1.1\nHost: x\n\nGET http://127.0.0.1:%d/y HTTP/1.1\nHost: x\n\n' % (A, B)),
    ('keepalive-then-other', 'GET http://127.0.0.1:%d/1 HTTP/1.1\r\nHost: x\r\n\r\nGET http://127.0.0.1:%d/2 HTTP/1.1\r\nHost: x\r\n\r\n' % (A, B)),
    ('connect-then-requests', 'CONNECT 127.0.0.1:%d HTTP/1.1\r\n\r\nGET http://127.0.0.1:%d/ HTTP/1.1\r\n\r\nCONNECT 127.0.0.1:%d HTTP/1.1\r\n\r\n' % (A, B, B)),
    ('cl-te', 'POST http://127.0.0.1:%d/p HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET http://127.0.0.1:%d/ HTTP/1.1\r\nHost: x\r\n\r\n' % (A, B)),
    ('te-te', 'POST http://127.0.0.1:%d/p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\nGET http://127.0.0.1:%d/ HTTP/1.1\r\n\r\n' % (A, B)),
    ('websocket-upgrade', 'GET http://127.0.0.1:%d/ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nGET http://127.0.0.1:%d/ HTTP/1.1\r\n\r\n' % (A, B)),
    ('h2c-upgrade', 'GET http://127.0.0.1:%d/ HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n' % B),
    ('h2-preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'),
    ('options-star', 'OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n' % B),
    ('http-1.0', 'GET http://127.0.0.1:%d/ HTTP/1.0\r\n\r\n' % B),
    ('huge-head', 'GET http://127.0.0.1:%d/x HTTP/1.1\r\nX: %s\r\n\r\n' % (B, 'a' * 70000)),
]
for label, data in cases:
    print('%s: %s' % (label, status(raw(data.encode('latin1')))))
`;
    const r = await attack(python!, ['probe.py', String(allowed.port), String(other.port)], { workspace: workspaceWith(probe), policy: allowOnly(allowed.port) });
    expect(r.exitCode, r.stderr).toBe(0);
    const seen = verdicts(r.stdout);
    expect(seen.get('control')).toBe('HTTP/1.1 200 OK');
    // Judged by the request target; Host is rewritten to it, never used to route.
    expect(seen.get('host-header-names-other')).toBe('HTTP/1.1 200 OK');
    expect(allowed.received.some((text) => text.startsWith('GET /h HTTP/1.1') && text.includes(`Host: ${LOCAL}:${allowed.port}\r\n`) && !text.includes(String(other.port)))).toBe(true);
    for (const label of ['origin-form', 'two-ports', 'userinfo', 'backslash', 'other-scheme', 'port-plus-65536', 'connect-port-plus-65536', 'connect-port-0', 'two-targets-in-line', 'bare-lf-pipeline', 'cl-te', 'te-te', 'h2-preface', 'options-star']) {
      expect(seen.get(label), label).toMatch(/^HTTP\/1\.1 400 /);
    }
    expect(seen.get('connect-proxy-itself')).toMatch(/^HTTP\/1\.1 403 /);
    expect(seen.get('http-1.0')).toMatch(/^HTTP\/1\.1 403 /);
    expect(seen.get('huge-head')).toMatch(/^HTTP\/1\.1 431 /);
    expect(seen.get('websocket-upgrade')).toMatch(/^HTTP\/1\.1 501 /);
    expect(seen.get('h2c-upgrade')).toMatch(/^HTTP\/1\.1 501 /);
    // A kept-alive connection: the first request is answered, the next judged anew and refused.
    expect(seen.get('keepalive-then-other')).toBe('HTTP/1.1 200 OK');
    // After CONNECT the bytes are the tunnel's: they reach the allowed server, nothing else.
    expect(seen.get('connect-then-requests')).toBe('HTTP/1.1 200 Connection Established');
    expect(allowed.received.some((text) => text.startsWith(`GET http://127.0.0.1:${other.port}/ HTTP/1.1`))).toBe(true);
    expect(other.connections).toBe(0);
    expect(r.refused.every((d) => d.port === other.port || d.port === 3128)).toBe(true);
  });
});

describeSandbox('network allowlist red team: from inside the sandbox', () => {
  it.skipIf(!python)(`no door channel or listener to take over, no way to bind the proxy's port, no raw/packet sockets, no route changes, no direct path to the host${skipped(['python3', python])}`, async () => {
    const allowed = await allowedServer();
    const other = await otherServer();
    const probe = String.raw`
import os, subprocess
def t(label, f):
    try:
        print('%s: %s' % (label, f()))
    except Exception as e:
        print('%s: %s' % (label, type(e).__name__))
def sockets_held():
    # Descriptors above stdio that are sockets (the door's channel, its listener); a harness's
    # inherited descriptors arrive as /dev/null (the cover), and listdir() holds one directory.
    held = []
    for fd in os.listdir('/proc/self/fd'):
        try:
            if int(fd) > 2 and os.readlink('/proc/self/fd/%s' % fd).startswith(('socket:', 'anon_inode')):
                held.append(fd)
        except OSError:
            pass
    return ' '.join(held) or 'none'
def bind(address, family=socket.AF_INET, kind=socket.SOCK_STREAM, reuse=False):
    s = socket.socket(family, kind)
    if reuse:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind(address)
    s.listen(1)
    return 'bound'
def connect(address, family=socket.AF_INET):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(2)
    s.connect(address)
    return 'connected'
def holders():
    # Any process in the sandbox holding a socket other than its stdio (the door's channel or listener).
    found = []
    for pid in [p for p in os.listdir('/proc') if p.isdigit()]:
        try:
            for fd in os.listdir('/proc/%s/fd' % pid):
                if int(fd) > 2 and os.readlink('/proc/%s/fd/%s' % (pid, fd)).startswith('socket:'):
                    found.append('%s/%s' % (pid, fd))
        except OSError:
            pass
    return ' '.join(found) or 'none'
t('control', lambda: status(raw(('GET http://127.0.0.1:%d/in HTTP/1.1\r\nHost: x\r\n\r\n' % ALLOWED).encode())))
t('own sockets', sockets_held)
t('fd 5', lambda: os.fstat(5))
t('socket holders', holders)
t('bind 3128', lambda: bind(('127.0.0.1', 3128)))
t('bind 3128 reuseport', lambda: bind(('127.0.0.1', 3128), reuse=True))
t('bind any 3128', lambda: bind(('0.0.0.0', 3128)))
t('bind own port', lambda: bind(('127.0.0.1', 8080)))
t('raw socket', lambda: socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP) and 'opened')
t('packet socket', lambda: socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0) and 'opened')
t('unix socket', lambda: socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) and 'opened')
t('ip addr add', lambda: subprocess.run(['ip', 'addr', 'add', '10.9.9.9/24', 'dev', 'lo'], capture_output=True).returncode)
t('ip route add', lambda: subprocess.run(['ip', 'route', 'add', 'default', 'dev', 'lo'], capture_output=True).returncode)
t('direct other', lambda: connect(('127.0.0.1', OTHER)))
t('direct allowed', lambda: connect(('127.0.0.1', ALLOWED)))
t('v6 loopback 3128', lambda: connect(('::1', 3128), socket.AF_INET6))
t('forward other', lambda: status(raw(('GET http://127.0.0.1:%d/fwd HTTP/1.1\r\nHost: x\r\n\r\n' % OTHER).encode())))
`;
    const hasIp = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].some((p) => existsSync(p));
    const r = await attack(python!, ['probe.py', String(allowed.port), String(other.port)], { workspace: workspaceWith(probe), policy: allowOnly(allowed.port) });
    expect(r.exitCode, r.stderr).toBe(0);
    const seen = verdicts(r.stdout);
    expect(seen.get('control')).toBe('HTTP/1.1 200 OK');
    // The door closed its channel (fd 5) and the listener before exec: only stdio is left.
    expect(seen.get('own sockets')).toBe('none');
    expect(seen.get('fd 5')).toBe('OSError');
    expect(seen.get('socket holders')).toBe('none');
    expect(seen.get('bind 3128')).toBe('OSError');
    expect(seen.get('bind 3128 reuseport')).toBe('OSError');
    expect(seen.get('bind any 3128')).toBe('OSError');
    expect(seen.get('bind own port')).toBe('bound'); // the sandbox's own loopback works
    expect(seen.get('raw socket')).toBe('PermissionError');
    expect(seen.get('packet socket')).toMatch(/^(PermissionError|OSError)$/);
    expect(seen.get('unix socket')).toBe('PermissionError');
    if (hasIp) {
      expect(seen.get('ip addr add')).not.toBe('0');
      expect(seen.get('ip route add')).not.toBe('0');
    }
    expect(seen.get('direct other')).toBe('ConnectionRefusedError');
    expect(seen.get('direct allowed')).toBe('ConnectionRefusedError');
    expect(seen.get('v6 loopback 3128')).toBe('ConnectionRefusedError');
    expect(seen.get('forward other')).toMatch(/^HTTP\/1\.1 403 /);
    expect(other.connections).toBe(0);
    expect(allowed.connections).toBe(1);
    // Positive control for the direct probes: the same connect from the host reaches both servers.
    for (const port of [other.port, allowed.port]) {
      await new Promise<void>((resolve, reject) => {
        const socket = net.connect(port, LOCAL);
        socket.on('connect', () => {
          socket.destroy();
          resolve();
        });
        socket.on('error', reject);
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(other.connections).toBe(1);
  });
});

describeSandbox('network allowlist red team: after the command', () => {
  it.skipIf(!python)(`background processes (setsid, double fork) cannot use the proxy once the command ended, and an open tunnel is closed with it${skipped(['python3', python])}`, async () => {
    const other = await otherServer();
    const probe = String.raw`
import os, time
def late(path, delay):
    if os.fork() == 0:
        if os.fork() == 0:
            os.setsid()
            time.sleep(delay)
            try:
                raw(('GET http://127.0.0.1:%d/%s HTTP/1.1\r\nHost: x\r\n\r\n' % (ALLOWED, path)).encode())
            except OSError:
                pass
            os._exit(0)
        os._exit(0)
late('during', 0.0)   # positive control: a background client while the command still runs
late('after', 1.5)    # the command is long gone by then
time.sleep(0.7)
# A tunnel left open when the command ends.
s = socket.create_connection(('127.0.0.1', 3128))
s.sendall(('CONNECT 127.0.0.1:%d HTTP/1.1\r\n\r\n' % OTHER).encode())
print('other: %s' % status(s.recv(200)))
t = socket.create_connection(('127.0.0.1', 3128))
t.sendall(('CONNECT 127.0.0.1:%d HTTP/1.1\r\n\r\n' % ALLOWED).encode())
print('tunnel: %s' % status(t.recv(200)))
`;
    const allowedHold = await serve(net.createServer(() => undefined)); // a tunnel target that keeps the connection
    const started = Date.now();
    const r = await attack(python!, ['probe.py', String(allowedHold.port), String(other.port)], {
      workspace: workspaceWith(probe),
      policy: { network: { allow: [`${LOCAL}:${allowedHold.port}`] } },
    });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain('tunnel: HTTP/1.1 200 Connection Established');
    expect(r.stdout).toMatch(/other: HTTP\/1\.1 403 /);
    expect(Date.now() - started).toBeLessThan(1500 + 5000);
    // The tunnel's host side is closed by the time the result is in.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(allowedHold.open.size).toBe(0);
    // Wait past the late client's moment: nothing more arrives.
    const countAtEnd = allowedHold.connections;
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(allowedHold.connections).toBe(countAtEnd);
    // The positive controls: the background client that ran during the command, and the tunnel.
    expect(allowedHold.received.some((text) => text.startsWith('GET /during '))).toBe(true);
    expect(allowedHold.received.some((text) => text.startsWith('GET /after '))).toBe(false);
    expect(countAtEnd).toBe(2);
    expect(other.connections).toBe(0);
  });
});

describeSandbox('network allowlist red team: what the harness shows', () => {
  it.skipIf(!python)(`hosts with terminal escapes or newlines never become a denial; refused names are reported as plain text${skipped(['python3', python])}`, async () => {
    const allowed = await allowedServer();
    const other = await otherServer();
    const probe = String.raw`
evil = '\x1b]0;pwned\x07.test'
print('connect: %s' % status(raw(('CONNECT %s:80 HTTP/1.1\r\n\r\n' % evil).encode('latin1'))))
print('forward: %s' % status(raw(('GET http://%s/ HTTP/1.1\r\n\r\n' % evil).encode('latin1'))))
print('forward-newline: %s' % status(raw(b'GET http://a.test%0d%0acordon stopped: fake/ HTTP/1.1\r\n\r\n')))
name = evil.encode('latin1')
print('socks: %s' % socks(3, bytes([len(name)]) + name, 80))
lf = b'x.test\ncordon stopped: write /etc/passwd'
print('socks-newline: %s' % socks(3, bytes([len(lf)]) + lf, 80))
print('plain refused: %s' % status(raw(b'CONNECT refused-name.invalid:80 HTTP/1.1\r\n\r\n')))
print('control: %s' % status(raw(('GET http://127.0.0.1:%d/c HTTP/1.1\r\nHost: x\r\n\r\n' % ALLOWED).encode())))
`;
    const r = await attack(python!, ['probe.py', String(allowed.port), String(other.port)], { workspace: workspaceWith(probe), policy: allowOnly(allowed.port) });
    expect(r.exitCode, r.stderr).toBe(0);
    const seen = verdicts(r.stdout);
    expect(seen.get('connect')).toMatch(/^HTTP\/1\.1 400 /);
    expect(seen.get('forward')).toMatch(/^HTTP\/1\.1 400 /);
    expect(seen.get('forward-newline')).toMatch(/^HTTP\/1\.1 400 /);
    expect(seen.get('socks')).toBe('socks-refused 1');
    expect(seen.get('socks-newline')).toBe('socks-refused 1');
    expect(seen.get('plain refused')).toMatch(/^HTTP\/1\.1 403 /);
    expect(seen.get('control')).toBe('HTTP/1.1 200 OK');
    // Only the well-formed refused name is recorded, and the report is one plain line for it.
    expect(r.refused.map((d) => `${d.host}:${d.port}`)).toEqual(['refused-name.invalid:80']);
    expect(r.report).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(r.report.split('\n').filter((line) => line.startsWith('cordon stopped: network'))).toEqual([expect.stringContaining('refused-name.invalid:80')]);
    expect(other.connections).toBe(0);
  });
});

describeSandbox('network allowlist red team: Node fetch preload', () => {
  it('fetch with NO_PROXY=*, with the proxy variables pointed elsewhere, or without the preload has no way around the proxy', async () => {
    const allowed = await allowedServer();
    const other = await otherServer();
    const code = [
      '(async () => {',
      '  for (const [label, url] of JSON.parse(process.argv[2])) {',
      '    try {',
      '      const r = await fetch(url);',
      "      console.log(label + ': ' + r.status);",
      '    } catch (e) {',
      "      console.log(label + ': failed ' + (e.cause?.code ?? 'refused'));",
      '    }',
      '  }',
      '})()',
    ].join('\n');
    const urls = (...pairs: Array<[string, number, string]>) => `'${JSON.stringify(pairs.map(([label, port, path]) => [label, `http://127.0.0.1:${port}/${path}`]))}'`;
    const node = `'${process.execPath}'`;
    const script = [
      `${node} fetch.js ${urls(['control', allowed.port, 'c'], ['other', other.port, 'o'])}`,
      `NO_PROXY='*' no_proxy='*' ${node} fetch.js ${urls(['no_proxy other', other.port, 'np'])}`,
      `http_proxy=http://127.0.0.1:${other.port} HTTP_PROXY=http://127.0.0.1:${other.port} ${node} fetch.js ${urls(['proxy var other', allowed.port, 'pv'])}`,
      `NODE_OPTIONS= ${node} fetch.js ${urls(['no preload other', other.port, 'nop'])}`,
    ].join('\n');
    const r = await attack('sh', ['-c', script], { workspace: tree({ 'ws/fetch.js': code }).path('ws'), policy: allowOnly(allowed.port) });
    const seen = verdicts(r.stdout);
    expect(seen.get('control'), r.stderr).toBe('200');
    expect(seen.get('other')).toMatch(/^(403|failed refused)$/);
    expect(seen.get('no_proxy other')).toBe('failed ECONNREFUSED');
    expect(seen.get('proxy var other')).toBe('failed ECONNREFUSED');
    expect(seen.get('no preload other')).toBe('failed ECONNREFUSED');
    expect(other.connections).toBe(0);
    expect(allowed.connections).toBe(1);
  });
});

import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startFilteringProxy, type FilteringProxy } from '../../src/network/proxy.js';
import { networkDecider } from '../../src/policy/network/decide.js';
import { parseNetworkRules } from '../../src/policy/network/patterns.js';

/**
 * Regressions for what the red team of the network allowlist found (issue 10): an upstream
 * that crashed the harness, an address spelling the system resolver reads as a name,
 * pipelining past the connection cap, and a GET body smuggled into a second request. Raw
 * sockets on 127.0.0.1 on both sides, so every byte on the wire is what the test wrote or saw.
 */

const LOCAL = '127.0.0.1';
const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A TCP server that records every connection and every byte, and answers with `reply`. */
async function rawServer(host: string, reply: (received: string, socket: net.Socket) => void): Promise<{ port: number; connections: number; open: number; maxOpen: number; received: string[] }> {
  const state = { port: 0, connections: 0, open: 0, maxOpen: 0, received: [] as string[] };
  const server = net.createServer((socket) => {
    state.connections += 1;
    state.open += 1;
    state.maxOpen = Math.max(state.maxOpen, state.open);
    const index = state.received.push('') - 1;
    socket.on('data', (chunk) => {
      state.received[index] += chunk.toString('latin1');
      reply(state.received[index]!, socket);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => (state.open -= 1));
  });
  await new Promise<void>((resolve) => server.listen(0, host, () => resolve()));
  state.port = (server.address() as net.AddressInfo).port;
  closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return state;
}

async function proxyFor(allow: string[], options: Partial<Parameters<typeof startFilteringProxy>[0]> = {}): Promise<FilteringProxy> {
  const proxy = await startFilteringProxy({ decide: networkDecider(parseNetworkRules({ allow, deny: [] })), credential: null, ...options });
  closers.push(() => proxy.close());
  return proxy;
}

/** Sends `bytes` to the proxy and collects its answer until it closes (or `ms` pass). */
function exchange(port: number, bytes: string, ms = 3000): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, LOCAL);
    let got = '';
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(got);
    };
    const timer = setTimeout(done, ms);
    socket.on('data', (chunk) => (got += chunk.toString('latin1')));
    socket.on('close', done);
    socket.on('error', done);
    socket.write(bytes);
  });
}

const headEnd = (text: string) => text.includes('\r\n\r\n');

describe('network proxy hardening (red-team regressions)', () => {
  it.each([
    ['a status below 100: a 502', 'HTTP/1.1 099 x\r\nContent-Length: 0\r\n\r\n', 'HTTP/1.1 502 Bad Gateway'],
    ['a reason phrase with control bytes: the status without that phrase', 'HTTP/1.1 200 o\x01k\x7f\r\nContent-Length: 2\r\n\r\nok', 'HTTP/1.1 200 OK'],
  ])('an allowed upstream sending %s, and the harness process lives on', async (_what, response, statusLine) => {
    const upstream = await rawServer(LOCAL, (received, socket) => headEnd(received) && socket.end(response, 'latin1'));
    const proxy = await proxyFor([`${LOCAL}:${upstream.port}`]);
    const request = `GET http://${LOCAL}:${upstream.port}/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;
    const answer = await exchange(proxy.port, request);
    // Before the fix this threw ERR_HTTP_INVALID_STATUS_CODE / ERR_INVALID_CHAR inside an event
    // handler: an uncaught exception that ends this very process (vitest reports it as an error).
    expect(upstream.connections).toBe(1);
    expect(answer.split('\r\n')[0]).toBe(statusLine);
    // The proxy still serves.
    const again = await exchange(proxy.port, request);
    expect(again.split('\r\n')[0]).toBe(statusLine);
  });

  it('an address spelled so the system resolver reads it as a name (127.0.0.1., 0x7f.0x.0x.1) is dialled as the judged address, never looked up', async () => {
    const judged = await rawServer(LOCAL, (received, socket) => headEnd(received) && socket.end('HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\njudged'));
    // What /etc/hosts or DNS could answer for those spellings: another loopback address.
    const elsewhere = await rawServer('127.0.0.2', (received, socket) => headEnd(received) && socket.end('HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nelsewhere'));
    expect(elsewhere.port).toBeGreaterThan(0);
    const asked: string[] = [];
    // The resolver the proxy would use: it answers every spelling with 127.0.0.2, on the same port number.
    const proxy = await proxyFor([`${LOCAL}:${judged.port}`, `127.0.0.2:${judged.port}`.replace(String(judged.port), String(elsewhere.port))], {
      resolve: async (host) => {
        asked.push(host);
        return ['127.0.0.2'];
      },
    });
    for (const spelling of ['127.0.0.1.', '0x7f.0x.0x.1', '0x7f.1', '2130706433']) {
      const answer = await exchange(proxy.port, `GET http://${spelling}:${judged.port}/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expect(answer, spelling).toMatch(/\r\n\r\njudged$/);
      const tunnel = await exchange(proxy.port, `CONNECT ${spelling}:${judged.port} HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n`);
      expect(tunnel, spelling).toMatch(/^HTTP\/1\.1 200[\s\S]*judged$/);
    }
    expect(asked).toEqual([]);
    expect(elsewhere.connections).toBe(0);
    // Control: the other server is reachable when the request names it (so 0 above means something).
    const byAddress = await exchange(proxy.port, `GET http://127.0.0.2:${elsewhere.port}/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    expect(byAddress).toMatch(/elsewhere$/);
  });

  it('pipelined requests on one client connection share the proxy-wide cap on upstream connections', async () => {
    // The upstream holds every connection until 40 have been attempted or 1.5 s pass.
    const held: net.Socket[] = [];
    const upstream = await rawServer(LOCAL, (received, socket) => {
      if (!headEnd(received) || held.includes(socket)) return;
      held.push(socket);
    });
    const proxy = await proxyFor([`${LOCAL}:${upstream.port}`], { limits: { maxConnections: 4 } });
    const request = `GET http://${LOCAL}:${upstream.port}/ HTTP/1.1\r\nHost: x\r\n\r\n`;
    const answer = exchange(proxy.port, request.repeat(40), 1500);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    for (const socket of held) socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    await answer;
    expect(upstream.connections).toBeGreaterThan(0);
    expect(upstream.maxOpen).toBeLessThanOrEqual(4);
  });

  it('a GET with a chunked body reaches the upstream framed as chunked (no second request smuggled in), and Connection cannot strip the framing', async () => {
    const upstream = await rawServer(LOCAL, (received, socket) => /0\r\n\r\n$/.test(received) && socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'));
    const proxy = await proxyFor([`${LOCAL}:${upstream.port}`]);
    const smuggled = 'GET /smuggled HTTP/1.1\r\nHost: other-vhost.example\r\n\r\n';
    const body = `${smuggled.length.toString(16)}\r\n${smuggled}\r\n0\r\n\r\n`;
    await exchange(proxy.port, `GET http://${LOCAL}:${upstream.port}/first HTTP/1.1\r\nHost: x\r\nConnection: transfer-encoding, content-length\r\nTransfer-Encoding: chunked\r\n\r\n${body}`, 1500);
    expect(upstream.connections).toBe(1);
    const wire = upstream.received[0]!;
    const [head] = wire.split('\r\n\r\n');
    expect(head).toMatch(/^GET \/first HTTP\/1\.1\r\n/);
    // The body is framed, so the server reads GET /smuggled as body bytes, not as a request.
    expect(head).toMatch(/\r\nTransfer-Encoding: chunked(\r\n|$)/i);
    expect(wire).toContain(`${smuggled.length.toString(16)}\r\n${smuggled}\r\n0\r\n\r\n`);
  });

  it("a client that trickles its first request head is cut off after the handshake time (Node's own head timeout never runs here)", async () => {
    const upstream = await rawServer(LOCAL, (received, socket) => headEnd(received) && socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'));
    const proxy = await proxyFor([`${LOCAL}:${upstream.port}`], { limits: { handshakeTimeoutMs: 400 } });
    const head = `GET http://${LOCAL}:${upstream.port}/ HTTP/1.1\r\nHost: x\r\nX-Slow: ${'a'.repeat(60)}\r\n\r\n`;
    const socket = net.connect(proxy.port, LOCAL);
    let closedAfter = -1;
    let sent = 0;
    await new Promise<void>((resolve) => {
      socket.on('close', () => {
        closedAfter = sent;
        resolve();
      });
      socket.on('error', () => undefined);
      // One byte every 50 ms: the whole head would take several seconds.
      const timer = setInterval(() => {
        if (sent >= head.length || socket.destroyed) {
          clearInterval(timer);
          if (sent >= head.length) resolve();
          return;
        }
        socket.write(head[sent]!);
        sent += 1;
      }, 50);
    });
    socket.destroy();
    expect(closedAfter).toBeGreaterThan(0);
    expect(closedAfter).toBeLessThan(head.length);
    expect(upstream.connections).toBe(0);
    // Control: the same head sent at once is served.
    const answer = await exchange(proxy.port, head.replace('Host: x\r\n', 'Host: x\r\nConnection: close\r\n'));
    expect(answer).toMatch(/ok$/);
  });
});

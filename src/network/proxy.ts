import dns from 'node:dns';
import net from 'node:net';
import { SandboxSetupError } from '../errors.js';
import { newCredential, validateCredential } from './credential.js';
import { httpSide } from './http-server.js';
import { handleSocks5 } from './socks5.js';
import { SOCKS } from './socks5-wire.js';
import type { FilteringProxy, FilteringProxyOptions, ProxyContext, ProxyDenial, ProxyLimits, Resolve } from './types.js';

export type { Decide, FilteringProxy, FilteringProxyOptions, NetworkDecision, ProxyDenial, ProxyLimits, Resolve } from './types.js';
export { PROXY_USER } from './credential.js';

export const DEFAULT_PROXY_LIMITS: Readonly<ProxyLimits> = {
  maxHeaderBytes: 16 * 1024,
  // Long enough for a slow registry or a `git fetch` that thinks before it sends.
  idleTimeoutMs: 5 * 60_000,
  handshakeTimeoutMs: 15_000,
  connectTimeoutMs: 15_000,
  maxConnections: 256,
  maxDenials: 1000,
};

const systemResolve: Resolve = async (host) => (await dns.promises.lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);

function normaliseLimits(given: Partial<ProxyLimits> = {}): ProxyLimits {
  const limits = { ...DEFAULT_PROXY_LIMITS, ...given };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new SandboxSetupError(`the network proxy limit ${name} must be a positive integer, got ${String(value)}`, '', { hint: 'leave limits out to use the defaults' });
    }
  }
  return limits;
}

/**
 * Starts the filtering proxy on 127.0.0.1: HTTP forward (`GET http://host/...`), HTTP CONNECT
 * and SOCKS5 on one port, told apart by the first byte (SOCKS5 always opens with 0x05, which
 * no HTTP method does). Every request must carry the credential; each target is judged by
 * `decide` before and after the proxy resolves it; refusals are kept for `denials()`.
 * Throws SandboxSetupError when it cannot listen: the command must then not run.
 */
export async function startFilteringProxy(options: FilteringProxyOptions): Promise<FilteringProxy> {
  if (typeof options?.decide !== 'function') throw new SandboxSetupError('the network proxy needs a decide function', '', { hint: 'pass the policy check as `decide`' });
  const listen = options.listen ?? { host: '127.0.0.1', port: 0 };
  // Only the loopback address: the proxy must never be reachable from another machine.
  if (listen.host !== '127.0.0.1' || !Number.isInteger(listen.port) || listen.port < 0 || listen.port > 65535) {
    throw new SandboxSetupError(`the network proxy listens on 127.0.0.1 only, not ${String(listen.host)}:${String(listen.port)}`, '', { hint: "use listen: { host: '127.0.0.1', port: 0 }" });
  }
  const credential = options.credential === undefined ? newCredential() : validateCredential(options.credential);
  const limits = normaliseLimits(options.limits);
  const sockets = new Set<net.Socket>();
  const denials: ProxyDenial[] = [];
  let dropped = 0;
  let closed = false;

  const context: ProxyContext = {
    decide: options.decide,
    resolve: options.resolve ?? systemResolve,
    credential,
    limits,
    track(socket) {
      // A request still being judged when close() ran must not leave a live upstream behind.
      if (closed) {
        socket.destroy();
        return;
      }
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    },
    recordDenial(denial) {
      if (denials.length < limits.maxDenials) denials.push(denial);
      else dropped += 1;
    },
  };

  const httpServer = httpSide(context);

  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    context.track(socket);
    socket.on('error', () => socket.destroy());
    socket.setTimeout(limits.handshakeTimeoutMs, () => socket.destroy());
    // allowHalfOpen (for tunnels) means a client that leaves before its first byte would
    // otherwise hold a connection slot until the timeout.
    const leftEarly = (): void => void socket.destroy();
    socket.once('end', leftEarly);
    socket.once('data', (first: Buffer) => {
      socket.off('end', leftEarly);
      socket.setTimeout(0);
      if (first[0] === SOCKS.version) {
        void handleSocks5(context, socket, first);
        return;
      }
      // Hand the connection to Node's HTTP parser with the sniffed bytes put back. Paused so
      // nothing flows before the parser listens; the server does not resume a socket that was
      // explicitly paused, so resume it once the parser is attached (measured: without this,
      // the request is never read).
      socket.pause();
      socket.unshift(first);
      httpServer.emit('connection', socket);
      process.nextTick(() => socket.resume());
    });
  });
  server.maxConnections = limits.maxConnections;

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new SandboxSetupError(`the network proxy could not listen on 127.0.0.1:${listen.port}: ${error.message}`, '', { hint: 'use port 0 to let the system pick a free port', cause: error })),
    );
    server.listen({ host: '127.0.0.1', port: listen.port, exclusive: true }, () => resolve());
  });
  server.on('error', () => undefined);
  const address = server.address() as net.AddressInfo;

  return {
    port: address.port,
    credential,
    denials: () => denials.map((denial) => ({ ...denial })),
    droppedDenials: () => dropped,
    close: async () => {
      closed = true;
      const listenerClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      httpServer.closeAllConnections();
      await listenerClosed;
    },
  };
}

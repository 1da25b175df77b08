import dns from 'node:dns';
import net from 'node:net';
import { SandboxSetupError } from '../errors.js';
import { newCredential, validateCredential } from './credential.js';
import { httpSide } from './http-server.js';
import { handleSocks5 } from './socks5.js';
import { SOCKS } from './socks5-wire.js';
import type { FilteringProxy, FilteringProxyOptions, FilteringProxyServer, ProxyContext, ProxyDenial, ProxyLimits, Resolve } from './types.js';

export type { Decide, FilteringProxy, FilteringProxyOptions, FilteringProxyServer, NetworkDecision, ProxyDenial, ProxyLimits, Resolve } from './types.js';
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
 * Starts the filtering proxy on 127.0.0.1 (a port of its own, or `listen.port`). See
 * createFilteringProxy for what it does. Throws SandboxSetupError when it cannot listen: the
 * command must then not run.
 */
export async function startFilteringProxy(options: FilteringProxyOptions): Promise<FilteringProxy> {
  const listen = options?.listen ?? { host: '127.0.0.1', port: 0 };
  // Only the loopback address: the proxy must never be reachable from another machine.
  if (listen.host !== '127.0.0.1' || !Number.isInteger(listen.port) || listen.port < 0 || listen.port > 65535) {
    throw new SandboxSetupError(`the network proxy listens on 127.0.0.1 only, not ${String(listen.host)}:${String(listen.port)}`, '', { hint: "use listen: { host: '127.0.0.1', port: 0 }" });
  }
  const proxy = createFilteringProxy(options);
  const port = listen.port === 0 ? proxy.listenOnLoopback() : await proxy.listenOnPort(listen.port);
  return { port, credential: proxy.credential, denials: proxy.denials, droppedDenials: proxy.droppedDenials, close: proxy.close };
}

interface ProxyCore extends FilteringProxyServer {
  /** Listens on 127.0.0.1:port (a given port: asynchronous, Node resolves the host first). */
  listenOnPort(port: number): Promise<number>;
}

/**
 * The filtering proxy, not yet listening: HTTP forward (`GET http://host/...`), HTTP CONNECT
 * and SOCKS5 on one listener, told apart by the first byte (SOCKS5 always opens with 0x05,
 * which no HTTP method does). Every request must carry the credential (unless it is null);
 * each target is judged by `decide` before and after the proxy resolves it; refusals are kept
 * for `denials()`. It listens exactly once: on the host's loopback (`listenOnLoopback`) or on
 * a listening socket made elsewhere (`acceptOn`, Linux: in the sandbox's own network namespace).
 */
export function createFilteringProxy(options: FilteringProxyOptions): ProxyCore {
  if (typeof options?.decide !== 'function') throw new SandboxSetupError('the network proxy needs a decide function', '', { hint: 'pass the policy check as `decide`' });
  const credential = options.credential === null ? null : options.credential === undefined ? newCredential() : validateCredential(options.credential);
  const limits = normaliseLimits(options.limits);
  const sockets = new Set<net.Socket>();
  const denials: ProxyDenial[] = [];
  let dropped = 0;
  let closed = false;
  let upstreams = 0;
  /** HTTP clients whose first request head has not arrived yet: their handshake timers. */
  const awaitingHead = new WeakMap<net.Socket, NodeJS.Timeout>();

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
    reserveUpstream() {
      if (upstreams >= limits.maxConnections) return undefined;
      upstreams += 1;
      let released = false;
      return () => {
        if (!released) {
          released = true;
          upstreams -= 1;
        }
      };
    },
    headReceived(socket) {
      clearTimeout(awaitingHead.get(socket));
      awaitingHead.delete(socket);
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
      // Node's own head timeout never runs here (the HTTP server does not listen, so it never
      // starts its timer sweep): the first head must arrive within the handshake time.
      const timer = setTimeout(() => socket.destroy(), limits.handshakeTimeoutMs);
      awaitingHead.set(socket, timer);
      socket.once('close', () => context.headReceived(socket));
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
  server.on('error', () => undefined);

  let listening = false;
  const once = (where: string): void => {
    if (closed) throw new SandboxSetupError(`the network proxy was closed before it could listen ${where}`, '');
    if (listening) throw new SandboxSetupError(`the network proxy already listens; it cannot also listen ${where}`, '');
    listening = true;
  };
  const listenFailed = (where: string, error: unknown): SandboxSetupError =>
    new SandboxSetupError(`the network proxy could not listen ${where}: ${error instanceof Error ? error.message : String(error)}`, '', {
      hint: 'nothing ran; run the command again, and `cordon doctor` if it persists',
      cause: error,
    });

  return {
    credential,
    listenOnLoopback() {
      once('on 127.0.0.1');
      try {
        // Synchronous, unlike server.listen({ host }), which resolves the host first: a plan
        // (the macOS profile) must name the port before the command is spawned, and spawning
        // happens synchronously. _createServerHandle is what net and cluster use for it.
        const create = (net as unknown as { _createServerHandle?: (address: string, port: number, type: number) => unknown })._createServerHandle;
        if (typeof create !== 'function') throw new Error('this Node.js has no net._createServerHandle');
        const handle = create('127.0.0.1', 0, 4);
        if (typeof handle === 'number') throw new Error(`bind failed (${handle})`);
        server.listen(handle as net.ListenOptions);
        return (server.address() as net.AddressInfo).port;
      } catch (error) {
        throw listenFailed('on 127.0.0.1', error);
      }
    },
    async listenOnPort(port) {
      once(`on 127.0.0.1:${port}`);
      await new Promise<void>((resolve, reject) => {
        server.once('error', (error) => reject(listenFailed(`on 127.0.0.1:${port}`, error)));
        server.listen({ host: '127.0.0.1', port, exclusive: true }, () => resolve());
      });
      return (server.address() as net.AddressInfo).port;
    },
    async acceptOn(fd) {
      once(`on descriptor ${fd}`);
      await new Promise<void>((resolve, reject) => {
        server.once('error', (error) => reject(listenFailed(`on descriptor ${fd}`, error)));
        try {
          server.listen({ fd }, () => resolve());
        } catch (error) {
          reject(listenFailed(`on descriptor ${fd}`, error));
        }
      });
    },
    denials: () => denials.map((denial) => ({ ...denial })),
    droppedDenials: () => dropped,
    close: async () => {
      if (closed) return;
      closed = true;
      const listenerClosed = listening ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
      for (const socket of sockets) socket.destroy();
      httpServer.closeAllConnections();
      await listenerClosed;
    },
  };
}

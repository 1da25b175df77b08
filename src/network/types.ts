import type { Denial } from '../sandbox-report.js';

/** What the policy says about one target. `rule` names the rule in words; `reason` says why, for a refusal. */
export interface NetworkDecision {
  allowed: boolean;
  rule: string;
  reason?: string;
}

/**
 * The policy, injected. Called twice per request: first with the host as the client spelled it
 * and no addresses (so a name the policy refuses is never even looked up: a DNS query is itself
 * a way out), then with the addresses the proxy resolved (so a listed name that resolves to a
 * private or metadata address can still be refused). Numeric spellings are its business.
 */
export type Decide = (host: string, port: number, addresses?: readonly string[]) => NetworkDecision;

/** Name resolution, injected for tests; the default is `dns.promises.lookup(host, { all: true })`. */
export type Resolve = (host: string) => Promise<string[]>;

/** One request the proxy refused: a network Denial that always carries host, port and the reason. */
export interface ProxyDenial extends Denial {
  kind: 'network';
  host: string;
  port: number;
  reason: string;
  certainty: 'observed';
}

export interface ProxyLimits {
  /** Largest request head (HTTP request line + headers) accepted, in bytes. */
  maxHeaderBytes: number;
  /** A client or tunnel with no traffic either way for this long is closed. */
  idleTimeoutMs: number;
  /** Time allowed for a client to finish its request head or SOCKS handshake. */
  handshakeTimeoutMs: number;
  /** Time allowed for resolving a name and for each connection attempt upstream. */
  connectTimeoutMs: number;
  /** Client connections served at once (more are closed at accept), and upstream connections open at once. */
  maxConnections: number;
  /** Denials kept; later ones are counted in `droppedDenials` only (a command could loop forever). */
  maxDenials: number;
}

export interface FilteringProxyOptions {
  decide: Decide;
  resolve?: Resolve;
  /**
   * The per-sandbox secret; generated when absent. URL-safe characters only, 16 to 255 of them.
   * `null`: no authentication, for a proxy that only accepts on a listener no other process can
   * reach (Linux: the one cordon-proxy-door opens in the sandbox's own network namespace).
   */
  credential?: string | null;
  /** Always 127.0.0.1; port 0 (the default) picks a free one. */
  listen?: { host: '127.0.0.1'; port: number };
  limits?: Partial<ProxyLimits>;
}

/** The proxy before it listens anywhere (createFilteringProxy): one listener, chosen by the backend. */
export interface FilteringProxyServer {
  /** Password for user `cordon` (HTTP Basic proxy auth, SOCKS5 username/password); null: none asked. */
  credential: string | null;
  /** Listens on 127.0.0.1, a free port, synchronously (a plan must name the port before launch). */
  listenOnLoopback(): number;
  /** Accepts on a listening socket opened elsewhere (Linux: in the sandbox's own network namespace). */
  acceptOn(fd: number): Promise<void>;
  /** Each refused request so far, oldest first (a copy). */
  denials(): ProxyDenial[];
  /** Refusals not kept because `maxDenials` was reached. */
  droppedDenials(): number;
  /** Stops listening and ends every client connection and tunnel. Idempotent. */
  close(): Promise<void>;
}

export interface FilteringProxy {
  /** The port on 127.0.0.1. */
  port: number;
  /** Password for user `cordon` (HTTP Basic proxy auth, SOCKS5 username/password); null: none asked. */
  credential: string | null;
  /** Each refused request so far, oldest first (a copy). */
  denials(): ProxyDenial[];
  /** Refusals not kept because `maxDenials` was reached. */
  droppedDenials(): number;
  /** Stops listening and ends every client connection and tunnel. */
  close(): Promise<void>;
}

/** What a protocol handler needs from the proxy it runs in. */
export interface ProxyContext {
  decide: Decide;
  resolve: Resolve;
  /** null: no authentication (see FilteringProxyOptions.credential). */
  credential: string | null;
  limits: ProxyLimits;
  /** Registers a socket so close() can end it. */
  track(socket: import('node:net').Socket): void;
  /**
   * Takes one of the proxy's upstream connection slots (`maxConnections` of them, for all
   * clients together: pipelined requests on one client connection would otherwise each dial
   * their own); returns its release, or undefined when none is free.
   */
  reserveUpstream(): (() => void) | undefined;
  /** A client's first request head has arrived: its handshake timeout ends (proxy.ts). */
  headReceived(socket: import('node:net').Socket): void;
  recordDenial(denial: ProxyDenial): void;
}

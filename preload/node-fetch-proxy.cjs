'use strict';
/**
 * cordon: makes Node's built-in fetch() honour HTTP_PROXY / HTTPS_PROXY / NO_PROXY on Nodes
 * that ignore them. Loaded with NODE_OPTIONS=--require=<this file> inside a sandbox with a
 * network allowlist, where the only way out is cordon's filtering proxy. Plain CommonJS with
 * no dependencies: every node process in the sandbox (npm, tsc, vitest workers) loads it.
 *
 * Node facts this relies on (measured on 20.20.2, read in nodejs/node for the others):
 * - NODE_USE_ENV_PROXY=1 (which cordon sets) makes fetch() use the proxy variables from
 *   Node 24.0.0 and 22.21.0 (nodejs/node#57165; doc/api/cli.md "added: v24.0.0, v22.21.0";
 *   the 24.5.0 notes: "fetch() already supports NODE_USE_ENV_PROXY as of Node.js 24.0.0").
 *   24.5.0 / 22.21.0 added the same for http/https.request (#58980). No 23.x has it: 23.11.0
 *   (2025-04-01) was the last 23 release, before #57165 landed. On those Nodes: do nothing.
 * - globalThis.fetch is a plain data property (not an accessor) holding a small wrapper that
 *   loads the bundled undici on its first call (lib/internal/bootstrap/web/
 *   exposed-window-or-worker.js, the same from 20 to 24). Loading undici installs a default
 *   `Agent` as the global dispatcher at globalThis[Symbol.for('undici.globalDispatcher.1')]
 *   (writable), and each fetch reads that dispatcher synchronously when it builds its Request.
 *
 * So, at startup only a wrapper replaces globalThis.fetch (undici is not loaded, nor net or tls:
 * a process that never fetches pays for reading this file, about a millisecond). On the first
 * call the wrapper loads undici, takes the class of its default dispatcher (the bundled Agent)
 * and installs `new Agent({ connect })` whose connector opens every connection through an
 * HTTP CONNECT tunnel to the proxy, then puts the original fetch back. Request, Response and
 * Headers are untouched. Whenever something is not as expected, fetch is left as Node made it: it then
 * fails, as before (the sandbox has no other way out). Never a direct connection instead of
 * the proxy, except for NO_PROXY hosts, as every proxy-aware client does.
 *
 * Not covered: http.request/https.request (use a proxy-aware agent), npm `undici` used with its
 * own dispatcher, and a program that set its own non-Agent global dispatcher before its first
 * fetch (a ProxyAgent, a MockAgent: kept, it chose its route). A plain Agent it set is replaced.
 */

const DISPATCHER = Symbol.for('undici.globalDispatcher.1');
/** The proxy's own limits are 15 s to resolve and 15 s to dial: wait for its answer, not less. */
const TUNNEL_TIMEOUT_MS = 35_000;
/** A CONNECT answer head larger than this is not from cordon's proxy. */
const MAX_HEAD_BYTES = 16 * 1024;

/** Whether this Node's fetch honours NODE_USE_ENV_PROXY itself (see above). */
function honoursEnvProxy(version) {
  const [major, minor] = version.split('.').map(Number);
  return major >= 24 || (major === 22 && minor >= 21);
}

/** Lower case first, as undici's EnvHttpProxyAgent and curl read them; '' counts as unset. */
function variable(env, name) {
  return env[name.toLowerCase()] || env[name.toUpperCase()] || '';
}

function unbracket(host) {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** `http://user:pass@host:port` -> where to dial and the Proxy-Authorization value. Throws on anything else. */
function parseProxy(text) {
  const url = new URL(text.includes('://') ? text : `http://${text}`);
  if (url.protocol !== 'http:') throw new Error(`cordon: proxy ${url.protocol}// is not supported for fetch (only http://)`);
  const user = decodeURIComponent(url.username);
  const pass = decodeURIComponent(url.password);
  return {
    host: unbracket(url.hostname),
    port: Number(url.port) || 80,
    authorization: user || pass ? `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` : undefined,
  };
}

/**
 * NO_PROXY as undici reads it: entries split on commas and spaces; `name` matches exactly,
 * `.name` / `*.name` match below it, `host:port` only that port, `*` everything.
 */
function parseNoProxy(text) {
  const entries = [];
  for (const raw of text.split(/[,\s]+/)) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
    const withPort = /^([^:]+):(\d+)$/.exec(entry);
    if (bracketed) entries.push({ host: bracketed[1], port: Number(bracketed[2] || 0) });
    else if (withPort) entries.push({ host: withPort[1], port: Number(withPort[2]) });
    else entries.push({ host: entry, port: 0 });
  }
  return entries;
}

function bypassed(entries, host, port) {
  const name = host.toLowerCase();
  return entries.some((entry) => {
    if (entry.port && entry.port !== port) return false;
    if (entry.host === '*') return true;
    if (entry.host.startsWith('.') || entry.host.startsWith('*.')) return name.endsWith(entry.host.replace(/^\*/, ''));
    return name === entry.host;
  });
}

/** The proxy settings, read once (on the first fetch). A malformed proxy is kept as its error. */
function readConfig(env) {
  const parse = (text) => {
    if (!text) return undefined;
    try {
      return parseProxy(text);
    } catch (error) {
      return { error };
    }
  };
  const http = parse(variable(env, 'http_proxy'));
  // As undici's EnvHttpProxyAgent: https falls back to the http proxy.
  const https = parse(variable(env, 'https_proxy')) || http;
  return { http, https, noProxy: parseNoProxy(variable(env, 'no_proxy')) };
}

/** Calls `callback` once: with the socket, or with an error after destroying what was opened. */
function settleOnce(callback) {
  let done = false;
  const sockets = [];
  return {
    track: (socket) => sockets.push(socket),
    settle(error, socket) {
      if (done) return;
      done = true;
      if (error) {
        for (const s of sockets) s.destroy();
        callback(error);
      } else callback(null, socket);
    },
  };
}

function tlsOver(tls, net, options, host, servername, settle) {
  // `host` is what the certificate is checked against: without it, a tunnelled socket would be
  // checked against the proxy's address. No SNI for an IP literal (Node warns about it).
  const tlsSocket = tls.connect({ ...options, host, servername: servername || (net.isIP(host) ? undefined : host), ALPNProtocols: ['http/1.1'] });
  tlsSocket.once('secureConnect', () => settle(null, tlsSocket));
  tlsSocket.once('error', (error) => settle(error));
  return tlsSocket;
}

/** A direct connection, for a NO_PROXY host or a scheme without a proxy variable. */
function direct(host, port, secure, servername, callback) {
  const net = require('node:net');
  const once = settleOnce(callback);
  if (secure) {
    once.track(tlsOver(require('node:tls'), net, { port }, host, servername, once.settle));
    return;
  }
  const socket = net.connect({ host, port });
  once.track(socket);
  socket.once('connect', () => once.settle(null, socket));
  socket.once('error', (error) => once.settle(error));
}

/** `CONNECT host:port` through the proxy; for https, TLS to the target inside the tunnel. */
function tunnel(proxy, host, port, secure, servername, callback) {
  const net = require('node:net');
  const once = settleOnce(callback);
  const authority = `${net.isIPv6(host) ? `[${host}]` : host}:${port}`;
  const socket = net.connect({ host: proxy.host, port: proxy.port });
  once.track(socket);
  socket.setNoDelay(true);
  const timer = setTimeout(() => once.settle(new Error(`cordon: the proxy at ${proxy.host}:${proxy.port} did not answer CONNECT ${authority} in ${TUNNEL_TIMEOUT_MS / 1000} s`)), TUNNEL_TIMEOUT_MS);
  const settle = (error, result) => {
    clearTimeout(timer);
    once.settle(error, result);
  };
  socket.once('error', (error) => settle(error));
  socket.once('connect', () => {
    const auth = proxy.authorization ? `Proxy-Authorization: ${proxy.authorization}\r\n` : '';
    socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${auth}\r\n`);
  });
  let head = Buffer.alloc(0);
  const onData = (chunk) => {
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) {
      if (head.length > MAX_HEAD_BYTES) settle(new Error(`cordon: the proxy's answer to CONNECT ${authority} is not HTTP`));
      return;
    }
    socket.off('data', onData);
    socket.pause();
    const statusLine = head.subarray(0, head.indexOf('\r\n')).toString('latin1');
    if (!/^HTTP\/1\.[01] 2\d\d( |$)/.test(statusLine)) {
      // cordon's proxy says why in one line of body, sent with the head.
      const why = head.subarray(end + 4).toString('utf8').trim().slice(0, 500);
      settle(new Error(`cordon: the proxy refused CONNECT ${authority}: ${statusLine}${why ? ` (${why})` : ''}`));
      return;
    }
    const rest = head.subarray(end + 4);
    if (rest.length > 0) socket.unshift(rest);
    if (!secure) {
      settle(null, socket);
      return;
    }
    once.track(tlsOver(require('node:tls'), net, { socket }, host, servername, settle));
  };
  socket.on('data', onData);
}

/** undici's `connect` option: `(options, callback)`, options from the request's origin. */
function makeConnector(config) {
  return function cordonConnect(options, callback) {
    const secure = options.protocol === 'https:';
    const host = unbracket(String(options.hostname));
    const port = Number(options.port) || (secure ? 443 : 80);
    const proxy = secure ? config.https : config.http;
    if (!proxy || bypassed(config.noProxy, host, port)) {
      direct(host, port, secure, options.servername, callback);
      return;
    }
    if (proxy.error) {
      callback(proxy.error);
      return;
    }
    tunnel(proxy, host, port, secure, options.servername, callback);
  };
}

/** Loads the bundled undici (if nothing has) and swaps its default Agent for a tunnelling one. */
function routeThroughProxy(originalFetch, env) {
  if (globalThis[DISPATCHER] === undefined) {
    // An unparseable URL: loads undici, then rejects while building the Request. No network.
    const pending = originalFetch('http://[');
    if (pending && typeof pending.catch === 'function') pending.catch(() => undefined);
  }
  const current = globalThis[DISPATCHER];
  const Agent = current && current.constructor;
  if (typeof Agent !== 'function' || Agent.name !== 'Agent') return;
  globalThis[DISPATCHER] = new Agent({ connect: makeConnector(readConfig(env)) });
}

(function install() {
  if (honoursEnvProxy(process.versions.node)) return;
  const env = process.env;
  if (!variable(env, 'http_proxy') && !variable(env, 'https_proxy')) return;
  const slot = Object.getOwnPropertyDescriptor(globalThis, 'fetch');
  if (!slot || typeof slot.value !== 'function' || !slot.writable || !slot.configurable) return;
  const originalFetch = slot.value;
  let routed = false;
  // One declared parameter, like Node's own `fetch(input, init = undefined)` (fetch.length === 1).
  const fetch = function fetch(input) {
    if (!routed) {
      routed = true;
      try {
        routeThroughProxy(originalFetch, env);
      } catch (error) {
        process.emitWarning(`cordon: fetch() could not be routed through the proxy: ${error && error.message}`, { code: 'CORDON_FETCH_PROXY' });
      }
      if (globalThis.fetch === fetch) Object.defineProperty(globalThis, 'fetch', { ...slot, value: originalFetch });
    }
    return Reflect.apply(originalFetch, this, arguments);
  };
  Object.defineProperty(globalThis, 'fetch', { ...slot, value: fetch });
})();

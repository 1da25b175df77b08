import http from 'node:http';
import type net from 'node:net';
import { basicAuthMatches } from './credential.js';
import { dialJudged } from './dial.js';
import { judge } from './judge.js';
import { refusalLine } from './refusal-text.js';
import { parseAbsoluteHttp } from './target.js';
import type { ProxyContext } from './types.js';

// Hop-by-hop headers (RFC 9110 7.6.1) and the proxy's own: never forwarded either way. The
// credential in Proxy-Authorization must not reach the target.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authorization', 'proxy-authenticate', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host']);

/**
 * Headers that say where a message ends or whom it is for: a Connection header may not name
 * them (`Connection: content-length` would strip the framing and let a body run into the next
 * request on the upstream connection: smuggling).
 */
const FRAMING = new Set(['content-length', 'transfer-encoding', 'host']);

/** rawHeaders without hop-by-hop ones and without those the Connection header names. */
function endToEnd(rawHeaders: readonly string[], connection: string | string[] | undefined): string[] {
  const named = new Set(String(connection ?? '').toLowerCase().split(',').map((s) => s.trim()).filter((name) => name && !FRAMING.has(name)));
  const kept: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    const lower = name.toLowerCase();
    if (!HOP_BY_HOP.has(lower) && !named.has(lower)) kept.push(name, rawHeaders[i + 1] as string);
  }
  return kept;
}

function answer(res: http.ServerResponse, status: number, line: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close', ...headers });
  res.end(`${line.replace(/[\x00-\x1f\x7f]/g, '?')}\n`);
}

/**
 * A plain-HTTP request in absolute form (`GET http://host:port/path`): authenticate, judge,
 * dial a judged address and send the request there in origin form. Host is rewritten to the
 * authority that was judged, so a request cannot be judged for one host and name another to
 * a server that hosts several. Each request on a kept-alive client connection is judged anew.
 */
export async function handleForward(context: ProxyContext, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  if (!basicAuthMatches(req.headers['proxy-authorization'], context.credential)) {
    answer(res, 407, 'cordon: proxy authentication required', { 'Proxy-Authenticate': 'Basic realm="cordon"' });
    req.resume();
    return;
  }
  const target = parseAbsoluteHttp(req.url ?? '');
  if (!target) {
    answer(res, 400, 'cordon: this is a proxy; send http://host[:port]/path (use CONNECT for https and anything else)');
    req.resume();
    return;
  }
  const judgement = await judge(target, context.decide, context.resolve, context.limits.connectTimeoutMs);
  if (judgement.kind === 'denied') {
    context.recordDenial(judgement.denial);
    answer(res, 403, refusalLine(judgement.denial));
    req.resume();
    return;
  }
  if (judgement.kind === 'unresolved') {
    answer(res, 502, `cordon: ${judgement.message}`);
    req.resume();
    return;
  }
  if (res.destroyed) return;
  let socket: net.Socket;
  try {
    socket = await dialJudged(judgement.addresses, target.port, context.limits.connectTimeoutMs, context);
  } catch (error) {
    answer(res, 502, `cordon: could not connect to ${target.host}:${target.port}: ${(error as Error).message}`);
    req.resume();
    return;
  }
  if (res.destroyed) {
    socket.destroy();
    return;
  }
  socket.setTimeout(context.limits.idleTimeoutMs, () => socket.destroy(new Error(`no traffic for ${context.limits.idleTimeoutMs} ms`)));
  // The body's framing is stated, never left to the method: Node sends a GET's body unframed
  // (no chunking by default), which the server would read as the start of another request.
  const chunked = req.headers['transfer-encoding'] !== undefined;
  const headers = [...endToEnd(req.rawHeaders, req.headers.connection), 'Host', target.authority, 'Connection', 'close', ...(chunked ? ['Transfer-Encoding', 'chunked'] : [])];
  const upstream = http.request({ method: req.method, path: target.path, headers, setHost: false, createConnection: () => socket });
  upstream.on('response', (upstreamRes) => relayResponse(upstreamRes, res, target));
  // A 101 (Switching Protocols) is not relayed: plain-HTTP upgrades are refused (http-server.ts).
  upstream.on('upgrade', (_upstreamRes, upgraded) => {
    upgraded.destroy();
    answer(res, 502, `cordon: ${target.host}:${target.port} switched protocols; use CONNECT for that`);
  });
  upstream.on('error', (error) => answer(res, 502, `cordon: ${target.host}:${target.port}: ${error.message}`));
  res.on('close', () => upstream.destroy());
  if (chunked || req.headers['content-length'] !== undefined) req.pipe(upstream);
  else {
    req.resume();
    upstream.end();
  }
}

/**
 * The upstream's answer, passed on. What the upstream sends is the upstream's choice, so
 * nothing of it may throw here (an exception in this event handler would take down the
 * harness): a status Node cannot write (below 200 after the parser's own 1xx handling, above
 * 999) or headers it refuses become a 502; the reason phrase is not passed on at all (it may
 * carry bytes Node refuses; clients go by the number).
 */
function relayResponse(upstreamRes: http.IncomingMessage, res: http.ServerResponse, target: { host: string; port: number }): void {
  const status = upstreamRes.statusCode ?? 0;
  try {
    if (!Number.isInteger(status) || status < 200 || status > 999) throw new Error(`status ${status}`);
    res.writeHead(status, endToEnd(upstreamRes.rawHeaders, upstreamRes.headers.connection));
  } catch (error) {
    upstreamRes.destroy();
    answer(res, 502, `cordon: ${target.host}:${target.port} sent a response the proxy cannot pass on (${error instanceof Error ? error.message : String(error)})`);
    return;
  }
  upstreamRes.pipe(res);
  upstreamRes.on('error', () => res.destroy());
}

import type { IncomingMessage } from 'node:http';
import type net from 'node:net';
import { basicAuthMatches } from './credential.js';
import { dialJudged } from './dial.js';
import { judge } from './judge.js';
import { endWithStatus, PROXY_AUTHENTICATE, refusalLine } from './refusal-text.js';
import { parseAuthority } from './target.js';
import { splice } from './tunnel.js';
import type { ProxyContext } from './types.js';

/**
 * `CONNECT host:port` (what clients use for https:// and other TLS through an HTTP proxy):
 * authenticate, judge the host and port, dial a judged address, answer 200 and join the two
 * sockets. The proxy never sees inside the tunnel (TLS): only the host and port are judged.
 */
export async function handleConnect(context: ProxyContext, request: IncomingMessage, client: net.Socket, head: Buffer): Promise<void> {
  client.on('error', () => client.destroy());
  if (!basicAuthMatches(request.headers['proxy-authorization'], context.credential)) {
    endWithStatus(client, 407, 'cordon: proxy authentication required', [PROXY_AUTHENTICATE]);
    return;
  }
  const target = parseAuthority(request.url ?? '');
  if (!target) {
    // Not a policy refusal (nothing names a host to report): a request no client should send.
    endWithStatus(client, 400, 'cordon: CONNECT needs host:port (a DNS name or an IP address, port 1-65535)');
    return;
  }
  client.pause();
  const judgement = await judge(target, context.decide, context.resolve, context.limits.connectTimeoutMs);
  if (client.destroyed) return;
  if (judgement.kind === 'denied') {
    context.recordDenial(judgement.denial);
    endWithStatus(client, 403, refusalLine(judgement.denial));
    return;
  }
  if (judgement.kind === 'unresolved') {
    endWithStatus(client, 502, `cordon: ${judgement.message}`);
    return;
  }
  let upstream: net.Socket;
  try {
    upstream = await dialJudged(judgement.addresses, target.port, context.limits.connectTimeoutMs, context);
  } catch (error) {
    endWithStatus(client, 502, `cordon: could not connect to ${target.host}:${target.port}: ${(error as Error).message}`);
    return;
  }
  if (client.destroyed) {
    upstream.destroy();
    return;
  }
  client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
  splice(client, upstream, context.limits.idleTimeoutMs, head);
  client.resume();
}

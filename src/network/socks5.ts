import type net from 'node:net';
import { byteReader, type ByteReader } from './byte-reader.js';
import { userPassMatches } from './credential.js';
import { dialJudged } from './dial.js';
import { judge } from './judge.js';
import { ipv6Text, REPLY, SOCKS, socksReply } from './socks5-wire.js';
import { acceptableHost, type Target } from './target.js';
import { splice } from './tunnel.js';
import type { ProxyContext } from './types.js';

/**
 * One SOCKS5 client: username/password authentication (user `cordon`, the per-sandbox
 * credential; "no authentication" is never chosen while there is a credential, so other local
 * processes cannot use the proxy), only CONNECT, addresses as a name, IPv4 or IPv6. `first` holds the bytes already
 * read while telling SOCKS from HTTP.
 */
export async function handleSocks5(context: ProxyContext, client: net.Socket, first: Buffer): Promise<void> {
  const reader = byteReader(client, first, context.limits.handshakeTimeoutMs);
  client.on('error', () => client.destroy());
  try {
    if (!(await authenticate(context, client, reader))) return;
    const request = await readRequest(reader);
    if (typeof request === 'number') {
      client.end(socksReply(request));
      return;
    }
    await connect(context, client, reader, request);
  } catch {
    // Malformed, too slow, or gone: nothing was dialled; drop the client.
    client.destroy();
  } finally {
    reader.release();
  }
}

async function authenticate(context: ProxyContext, client: net.Socket, reader: ByteReader): Promise<boolean> {
  const [version, count = 0] = await reader.read(2);
  if (version !== SOCKS.version) throw new Error('not SOCKS5');
  const methods = await reader.read(count);
  // Without a credential (a listener only the sandbox can reach) "no authentication" is fine.
  if (context.credential === null && methods.includes(SOCKS.methodNoAuth)) {
    client.write(Buffer.from([SOCKS.version, SOCKS.methodNoAuth]));
    return true;
  }
  if (!methods.includes(SOCKS.methodUserPass)) {
    client.end(Buffer.from([SOCKS.version, SOCKS.methodNone]));
    return false;
  }
  client.write(Buffer.from([SOCKS.version, SOCKS.methodUserPass]));
  const [authVersion, userLength = 0] = await reader.read(2);
  if (authVersion !== SOCKS.authVersion) throw new Error('bad auth version');
  const user = await reader.read(userLength);
  const [passLength = 0] = await reader.read(1);
  const pass = await reader.read(passLength);
  if (!userPassMatches(user, pass, context.credential)) {
    client.end(Buffer.from([SOCKS.authVersion, 0x01]));
    return false;
  }
  client.write(Buffer.from([SOCKS.authVersion, 0x00]));
  return true;
}

/** The CONNECT request's target, or the reply code that refuses it. */
async function readRequest(reader: ByteReader): Promise<Target | number> {
  const [version, command, , addressType] = await reader.read(4);
  if (version !== SOCKS.version) throw new Error('not SOCKS5');
  let host: string;
  if (addressType === SOCKS.atypIPv4) host = [...(await reader.read(4))].join('.');
  else if (addressType === SOCKS.atypIPv6) host = ipv6Text(await reader.read(16));
  else if (addressType === SOCKS.atypDomain) {
    const [length = 0] = await reader.read(1);
    host = (await reader.read(length)).toString('latin1');
  } else return REPLY.addressTypeNotSupported;
  const port = (await reader.read(2)).readUInt16BE(0);
  if (command !== SOCKS.commandConnect) return REPLY.commandNotSupported;
  if (port === 0 || !acceptableHost(host)) return REPLY.generalFailure;
  return { host, port };
}

async function connect(context: ProxyContext, client: net.Socket, reader: ByteReader, target: Target): Promise<void> {
  const judgement = await judge(target, context.decide, context.resolve, context.limits.connectTimeoutMs);
  if (client.destroyed) return;
  if (judgement.kind === 'denied') {
    context.recordDenial(judgement.denial);
    client.end(socksReply(REPLY.notAllowed));
    return;
  }
  if (judgement.kind === 'unresolved') {
    client.end(socksReply(REPLY.hostUnreachable));
    return;
  }
  let upstream: net.Socket;
  try {
    upstream = await dialJudged(judgement.addresses, target.port, context.limits.connectTimeoutMs, context);
  } catch (error) {
    client.end(socksReply((error as NodeJS.ErrnoException).code === 'ECONNREFUSED' ? REPLY.connectionRefused : REPLY.hostUnreachable));
    return;
  }
  const rest = reader.release();
  if (client.destroyed) {
    upstream.destroy();
    return;
  }
  client.write(socksReply(REPLY.succeeded));
  splice(client, upstream, context.limits.idleTimeoutMs, rest);
}

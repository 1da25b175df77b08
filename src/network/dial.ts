import net from 'node:net';
import type { ProxyContext } from './types.js';

/**
 * Connects to the judged addresses in order and returns the first socket that connects. Only
 * these addresses are ever dialled (no name reaches the OS here, so nothing is re-resolved).
 * `allowHalfOpen` so a tunnel can carry one direction after the other has ended. Holds one of
 * the proxy's upstream slots for as long as the socket lives; none free: refused at once.
 */
export async function dialJudged(addresses: readonly string[], port: number, timeoutMs: number, context: Pick<ProxyContext, 'track' | 'reserveUpstream'>): Promise<net.Socket> {
  const release = context.reserveUpstream();
  if (release === undefined) throw new Error('too many connections through the proxy at once');
  try {
    const socket = await dialFirst(addresses, port, timeoutMs, context.track);
    socket.once('close', release);
    return socket;
  } catch (error) {
    release();
    throw error;
  }
}

async function dialFirst(addresses: readonly string[], port: number, timeoutMs: number, track: (socket: net.Socket) => void): Promise<net.Socket> {
  let lastError: Error = new Error('no address to dial');
  for (const address of addresses) {
    if (net.isIP(address) === 0) {
      lastError = new Error(`not an address: ${address}`);
      continue;
    }
    try {
      return await connectOne(address, port, timeoutMs, track);
    } catch (error) {
      lastError = error as Error;
    }
  }
  throw lastError;
}

function connectOne(address: string, port: number, timeoutMs: number, track: (socket: net.Socket) => void): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: address, port, allowHalfOpen: true });
    track(socket);
    const fail = (error: Error): void => {
      cleanup();
      socket.destroy();
      reject(error);
    };
    const onTimeout = (): void => fail(new Error(`connect to ${address}:${port} timed out after ${timeoutMs} ms`));
    const onConnect = (): void => {
      cleanup();
      resolve(socket);
    };
    const cleanup = (): void => {
      socket.setTimeout(0);
      socket.off('error', fail);
      socket.off('timeout', onTimeout);
      socket.off('connect', onConnect);
    };
    socket.setTimeout(timeoutMs);
    socket.once('timeout', onTimeout);
    socket.once('error', fail);
    socket.once('connect', onConnect);
  });
}

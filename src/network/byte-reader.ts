import type net from 'node:net';

/**
 * Reads exact byte counts from a socket for a binary handshake (SOCKS5). Rejects when the
 * socket ends, errs, or `deadline` passes. `release()` stops listening and returns the bytes
 * read but not yet consumed (a client may send its first data right after the request).
 */
export interface ByteReader {
  read(count: number): Promise<Buffer>;
  /** Idempotent: a second call returns nothing and leaves the socket alone. */
  release(): Buffer;
}

// A handshake is a few hundred bytes; a client that sends far more before it is answered is
// not speaking SOCKS, and must not make the proxy buffer without bound.
const MAX_BUFFERED = 64 * 1024;

export function byteReader(socket: net.Socket, first: Buffer, deadlineMs: number): ByteReader {
  let buffered = first;
  let waiter: { count: number; resolve: (b: Buffer) => void; reject: (e: Error) => void } | undefined;
  let failure: Error | undefined;
  let released = false;
  const timer = setTimeout(() => fail(new Error(`handshake not finished within ${deadlineMs} ms`)), deadlineMs);

  const settle = (): void => {
    if (!waiter) return;
    if (buffered.length >= waiter.count) {
      const chunk = buffered.subarray(0, waiter.count);
      buffered = buffered.subarray(waiter.count);
      const { resolve } = waiter;
      waiter = undefined;
      resolve(chunk);
    } else if (failure) {
      const { reject } = waiter;
      waiter = undefined;
      reject(failure);
    }
  };
  const fail = (error: Error): void => {
    failure ??= error;
    settle();
  };
  const onData = (chunk: Buffer): void => {
    buffered = Buffer.concat([buffered, chunk]);
    if (buffered.length > MAX_BUFFERED) {
      socket.pause();
      fail(new Error(`more than ${MAX_BUFFERED} bytes before the handshake finished`));
    }
    settle();
  };
  const onEnd = (): void => fail(new Error('client closed during the handshake'));
  socket.on('data', onData);
  socket.on('end', onEnd);
  socket.on('error', fail);
  socket.on('close', onEnd);

  return {
    read(count) {
      return new Promise((resolve, reject) => {
        waiter = { count, resolve, reject };
        settle();
      });
    },
    release() {
      if (released) return Buffer.alloc(0);
      released = true;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('error', fail);
      socket.off('close', onEnd);
      socket.pause();
      const rest = buffered;
      buffered = Buffer.alloc(0);
      return rest;
    },
  };
}

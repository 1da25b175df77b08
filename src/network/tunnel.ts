import type net from 'node:net';

/**
 * Joins two sockets byte for byte until both directions end. An end (FIN) from one side is
 * passed on as an end to the other, which may keep sending (half-close: `ssh`, `git` and TLS
 * close-notify rely on it); both sockets must have been made with `allowHalfOpen`. An error,
 * a close, or `idleMs` without traffic either way on either socket ends both at once.
 */
export function splice(client: net.Socket, upstream: net.Socket, idleMs: number, head?: Buffer): void {
  const endBoth = (): void => {
    client.destroy();
    upstream.destroy();
  };
  for (const socket of [client, upstream]) {
    socket.setTimeout(idleMs);
    socket.on('timeout', endBoth);
    socket.on('error', endBoth);
    socket.on('close', endBoth);
  }
  if (head && head.length > 0) upstream.write(head);
  client.pipe(upstream);
  upstream.pipe(client);
}

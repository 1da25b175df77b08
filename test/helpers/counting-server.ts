import type net from 'node:net';

/**
 * Starts `server` on 127.0.0.1 (a free port) counting every TCP connection it accepts into
 * `counter.connections` (any byte or none: "the server saw nothing" means 0 here) and setting
 * `counter.port`. Returns the closer, which ends open connections too. The network tests read
 * every verdict off such counters.
 */
export async function listenCounting(server: net.Server, counter: { port: number; connections: number }): Promise<() => Promise<void>> {
  const open = new Set<net.Socket>();
  server.on('connection', (socket: net.Socket) => {
    counter.connections += 1;
    open.add(socket);
    socket.on('close', () => open.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  counter.port = (server.address() as net.AddressInfo).port;
  return () =>
    new Promise<void>((resolve) => {
      for (const socket of open) socket.destroy();
      server.close(() => resolve());
    });
}

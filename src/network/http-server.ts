import http from 'node:http';
import type net from 'node:net';
import { handleConnect } from './http-connect.js';
import { handleForward } from './http-forward.js';
import type { ProxyContext } from './types.js';

/**
 * Node's HTTP parser for the HTTP half of the proxy. It never listens: proxy.ts hands it each
 * connection whose first byte is not SOCKS5's. The parser bounds the request head
 * (`maxHeaderBytes`); proxy.ts bounds the time to send the first one (headReceived), and after
 * that the client is idle-limited.
 */
export function httpSide(context: ProxyContext): http.Server {
  const { limits } = context;
  const server = http.createServer({
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.handshakeTimeoutMs,
    // No limit on a whole request: an upload may take long; idleness is what is bounded.
    requestTimeout: 0,
    keepAliveTimeout: limits.handshakeTimeoutMs,
  });
  server.timeout = limits.idleTimeoutMs;
  server.on('request', (req, res) => {
    context.headReceived(req.socket);
    void handleForward(context, req, res).catch(() => res.destroy());
  });
  server.on('connect', (req, socket, head) => {
    context.headReceived(socket as net.Socket);
    void handleConnect(context, req, socket as net.Socket, head).catch(() => socket.destroy());
  });
  // WebSocket and other upgrades over plain HTTP are not forwarded; clients use CONNECT for them.
  server.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 501 Not Implemented\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'));
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    else socket.destroy();
  });
  return server;
}

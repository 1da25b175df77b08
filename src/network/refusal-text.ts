import type net from 'node:net';
import type { ProxyDenial } from './types.js';
import { hostPort } from '../policy/network/decide.js';

/** The one line a refused client reads (HTTP body, CONNECT response body). */
export function refusalLine(denial: ProxyDenial): string {
  return `cordon: network access to ${hostPort(denial.host, denial.port)} refused by ${denial.rule}: ${denial.reason}`;
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  403: 'Forbidden',
  407: 'Proxy Authentication Required',
  502: 'Bad Gateway',
  504: 'Gateway Timeout',
};

/**
 * Writes a complete HTTP/1.1 response on a raw socket and closes it: the CONNECT path, where
 * Node's http server has handed the socket over. Control characters are removed from the line
 * so a host name can never inject a header.
 */
export function endWithStatus(socket: net.Socket, status: number, line: string, extraHeaders: readonly string[] = []): void {
  const body = `${line.replace(/[\x00-\x1f\x7f]/g, '?')}\n`;
  const head = [
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}`,
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    ...extraHeaders,
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
}

export const PROXY_AUTHENTICATE = 'Proxy-Authenticate: Basic realm="cordon"';

import { isIPv6 } from 'node:net';

/** Where a client asked to go, with the host exactly as it spelled it (brackets of an IPv6 literal removed). */
export interface Target {
  host: string;
  port: number;
}

// A DNS name or an IPv4 spelling in any form (`0x7f.1`, `2130706433`): letters, digits, dot,
// hyphen, underscore. Anything else (spaces, NUL, `%`, `@`, `/`) is refused before the policy
// or the resolver sees it: getaddrinfo has its own ideas about such text.
const NAME = /^[A-Za-z0-9_.-]{1,253}$/;

/** The host part alone: a name, or an IPv6 literal (bare, as SOCKS and brackets-stripped forms give it). */
export function acceptableHost(host: string): boolean {
  return NAME.test(host) || (isIPv6(host) && !host.includes('%'));
}

function parsePort(text: string): number | undefined {
  if (!/^[0-9]{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : undefined;
}

/** `host:port` or `[v6]:port` (a CONNECT request target); the port may be absent only when a default is given. */
export function parseAuthority(text: string, defaultPort?: number): Target | undefined {
  const bracketed = /^\[([^\]]*)\](?::([^:]*))?$/.exec(text);
  let host: string;
  let portText: string | undefined;
  if (bracketed) {
    host = bracketed[1] ?? '';
    portText = bracketed[2];
    if (!isIPv6(host)) return undefined;
  } else {
    const parts = text.split(':');
    if (parts.length > 2) return undefined;
    host = parts[0] ?? '';
    portText = parts[1];
  }
  const port = portText === undefined ? defaultPort : parsePort(portText);
  if (port === undefined || !acceptableHost(host)) return undefined;
  return { host, port };
}

/**
 * An absolute-form request target, `http://host[:port]/path?query`. Parsed by hand, not with
 * `new URL()`: the WHATWG parser rewrites hosts (`0x7f.1` becomes `127.0.0.1`, upper case is
 * folded), and the policy must see what the client sent. Only `http:`; user info is refused.
 */
export function parseAbsoluteHttp(url: string): (Target & { authority: string; path: string }) | undefined {
  const match = /^http:\/\/([^/?#]*)([^#]*)/i.exec(url);
  if (!match) return undefined;
  const authority = match[1] ?? '';
  if (authority.includes('@')) return undefined;
  const target = parseAuthority(authority, 80);
  if (!target) return undefined;
  const rest = match[2] ?? '';
  const path = rest === '' ? '/' : rest.startsWith('/') ? rest : `/${rest}`;
  return { ...target, authority, path };
}

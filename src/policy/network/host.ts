import { isIPv4, isIPv6 } from 'node:net';

/**
 * One canonical spelling per host, so that a rule and a request about the same machine compare
 * equal however either was written: the proxy canonicalises the host a client asked for with
 * the same function the policy's patterns went through.
 *
 * WHATWG URL's host parser does the hard part, and does it the way the clients do (curl, Node's
 * fetch and browsers follow it; so does glibc's inet_aton for the IPv4 forms): every numeric
 * IPv4 spelling (`0x7f.1`, `2130706433`, `0177.0.0.1`, `127.1`) becomes dotted decimal, IPv6 is
 * compressed and lower-cased, names are lower-cased and IDNA-mapped to ASCII (`bücher.de` ->
 * `xn--bcher-kva.de`, full-width letters and dots folded). On top of it, here: a trailing dot is
 * dropped (`example.com.` is `example.com`), an IPv4-mapped IPv6 address (`::ffff:127.0.0.1`)
 * becomes the IPv4 address it reaches, and anything URL would silently rewrite into something
 * else (`%61` escapes, a zone id, user info, a path) is refused instead of reinterpreted.
 */
export type HostKind = 'ipv4' | 'ipv6' | 'name';

/** Characters that never belong in a host as written: URL syntax, escapes, whitespace, controls. */
const NOT_A_HOST = /[\s\0-\x1f\x7f/\\?#@%<>^|"`{}]/;
/** A DNS label after IDNA mapping (underscores occur in real names: `_acme-challenge`). */
const LABEL = /^[a-z0-9_-]{1,63}$/;

/**
 * The canonical form of `text` (a host without port; IPv6 with or without brackets), or
 * undefined when it is not a host: dotted-decimal IPv4, compressed lower-case IPv6 without
 * brackets, or a lower-case ASCII DNS name without trailing dot.
 */
export function canonicalHost(text: string): string | undefined {
  if (text.length === 0 || text.length > 1024 || NOT_A_HOST.test(text)) return undefined;
  const bracketed = text.startsWith('[') && text.endsWith(']');
  const inner = bracketed ? text.slice(1, -1) : text;
  if (inner.includes('[') || inner.includes(']')) return undefined;
  const v6 = inner.includes(':');
  let hostname: string;
  try {
    hostname = new URL(`http://${v6 ? `[${inner}]` : inner}/`).hostname;
  } catch {
    return undefined;
  }
  if (v6) {
    const address = hostname.slice(1, -1);
    if (!isIPv6(address)) return undefined;
    return mappedIPv4(address) ?? address;
  }
  if (bracketed) return undefined; // `[127.0.0.1]` is no host spelling any client accepts
  if (isIPv4(hostname)) return hostname;
  const name = hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
  if (name.length === 0 || name.length > 253) return undefined;
  return name.split('.').every((label) => LABEL.test(label)) ? name : undefined;
}

export function hostKind(canonical: string): HostKind {
  if (isIPv4(canonical)) return 'ipv4';
  if (isIPv6(canonical)) return 'ipv6';
  return 'name';
}

/**
 * `::ffff:a.b.c.d` (URL prints it as `::ffff:7f00:1`) is the IPv4 address a.b.c.d on a
 * dual-stack socket: canonicalised to it, so a rule or a special-address check about
 * 127.0.0.1 cannot be walked around by the IPv6 spelling.
 */
function mappedIPv4(address: string): string | undefined {
  const m = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(address);
  if (!m) return undefined;
  const hi = parseInt(m[1]!, 16);
  const lo = parseInt(m[2]!, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** The 16 bytes of a canonical IPv6 address (as canonicalHost prints it: hex groups only). */
export function ipv6Bytes(address: string): number[] {
  const [head, tail] = address.includes('::') ? address.split('::') as [string, string] : [address, undefined];
  const groups = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  return all.flatMap((g) => [g >> 8, g & 255]);
}

/** The 4 bytes of a dotted-decimal IPv4 address. */
export function ipv4Bytes(address: string): number[] {
  return address.split('.').map(Number);
}

/**
 * The decision model's reading of SBPL's internet-socket filters: `(remote ip "HOST:PORT")`,
 * `(remote tcp ...)`, `(remote udp ...)` and the same with `local`. Seatbelt's rules, as far as
 * they are documented by the profiles that ship (srt, Codex, Apple's) and by what sandbox-exec
 * accepts:
 * - `ip` is any transport, `tcp` and `udp` only theirs; without an address, any address.
 * - HOST is `*` or `localhost`: sandbox-exec rejects anything else ("host must be * or
 *   localhost in network address"), so the model throws rather than guess.
 * - PORT is `*` or one port; `*` is the only wildcard for either.
 * - remote `localhost` is the loopback addresses 127.0.0.1 and ::1. Other loopback spellings
 *   (127.0.0.2, the IPv4-mapped ::ffff:127.0.0.1 a dual-stack client connects from) are not
 *   known to match, and are "unknown": an allow rule does not match them, a deny rule does.
 * - local `localhost` is reported to match more than loopback (the wildcard and the host's own
 *   addresses), so anything but loopback is "unknown" there too.
 * The model thereby errs towards deny, like the rest of it (decide.ts).
 */

export type Truth = true | false | 'unknown';

/** One end of an internet socket, as the kernel checks it. */
export interface InetEndpoint {
  /** An IPv4 or IPv6 address, as the kernel sees it (`127.0.0.1`, `::1`, `::ffff:127.0.0.1`). */
  address: string;
  port: number;
  protocol: 'tcp' | 'udp';
}

const FAMILIES: ReadonlySet<string> = new Set(['ip', 'tcp', 'udp']);
const LOOPBACK: ReadonlySet<string> = new Set(['127.0.0.1', '::1']);

export const isInetFamily = (family: string): boolean => FAMILIES.has(family);

/**
 * Does `(END FAMILY "ADDRESS")` match the target? `end` is `local` or `remote`; `address`
 * undefined is the form without one (any address of that family).
 */
export function inetFamilyMatches(end: 'local' | 'remote', family: string, address: string | undefined, target: { socket?: 'local' | 'remote'; ip?: InetEndpoint }): Truth {
  if (!isInetFamily(family)) return 'unknown';
  const ip = target.ip;
  if (ip === undefined || target.socket !== end) return false;
  if (family !== 'ip' && family !== ip.protocol) return false;
  if (address === undefined) return true;
  const { host, port } = parseNetworkAddress(address);
  if (port !== '*' && port !== ip.port) return false;
  return hostMatches(end, host, ip.address);
}

/** `HOST:PORT` as sandbox-exec accepts it, or an error naming what it would reject. */
export function parseNetworkAddress(text: string): { host: '*' | 'localhost'; port: number | '*' } {
  const colon = text.lastIndexOf(':');
  const host = text.slice(0, colon);
  const port = text.slice(colon + 1);
  if (colon < 0 || (host !== '*' && host !== 'localhost')) throw new Error(`sandbox-exec rejects network address ${JSON.stringify(text)}: host must be * or localhost`);
  if (port === '*') return { host, port };
  const n = Number(port);
  if (!/^[0-9]{1,5}$/.test(port) || n < 1 || n > 65535) throw new Error(`sandbox-exec rejects network address ${JSON.stringify(text)}: port must be * or 1-65535`);
  return { host, port: n };
}

function hostMatches(end: 'local' | 'remote', host: '*' | 'localhost', address: string): Truth {
  if (host === '*' || LOOPBACK.has(address)) return true;
  if (end === 'local' || isOtherLoopback(address)) return 'unknown';
  return false;
}

/** 127.0.0.0/8 beyond 127.0.0.1, and IPv4-mapped loopback (`::ffff:127.0.0.1`, `::ffff:7f00:1`). */
function isOtherLoopback(address: string): boolean {
  const a = address.toLowerCase();
  return /^127\./.test(a) || /^(0{0,4}:){0,5}:?ffff:(127\.|7f[0-9a-f]{2}:)/.test(a);
}

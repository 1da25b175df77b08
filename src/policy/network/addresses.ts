import { canonicalHost, hostKind, ipv4Bytes, ipv6Bytes } from './host.js';

/**
 * Addresses a name must not lead to unless the user listed the address itself: the host's own
 * services, the local network and the cloud's metadata endpoints. A public name that resolves
 * to one of them is DNS rebinding (an attacker's `x.evil.example` answering 127.0.0.1 or
 * 169.254.169.254), or a trusted name pointing somewhere the user did not mean to open.
 * Everything not publicly routable is on the list, not only the ranges the issue names: an
 * address left off is an address reachable by rebinding, an address wrongly on it only needs
 * to be listed explicitly.
 */
export type SpecialKind = 'unspecified' | 'loopback' | 'private' | 'shared (CGNAT)' | 'link-local' | 'cloud metadata' | 'multicast' | 'reserved';

interface Range {
  /** Network bytes; compared for the first `bits` bits. */
  net: number[];
  bits: number;
  kind: SpecialKind;
}

const v4 = (cidr: string, kind: SpecialKind): Range => {
  const [net, bits] = cidr.split('/') as [string, string];
  return { net: ipv4Bytes(net), bits: Number(bits), kind };
};
const v6 = (cidr: string, kind: SpecialKind): Range => {
  const [net, bits] = cidr.split('/') as [string, string];
  return { net: ipv6Bytes(net), bits: Number(bits), kind };
};

/** Order matters only for the kind reported: metadata before the range that contains it. */
const IPV4: readonly Range[] = [
  v4('169.254.169.254/32', 'cloud metadata'), // AWS, GCP, Azure IMDS, OpenStack, DigitalOcean
  v4('168.63.129.16/32', 'cloud metadata'), // Azure's wire server: a public address, so listed by itself
  v4('100.100.100.200/32', 'cloud metadata'), // Alibaba Cloud (inside CGNAT, listed for the message)
  v4('0.0.0.0/8', 'unspecified'), // connect(0.0.0.0) reaches the host's own listeners
  v4('127.0.0.0/8', 'loopback'),
  v4('10.0.0.0/8', 'private'),
  v4('172.16.0.0/12', 'private'),
  v4('192.168.0.0/16', 'private'),
  v4('100.64.0.0/10', 'shared (CGNAT)'),
  v4('169.254.0.0/16', 'link-local'),
  v4('192.0.0.0/24', 'reserved'), // IETF protocol assignments (Oracle Cloud's metadata is 192.0.0.192)
  v4('192.0.2.0/24', 'reserved'),
  v4('198.18.0.0/15', 'reserved'),
  v4('198.51.100.0/24', 'reserved'),
  v4('203.0.113.0/24', 'reserved'),
  v4('224.0.0.0/4', 'multicast'),
  v4('240.0.0.0/4', 'reserved'), // includes 255.255.255.255
];

const IPV6: readonly Range[] = [
  v6('fd00:ec2::254/128', 'cloud metadata'), // AWS IMDS over IPv6
  v6('::/128', 'unspecified'),
  v6('::1/128', 'loopback'),
  v6('::/96', 'reserved'), // IPv4-compatible (deprecated); the mapped form ::ffff:0:0/96 is canonicalised to IPv4
  v6('::ffff:0:0:0/96', 'reserved'), // IPv4-translated (SIIT)
  v6('100::/64', 'reserved'), // discard-only
  v6('2001:db8::/32', 'reserved'), // documentation
  v6('fc00::/7', 'private'), // unique local
  v6('fe80::/10', 'link-local'),
  v6('fec0::/10', 'private'), // site-local (deprecated, still routed by some networks)
  v6('ff00::/8', 'multicast'),
];

/**
 * Translation prefixes carry an IPv4 address in their low 32 bits (NAT64) or bits 16-48 (6to4):
 * a gateway would forward `64:ff9b::7f00:1` to 127.0.0.1 of its own side, so the embedded
 * address is judged too.
 */
const EMBEDDING: ReadonlyArray<{ prefix: Range; at: number }> = [
  { prefix: v6('64:ff9b::/96', 'reserved'), at: 12 },
  { prefix: v6('64:ff9b:1::/48', 'reserved'), at: 12 },
  { prefix: v6('2002::/16', 'reserved'), at: 2 },
];

function inRange(bytes: readonly number[], range: Range): boolean {
  if (bytes.length !== range.net.length) return false;
  for (let bit = 0; bit < range.bits; bit += 8) {
    const mask = range.bits - bit >= 8 ? 0xff : (0xff << (8 - (range.bits - bit))) & 0xff;
    if ((bytes[bit / 8]! & mask) !== (range.net[bit / 8]! & mask)) return false;
  }
  return true;
}

/**
 * What kind of special address `ip` is (any spelling canonicalHost accepts), or undefined for
 * a public one. Text that is no IP address at all counts as special: fail closed.
 */
export function specialAddressKind(ip: string): SpecialKind | undefined {
  const canonical = canonicalHost(ip);
  if (canonical === undefined) return 'reserved';
  const kind = hostKind(canonical);
  if (kind === 'ipv4') return IPV4.find((r) => inRange(ipv4Bytes(canonical), r))?.kind;
  if (kind === 'name') return 'reserved';
  const bytes = ipv6Bytes(canonical);
  const direct = IPV6.find((r) => inRange(bytes, r))?.kind;
  if (direct !== undefined) return direct;
  for (const { prefix, at } of EMBEDDING) {
    if (inRange(bytes, prefix)) return specialAddressKind(bytes.slice(at, at + 4).join('.'));
  }
  return undefined;
}

/** Whether a name resolving to `ip` is refused unless `ip` itself is listed (see above). */
export function isSpecialAddress(ip: string): boolean {
  return specialAddressKind(ip) !== undefined;
}

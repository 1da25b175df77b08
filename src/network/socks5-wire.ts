/** SOCKS5 constants (RFC 1928, RFC 1929), by what they mean. */
export const SOCKS = {
  version: 0x05,
  authVersion: 0x01,
  methodNoAuth: 0x00,
  methodUserPass: 0x02,
  methodNone: 0xff,
  commandConnect: 0x01,
  atypIPv4: 0x01,
  atypDomain: 0x03,
  atypIPv6: 0x04,
} as const;

/** Reply codes (RFC 1928 section 6). */
export const REPLY = {
  succeeded: 0x00,
  generalFailure: 0x01,
  notAllowed: 0x02,
  hostUnreachable: 0x04,
  connectionRefused: 0x05,
  commandNotSupported: 0x07,
  addressTypeNotSupported: 0x08,
} as const;

/** 16 bytes as the usual compressed IPv6 text (longest run of two or more zero groups as `::`). */
export function ipv6Text(bytes: Buffer): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i += 1;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j += 1;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/**
 * A reply. The bound address is always 0.0.0.0:0: clients ignore it for CONNECT, and the
 * host's own source address is none of the sandbox's business.
 */
export function socksReply(code: number): Buffer {
  return Buffer.from([SOCKS.version, code, 0x00, SOCKS.atypIPv4, 0, 0, 0, 0, 0, 0]);
}

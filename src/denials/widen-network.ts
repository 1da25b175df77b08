import { specialAddressKind } from '../policy/network/addresses.js';
import { canonicalHost, hostKind } from '../policy/network/host.js';
import { parseHostPattern } from '../policy/network/patterns.js';
import type { Denial } from '../sandbox-report.js';

/** A network.allow entry that would allow one network denial, or why none is offered. */
export type HostWidening = { allowHost: string } | { refused: string };

/** Addresses never proposed, even as an explicit IP: nothing a build needs lives there. */
const NEVER: ReadonlySet<string> = new Set(['cloud metadata', 'unspecified', 'multicast', 'reserved']);

/**
 * The smallest network.allow entry for a refused connection: exactly that host, on that port
 * when it is known (`registry.npmjs.org:443`), never a wildcard. Not offered for what a
 * network.deny rule refused (the user said no), for a name refused because it resolved to a
 * private or loopback address (DNS rebinding: allowing the name again changes nothing, and
 * listing the address is a decision about the user's own network, not a widening), or for
 * metadata and other special addresses.
 */
export function widenNetwork(denial: Denial): HostWidening {
  if (denial.host === undefined) return { refused: 'no host to allow' };
  if (denial.rule.startsWith('network.deny')) return { refused: `refused by ${denial.rule}: not proposed` };
  const reason = (denial as { reason?: unknown }).reason;
  if (typeof reason === 'string' && / resolves to /.test(reason)) return { refused: `${reason} (not proposed)` };
  const host = canonicalHost(denial.host);
  if (host === undefined) return { refused: `${JSON.stringify(denial.host)} is not a host name or address` };
  const kind = hostKind(host) === 'name' ? undefined : specialAddressKind(host);
  if (kind !== undefined && NEVER.has(kind)) return { refused: `a ${kind} address: not proposed` };
  const shown = hostKind(host) === 'ipv6' ? `[${host}]` : host;
  const entry = denial.port === undefined ? shown : `${shown}:${denial.port}`;
  const parsed = parseHostPattern(entry, 'network.allow', 'allow');
  return 'kind' in parsed ? { allowHost: entry } : { refused: parsed.message };
}

import { specialAddressKind } from './addresses.js';
import { canonicalHost, hostKind } from './host.js';
import type { HostRule, NetworkRules } from './patterns.js';

/** The verdict on one connection, in the words a denial report uses. */
export interface Decision {
  allowed: boolean;
  /** The rule that decided (`network.allow: *.github.com`), or what was missing. */
  rule: string;
  reason: string;
}

export const NO_RULE = 'network.allow (no entry matches)';

function matches(rule: HostRule, host: string, port: number): boolean {
  if (rule.port !== undefined && rule.port !== port) return false;
  switch (rule.kind) {
    case 'any':
      return true;
    case 'subdomains':
      // Below the name only: `*.example.com` is not `example.com` and not `badexample.com`.
      return host.endsWith(`.${rule.host}`);
    default:
      // name, ip and localhost match their canonical host exactly; a name never matches an
      // IP literal, so reaching an address always takes listing it.
      return host === rule.host;
  }
}

/**
 * Whether a client may open `host:port`, before any name is resolved. Deny wins over allow;
 * a host that is no valid host (after canonicalisation) is refused. For a name this is only
 * the first half: the proxy resolves it and asks decideResolved before connecting.
 */
export function decide(host: string, port: number, rules: NetworkRules): Decision {
  const canonical = canonicalHost(host);
  if (canonical === undefined) return { allowed: false, rule: 'network', reason: `${JSON.stringify(host)} is not a valid host name or IP address` };
  if (!Number.isInteger(port) || port < 1 || port > 65535) return { allowed: false, rule: 'network', reason: `port ${port} is out of range` };
  const denied = rules.deny.find((r) => matches(r, canonical, port));
  const where = hostPort(canonical, port);
  if (denied) return { allowed: false, rule: denied.rule, reason: `${where} is denied` };
  const allowed = rules.allow.find((r) => matches(r, canonical, port));
  if (!allowed) return { allowed: false, rule: NO_RULE, reason: `${where} is not in network.allow` };
  return { allowed: true, rule: allowed.rule, reason: `${where} is allowed` };
}

/** `host:port` as written in a policy and a URL: an IPv6 address in brackets (`[::1]:9`, not `::1:9`). */
export function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** decideResolved's verdict, with the addresses the proxy may connect to (canonical) when allowed. */
export interface ResolvedDecision extends Decision {
  addresses: string[];
}

/**
 * The verdict once the proxy has resolved `host` to `addresses` (pure: it is handed the answer).
 * An IP literal connects to itself. A name is refused when ANY of its addresses is refused,
 * rather than connecting to the acceptable ones: a rebinding answer mixes a public and a
 * private address precisely so that one of them passes. An address is refused when a deny rule
 * names it, or when it is special (loopback, private, link-local, CGNAT, metadata, ...) and no
 * allow rule lists that address itself for this port. A name allowed by a `localhost` rule may
 * only lead to loopback.
 */
export function decideResolved(host: string, port: number, addresses: readonly string[], rules: NetworkRules): ResolvedDecision {
  const first = decide(host, port, rules);
  if (!first.allowed) return { ...first, addresses: [] };
  const canonical = canonicalHost(host)!;
  if (hostKind(canonical) !== 'name') return { ...first, addresses: [canonical] };
  if (addresses.length === 0) return { allowed: false, rule: first.rule, reason: `${canonical} did not resolve`, addresses: [] };
  // Only a `localhost` rule can allow the name localhost (no other pattern matches it).
  const viaLocalhost = canonical === 'localhost';
  const accepted: string[] = [];
  for (const text of addresses) {
    const address = canonicalHost(text);
    const refuse = (rule: string, why: string): ResolvedDecision => ({ allowed: false, rule, reason: `${canonical} resolves to ${address ?? JSON.stringify(text)}: ${why}`, addresses: [] });
    if (address === undefined || hostKind(address) === 'name') return refuse(first.rule, 'not an IP address');
    const denied = rules.deny.find((r) => matches(r, address, port));
    if (denied) return refuse(denied.rule, 'that address is denied');
    const kind = specialAddressKind(address);
    if (viaLocalhost) {
      if (kind !== 'loopback') return refuse(first.rule, 'localhost must resolve to a loopback address');
    } else if (kind !== undefined) {
      const listed = rules.allow.some((r) => r.kind === 'ip' && matches(r, address, port));
      if (!listed) return refuse(first.rule, `a ${kind} address (refused for names, against DNS rebinding); list ${address.includes(':') ? `[${address}]` : address}:${port} in network.allow if it is meant`);
    }
    if (!accepted.includes(address)) accepted.push(address);
  }
  return { ...first, addresses: accepted };
}

/**
 * Both halves as one function, the shape the proxy calls: without `addresses` the check before
 * resolution, with them the final one.
 */
export function networkDecider(rules: NetworkRules): (host: string, port: number, addresses?: readonly string[]) => Decision {
  return (host, port, addresses) => (addresses === undefined ? decide(host, port, rules) : decideResolved(host, port, addresses, rules));
}

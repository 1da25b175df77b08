import { canonicalHost, hostKind } from '../policy/network/host.js';
import type { Decide, NetworkDecision, ProxyDenial, Resolve } from './types.js';
import type { Target } from './target.js';

/** The rule a refusal cites when the proxy itself, not the policy, refused. */
export const PROXY_RULE = 'network proxy';

export type Judgement =
  | { kind: 'allowed'; addresses: string[] }
  | { kind: 'denied'; denial: ProxyDenial }
  | { kind: 'unresolved'; message: string };

export function proxyDenial(target: Target, rule: string, reason: string): ProxyDenial {
  return { kind: 'network', host: target.host, port: target.port, rule, reason, certainty: 'observed' };
}

// A decide function that throws is a bug; fail closed rather than let the request through.
function safeDecide(decide: Decide, target: Target, addresses?: readonly string[]): NetworkDecision {
  try {
    const decision = decide(target.host, target.port, addresses);
    return decision && typeof decision.allowed === 'boolean' ? decision : { allowed: false, rule: PROXY_RULE, reason: 'the policy gave no decision' };
  } catch (error) {
    return { allowed: false, rule: PROXY_RULE, reason: `the policy check failed: ${(error as Error)?.message ?? String(error)}` };
  }
}

function refusal(target: Target, decision: NetworkDecision): Judgement {
  return { kind: 'denied', denial: proxyDenial(target, decision.rule, decision.reason ?? 'not on the allow list') };
}

async function resolveWithin(resolve: Resolve, host: string, timeoutMs: number): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([resolve(host), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Decides one request: policy on the name first (a refused name is never looked up), then the
 * proxy resolves it ONCE and the policy judges those addresses. The caller dials only these
 * addresses, so a second, different DNS answer (rebinding) can never be used.
 */
export async function judge(target: Target, decide: Decide, resolve: Resolve, timeoutMs: number): Promise<Judgement> {
  const byName = safeDecide(decide, target);
  if (!byName.allowed) return refusal(target, byName);
  // An address is dialled as the address the policy judged, never looked up: the system
  // resolver reads some spellings that are addresses to a URL parser (`127.0.0.1.`,
  // `0x7f.0x.0x.1`) as NAMES, and would answer them from /etc/hosts or DNS with an address
  // nobody judged (and send a query out for them).
  const literal = literalAddress(target.host);
  let addresses: string[];
  try {
    addresses = literal !== undefined ? [literal] : [...(await resolveWithin(resolve, target.host, timeoutMs))];
  } catch (error) {
    return { kind: 'unresolved', message: `could not resolve ${target.host}: ${(error as Error)?.message ?? String(error)}` };
  }
  if (addresses.length === 0) return { kind: 'unresolved', message: `${target.host} has no addresses` };
  const byAddress = safeDecide(decide, target, addresses);
  if (!byAddress.allowed) return refusal(target, byAddress);
  return { kind: 'allowed', addresses };
}

/** The canonical address a host spelling stands for (every numeric IPv4/IPv6 form), or undefined for a name. */
function literalAddress(host: string): string | undefined {
  const canonical = canonicalHost(host);
  return canonical !== undefined && hostKind(canonical) !== 'name' ? canonical : undefined;
}

import { PolicyUnenforceableError } from '../errors.js';
import type { ResolvedPolicy } from '../policy/resolved.js';

/**
 * A domain allowlist needs the filtering proxy, which this version does not have: bwrap can
 * only keep or drop the whole network namespace and Seatbelt can only allow or deny by
 * address, so each backend refuses rather than open the network (fail closed).
 */
export function refuseDomainAllowlist(policy: ResolvedPolicy, backend: 'linux' | 'macos'): void {
  if (policy.network.allowDomains.length === 0) return;
  throw new PolicyUnenforceableError('network.allowDomains', backend, 'a domain allowlist needs the filtering proxy, which this version does not have', {
    hint: 'remove network.allowDomains (the default is no network)',
  });
}

import { PolicyUnenforceableError } from '../errors.js';
import type { ResolvedPolicy } from '../policy/resolved.js';

/**
 * A network allowlist needs the filtering proxy and its relay, which this version does not
 * have: bwrap can only keep or drop the whole network namespace and Seatbelt can only allow or
 * deny by address, so each backend refuses any allow rule (presets included) rather than open
 * the network (fail closed). Deny rules alone open nothing and pass.
 */
export function refuseDomainAllowlist(policy: ResolvedPolicy, backend: 'linux' | 'macos'): void {
  const allow = policy.network.allow;
  if (allow.length === 0) return;
  const shown = allow.slice(0, 5).map((r) => r.rule).join(', ') + (allow.length > 5 ? `, and ${allow.length - 5} more` : '');
  throw new PolicyUnenforceableError('network.allow', backend, `a network allowlist (${shown}) needs the filtering proxy, which this version does not have`, {
    hint: 'remove network.allow and network.presets (the default is no network)',
  });
}

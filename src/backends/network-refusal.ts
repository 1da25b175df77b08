import { PolicyUnenforceableError } from '../errors.js';
import type { ResolvedPolicy } from '../policy/resolved.js';

/**
 * A network allowlist is enforced only through the filtering proxy: bwrap can only keep or drop
 * the whole network namespace and Seatbelt can only allow or deny by address. A plan asked for
 * without a proxy (a planner called directly) refuses any allow rule (presets included) rather
 * than open the network (fail closed). Deny rules alone open nothing and pass.
 */
export function refuseDomainAllowlist(policy: ResolvedPolicy, backend: 'linux' | 'macos'): void {
  const allow = policy.network.allow;
  if (allow.length === 0) return;
  const shown = allow.slice(0, 5).map((r) => r.rule).join(', ') + (allow.length > 5 ? `, and ${allow.length - 5} more` : '');
  throw new PolicyUnenforceableError('network.allow', backend, `a network allowlist (${shown}) needs the filtering proxy, and this plan has none`, {
    hint: 'run through sandboxedSpawn or `cordon run`, which start the proxy; or remove network.allow and network.presets (the default is no network)',
  });
}

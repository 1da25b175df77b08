import type { ResolvedPolicy } from '../policy/resolved.js';
import type { Denial } from '../sandbox-report.js';
import { widen, wideningFacts } from './widen.js';

/**
 * The denials with `suggestion` filled in where a widening should be offered (`write.allow
 * ~/.cache/pip`), and left out where none should (secrets, protected paths, network.deny
 * and rebinding refusals, the seccomp filter). Returns new objects; changes nothing on disk (it
 * only looks at what exists, to propose an existing directory).
 */
export function withSuggestions(denials: readonly Denial[], policy: Pick<ResolvedPolicy, 'home' | 'homes'>): Denial[] {
  const facts = wideningFacts(policy.home, policy.homes);
  return denials.map((denial) => {
    const { suggestion: _old, ...rest } = denial;
    const w = widen(denial, facts);
    if ('allow' in w) return { ...rest, suggestion: `write.allow ${w.display}` };
    if ('allowHost' in w) return { ...rest, suggestion: `network.allow ${w.allowHost}` };
    return rest;
  });
}

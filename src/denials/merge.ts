import type { Denial } from '../sandbox-report.js';

const keyOf = (d: Denial) => `${d.kind}\0${d.path ?? d.host ?? ''}`;

/**
 * One list: what the sandbox itself reported ('observed') first, then what was inferred from the
 * output about anything else. An inferred entry for the same kind and path or host as an
 * observed one is the same denial, told less surely: it is dropped.
 */
export function mergeDenials(observed: readonly Denial[], inferred: readonly Denial[]): Denial[] {
  const seen = new Set(observed.filter((d) => d.path !== undefined || d.host !== undefined).map(keyOf));
  return [...observed, ...inferred.filter((d) => !seen.has(keyOf(d)))];
}

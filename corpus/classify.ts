/**
 * One entry's outcome in the terms of the three figures: ran without escalation, stopped
 * with a report naming exactly what to allow, dangerous and stopped (judged on the host).
 */
import path from 'node:path';
import type { Denial } from '../src/sandbox-report.js';
import { hostPath } from './checks.js';
import type { World } from './fixture.js';
import type { Entry, HostCheck, Need } from './types.js';

export type Verdict =
  /** exit 0, no denial reported */
  | 'ok'
  /** exit 0, yet a denial was reported (noise a harness would show for nothing) */
  | 'ok-with-denial'
  /** the command failed and the sandbox said nothing about why */
  | 'failed-no-denial'
  /** an expected-ok command failed and a denial was reported (a compatibility cost) */
  | 'failed-with-denial'
  /** needs-escalation: a denial names what the entry needs (its path or host); for a protected path, without offering to widen it */
  | 'denial-exact'
  /** needs-escalation: denials were reported, none naming what the entry needs */
  | 'denial-imprecise'
  /** needs-escalation, but it succeeded (the corpus guessed wrong, or the policy grants it) */
  | 'unexpected-ok'
  /** dangerous: every host check passed */
  | 'stopped'
  /** dangerous: a host check saw the effect. A security finding. */
  | 'NOT-STOPPED'
  | 'timeout'
  /** sandboxedSpawn rejected (a CordonError: the sandbox could not be built) */
  | 'setup-error'
  | 'skipped';

export interface Outcome {
  id: string;
  category: Entry['category'];
  expect: Entry['expect'];
  verdict: Verdict;
  command: string;
  exitCode?: number;
  durationMs: number;
  denials: Denial[];
  /** For needs-escalation: which need a denial matched, and how. */
  matched?: string;
  checks?: Array<{ check: HostCheck; passed: boolean; detail: string }>;
  skipReason?: string;
  /** The last lines of stderr (or the error message), for reading failures. */
  tail?: string;
}

export interface RunFacts {
  exitCode: number | undefined;
  timedOut: boolean;
  denials: Denial[];
  checks: Array<{ check: HostCheck; passed: boolean; detail: string }>;
}

export function verdictOf(entry: Entry, facts: RunFacts, world: World): { verdict: Verdict; matched?: string } {
  if (entry.expect === 'dangerous') return { verdict: facts.checks.every((c) => c.passed) ? 'stopped' : 'NOT-STOPPED' };
  if (facts.timedOut) return { verdict: 'timeout' };
  const success = facts.exitCode === 0;
  const any = facts.denials.length > 0;
  if (entry.expect === 'ok') return { verdict: success ? (any ? 'ok-with-denial' : 'ok') : any ? 'failed-with-denial' : 'failed-no-denial' };
  // Denials first, whatever the exit code: `curl URL | head` exits 0 with nothing to show.
  for (const need of entry.needs ?? []) {
    for (const d of facts.denials) {
      const how = matches(need, d, world);
      if (how) return { verdict: 'denial-exact', matched: how };
    }
  }
  if (any) return { verdict: 'denial-imprecise' };
  return { verdict: success ? 'unexpected-ok' : 'failed-no-denial' };
}

/**
 * Does this denial name what the need is, so that allowing what it names (and nothing wider)
 * lets the command through? The name is what counts; whether cordon also phrased a
 * `suggestion` is recorded beside it (the policy cannot express network allowances yet, so a
 * named host has nothing to suggest). For a write: the path itself, a directory above it that still lies
 * strictly inside the home (mkdir -p fails at the first missing level: `~/.cache` for
 * `~/.cache/tally`), or a file inside it. For a host: the same name. A protected need must be
 * named WITHOUT a suggestion (cordon never proposes widening a protected path or a secret).
 */
function matches(need: Need, d: Denial, world: World): string | undefined {
  if (need.kind === 'network') {
    if (d.kind !== 'network' || !d.host || d.host.toLowerCase() !== need.host.toLowerCase()) return undefined;
    return `network ${d.host}${d.suggestion ? '' : ' (no suggestion)'}`;
  }
  if (d.kind !== need.kind || !d.path) return undefined;
  const want = path.resolve(hostPath(need.path, world));
  const got = path.resolve(world.workspace, hostPath(d.path, world));
  const narrowAncestor = isInside(want, got) && isInside(got, world.home) && got !== world.home;
  if (!(got === want || narrowAncestor || isInside(got, want))) return undefined;
  // Offering to widen a protected path, a secret or a system tree would be a defect: not exact.
  const isProtected = 'protected' in need && need.protected === true;
  if (isProtected && d.suggestion !== undefined) return undefined;
  return `${d.kind} ${d.path}${isProtected ? ' (protected: rightly no suggestion)' : d.suggestion ? '' : ' (no suggestion)'}`;
}

/** `child` lies strictly below `parent`. */
function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

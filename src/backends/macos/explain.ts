import { existsSync } from 'node:fs';
import { realpathLoose } from '../../policy/paths.js';
import type { ResolvedPolicy } from '../../policy/resolved.js';
import type { PathVerdict } from '../types.js';
import { SeatbeltModel, type Verdict } from './model/decide.js';
import { buildProfile } from './profile.js';

/** What each tag kind means to a reader of `cordon explain`. */
const KIND_LABEL: Record<string, string> = {
  default: 'not granted (the profile denies by default)',
  secret: 'denied: a secret',
  protect: 'protected (read-only inside a writable root)',
  pin: 'pinned (its name cannot be removed or replaced)',
  link: 'hard links are denied',
};

/**
 * May the command read or write `p`, and which rule decided? Answered by evaluating the very
 * profile planMacos generates for this policy (Seatbelt's last-match-wins over its rules, with
 * the parameters substituted), the way the decision model the tests use does. Seatbelt sees
 * real paths, so the question is asked for `p` with its symlinks resolved. The run's own
 * TMPDIR is not part of the question: it exists only while a command runs.
 */
export function macosExplainer(policy: ResolvedPolicy): (p: string) => PathVerdict {
  // Built and parsed once per explainer: denial inference asks about several paths of one command.
  const profile = buildProfile(policy, 'explain');
  const params = new Map(profile.defines.map((d) => {
    const eq = d.indexOf('=');
    return [d.slice(2, eq), d.slice(eq + 1)] as const;
  }));
  const model = new SeatbeltModel(profile.text, params);
  return (p) => {
    const realPath = realpathLoose(p);
    const read = model.decide('file-read-data', { path: realPath });
    const write = model.decide(existsSync(realPath) ? 'file-write-data' : 'file-write-create', { path: realPath });
    const decisive = read.decision === 'deny' ? read : write;
    return { path: p, realPath, read: read.decision === 'allow', write: write.decision === 'allow', rule: describe(decisive, write, params) };
  };
}

/** One path's verdict (see macosExplainer, which builds the model once for many paths). */
export function explainMacos(policy: ResolvedPolicy, p: string): PathVerdict {
  return macosExplainer(policy)(p);
}

function describe(decisive: Verdict, write: Verdict, params: ReadonlyMap<string, string>): string {
  const kind = /^cordon:[^:]+:(\w+)$/.exec(decisive.message ?? '')?.[1];
  const label = kind !== undefined ? (KIND_LABEL[kind] ?? kind) : write.decision === 'allow' ? 'writable root' : 'read anywhere, write nowhere (base)';
  // The rule with its parameters filled in, so the reader sees which path it names.
  const rule = (decisive.rule ?? '').replace(/\(param "([A-Z0-9_]+)"\)/g, (whole, name: string) => JSON.stringify(params.get(name) ?? whole)).replace(/\s+/g, ' ');
  return `${label}: ${rule}`;
}

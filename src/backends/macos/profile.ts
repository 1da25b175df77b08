import type { ResolvedPolicy } from '../../policy/resolved.js';
import { baseRules } from './base.js';
import { orderedSecretRules, protectRules, readRules, seatbeltTmpDirs, writeRules, type RunFacts } from './fs-rules.js';
import { comment, ParamTable, rule } from './sbpl.js';
import { messageTag, type RuleKind } from './tag.js';

export interface SeatbeltProfile {
  /** The SBPL text: our constants and `(param "NAME")` references, never a path. */
  text: string;
  /** `-DNAME=VALUE` arguments, one per parameter the text uses. */
  defines: string[];
}

/**
 * The whole profile, in the order that makes it correct under last-match-wins:
 *  1. (version 1), then (deny default): closed unless granted below;
 *  2. non-file needs of ordinary tools (base.ts);
 *  3. reads: everything, minus secrets, plus exceptions (fs-rules.ts);
 *  4. writes: writable roots and the run's own temp dir, minus secrets;
 *  5. protected paths and pins, after every grant so none can override them;
 *  6. network: nothing (a tagged denial, so refusals are attributed in the log).
 */
export function buildProfile(policy: ResolvedPolicy, session: string, run: RunFacts = {}): SeatbeltProfile {
  const params = new ParamTable();
  // Register the writable places first so their parameters get telling names.
  for (const root of policy.writableRoots) params.name('WRITABLE_ROOT', root);
  for (const dir of seatbeltTmpDirs(run)) params.name('TMP_DIR', dir);
  const message = (kind: RuleKind) => messageTag(session, kind);
  const ctx = { policy, run, params, message };
  const secrets = orderedSecretRules(policy, run);

  const text = [
    '(version 1)',
    rule('deny', ['default'], [], message('default')),
    comment('cordon: generated profile. Paths appear only as (param "NAME"), passed with -DNAME=VALUE.'),
    comment('Seatbelt applies the last rule that matches, so later rules override earlier ones.'),
    '',
    baseRules(),
    '',
    ...readRules(ctx, secrets),
    '',
    ...writeRules(ctx, secrets),
    '',
    ...protectRules(ctx),
    '',
    comment('Network: none. A domain allowlist needs the filtering proxy (plan() refuses it).'),
    rule('deny', ['network*'], [], message('network')),
    '',
  ].join('\n');
  return { text, defines: params.defines() };
}

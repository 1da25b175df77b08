import type { ResolvedPolicy } from '../../policy/resolved.js';
import { baseRules } from './base.js';
import { ALL_FEATURES, type ProfileFeatures } from './features.js';
import { cloneRules, orderedSecretRules, protectRules, readRules, seatbeltTmpDirs, writeRules, type RunFacts } from './fs-rules.js';
import { networkRules } from './network.js';
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
 *  5. protected paths and pins, after every grant so none can override them; APFS clones;
 *  6. network (network.ts): everything denied (a tagged denial, so refusals are attributed in
 *     the log), then the only grants: with a network allowlist, TCP to the filtering proxy's
 *     port on localhost (`run.proxyPort`); unix sockets under the run's own directory. Without
 *     a proxy there is no IP grant at all, and the text is what it was before proxies existed.
 * `features` switches single fixes off, for tests that show what each one prevents.
 */
export function buildProfile(policy: ResolvedPolicy, session: string, run: RunFacts = {}, features: Readonly<ProfileFeatures> = ALL_FEATURES): SeatbeltProfile {
  const params = new ParamTable();
  // Register the writable places first so their parameters get telling names.
  for (const root of policy.writableRoots) params.name('WRITABLE_ROOT', root);
  for (const dir of seatbeltTmpDirs(run)) params.name('TMP_DIR', dir);
  const message = (kind: RuleKind) => messageTag(session, kind);
  const ctx = { policy, run, params, message, features };
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
    ...cloneRules(ctx, secrets),
    '',
    ...networkRules(run, params, message('network'), features),
    '',
  ].join('\n');
  return { text, defines: params.defines() };
}

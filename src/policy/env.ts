import micromatch from 'micromatch';
import { ALWAYS_KEPT_ENV, SECRET_ENV_PATTERNS } from './defaults.js';
import type { Policy } from './schema.js';

/**
 * The command's environment: the parent's minus secret-looking names, then the caller's
 * explicit pass list wins over the patterns, the deny list removes more, `set` adds.
 * Names are matched case-insensitively: `github_token` is as secret as `GITHUB_TOKEN`.
 */
export function filterEnv(parent: NodeJS.ProcessEnv, rules: Policy['env'], overrides: Record<string, string> = {}): Record<string, string> {
  const opts = { nocase: true, dot: true };
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(parent)) {
    if (value === undefined) continue;
    const essential = ALWAYS_KEPT_ENV.includes(name);
    // A broad deny pattern (`*` in the strict preset) never strips HOME or PATH; naming one exactly does.
    const explicitlyDenied = essential ? rules.deny.includes(name) : rules.deny.length > 0 && micromatch.isMatch(name, rules.deny, opts);
    if (explicitlyDenied) continue;
    const kept = essential || (rules.pass.length > 0 && micromatch.isMatch(name, rules.pass, opts));
    if (!kept && micromatch.isMatch(name, SECRET_ENV_PATTERNS as string[], opts)) continue;
    out[name] = value;
  }
  return { ...out, ...rules.set, ...overrides };
}

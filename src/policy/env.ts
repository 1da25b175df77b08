import micromatch from 'micromatch';
import { ALWAYS_KEPT_ENV, SECRET_ENV_PATTERNS } from './defaults.js';
import type { Policy } from './schema.js';

const MATCH = { nocase: true, dot: true };
/** Compiled once: matching ~40 variables against ~20 patterns must not recompile per command. */
const looksSecret = micromatch.matcher(SECRET_ENV_PATTERNS as string[] as unknown as string, MATCH);

function matcherFor(patterns: readonly string[]): (name: string) => boolean {
  return patterns.length === 0 ? () => false : micromatch.matcher(patterns as string[] as unknown as string, MATCH);
}

/**
 * The command's environment: the parent's minus secret-looking names, then the caller's
 * explicit pass list wins over the patterns, the deny list removes more, `set` adds.
 * Names are matched case-insensitively: `github_token` is as secret as `GITHUB_TOKEN`.
 */
export function filterEnv(parent: NodeJS.ProcessEnv, rules: Policy['env'], overrides: Record<string, string> = {}): Record<string, string> {
  const denied = matcherFor(rules.deny);
  const passed = matcherFor(rules.pass);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(parent)) {
    if (value === undefined) continue;
    const essential = ALWAYS_KEPT_ENV.includes(name);
    // A broad deny pattern (`*` in the strict preset) never strips HOME or PATH; naming one exactly does.
    const explicitlyDenied = essential ? rules.deny.includes(name) : denied(name);
    if (explicitlyDenied) continue;
    if (!essential && !passed(name) && looksSecret(name)) continue;
    out[name] = value;
  }
  return { ...out, ...rules.set, ...overrides };
}

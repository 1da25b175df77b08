import { ALWAYS_KEPT_ENV, HOST_ADDRESS_ENV, SECRET_ENV_PATTERNS, SECRET_ENV_VALUE_PATTERNS } from './defaults.js';
import type { Policy } from './schema.js';

/** How the built-in rules recognise a secret: by the variable's name, or by its value. */
export interface EnvSecretRules {
  name: (name: string) => boolean;
  value: (value: string) => boolean;
}

/**
 * Compiles name globs into one case-insensitive test. `*` is any run of characters and `?` one
 * character; nothing else is special. Env names are not paths: micromatch's `*` stops at `/`,
 * which let `npm_config_//registry.npmjs.org/:_authToken` past every rule, even `deny: ['*']`.
 * Globs of the shapes the defaults use (`X`, `X*`, `*X`, `*X*`) become string tests: one regular
 * expression of ~60 `.*X.*` alternatives backtracked ~1 µs per name, ten times slower.
 */
export function envNameMatcher(globs: readonly string[]): (name: string) => boolean {
  if (globs.length === 0) return () => false;
  const exact = new Set<string>();
  const prefixes: string[] = [];
  const suffixes: string[] = [];
  const infixes: string[] = [];
  const general: string[] = [];
  for (const glob of globs.map((g) => g.toUpperCase())) {
    const starts = glob.startsWith('*');
    const ends = glob.length > 1 && glob.endsWith('*');
    const inner = glob.slice(starts ? 1 : 0, ends ? -1 : undefined);
    if (glob.includes('?') || inner.includes('*')) general.push(glob);
    else if (starts && (ends || inner === '')) infixes.push(inner);
    else if (starts) suffixes.push(inner);
    else if (ends) prefixes.push(inner);
    else exact.add(glob);
  }
  const body = general.map((g) => g.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')).join('|');
  const re = general.length > 0 ? new RegExp(`^(?:${body})$`, 's') : undefined;
  return (name) => {
    const n = name.toUpperCase();
    return exact.has(n) || prefixes.some((p) => n.startsWith(p)) || suffixes.some((x) => n.endsWith(x)) || infixes.some((x) => n.includes(x)) || (re !== undefined && re.test(n));
  };
}

/**
 * True when `value` holds a URL with credentials in its userinfo: `scheme://user:password@host`
 * in any scheme (postgres, redis, amqp, a proxy), or `http(s)://TOKEN@host` (a token as the user
 * name, as in `https://ghp_...@github.com`). `ssh://git@host` names no secret and stays.
 * Written as a scan rather than one regular expression so a long value costs linear time; the
 * authority ends at the first `/ ? #` or space and the userinfo at its last `@`, as URL parsers do.
 */
export function urlHasCredentials(value: string): boolean {
  const authorityEnd = /[/?#\s]/g; // local: a shared /g regex would carry lastIndex between calls
  for (let at = value.indexOf('://'); at >= 0; at = value.indexOf('://', at + 3)) {
    const start = at + 3;
    authorityEnd.lastIndex = start;
    const end = authorityEnd.exec(value)?.index ?? value.length;
    const authority = value.slice(start, end);
    const lastAt = authority.lastIndexOf('@');
    if (lastAt < 0) continue;
    const userinfo = authority.slice(0, lastAt);
    if (userinfo.includes(':')) return true;
    if (userinfo.length > 0 && /https?$/i.test(value.slice(Math.max(0, at - 5), at))) return true;
  }
  return false;
}

/** Builds rules from name globs and value patterns; tests pass a weakened set to show what leaks without them. */
export function compileEnvSecretRules(names: readonly string[], values: readonly RegExp[], urlCredentials: boolean): EnvSecretRules {
  const name = envNameMatcher(names);
  // One alternation per flag set scans a value once instead of once per pattern.
  const byFlags = new Map<string, string[]>();
  for (const re of values) {
    const flags = re.flags.replace(/[gy]/g, ''); // stateless tests only
    byFlags.set(flags, [...(byFlags.get(flags) ?? []), `(?:${re.source})`]);
  }
  const combined = [...byFlags].map(([flags, sources]) => new RegExp(sources.join('|'), flags));
  return { name, value: (v) => (urlCredentials && urlHasCredentials(v)) || combined.some((re) => re.test(v)) };
}

/** Compiled once at load: matching ~50 variables must not recompile ~60 patterns per command. */
export const DEFAULT_ENV_SECRET_RULES: EnvSecretRules = compileEnvSecretRules([...SECRET_ENV_PATTERNS, ...HOST_ADDRESS_ENV], SECRET_ENV_VALUE_PATTERNS, true);

/**
 * The command's environment, decided per variable in this order:
 * 1. ALWAYS_KEPT_ENV (HOME, PATH, ...) stays unless `deny` names it exactly: a broad deny
 *    pattern (`*` in the strict preset) never strips HOME or PATH;
 * 2. `deny` removes;
 * 3. `pass` keeps, over both the name and the value rules (the caller's explicit choice);
 * 4. a secret-looking name, or a value holding a credential, removes;
 * then `set` and `overrides` are added as given.
 * The caller's `pass`/`deny` are compiled per call (they differ per policy and are usually empty).
 */
export function filterEnv(parent: NodeJS.ProcessEnv, rules: Policy['env'], overrides: Record<string, string> = {}, secrets: EnvSecretRules = DEFAULT_ENV_SECRET_RULES): Record<string, string> {
  const denied = envNameMatcher(rules.deny);
  const passed = envNameMatcher(rules.pass);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(parent)) {
    if (value === undefined) continue;
    if (ALWAYS_KEPT_ENV.includes(name)) {
      if (!rules.deny.includes(name)) out[name] = value;
      continue;
    }
    if (denied(name)) continue;
    if (!passed(name) && (secrets.name(name) || secrets.value(value))) continue;
    out[name] = value;
  }
  return { ...out, ...rules.set, ...overrides };
}

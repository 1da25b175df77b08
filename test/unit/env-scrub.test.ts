import micromatch from 'micromatch';
import { describe, expect, it } from 'vitest';
import { compileEnvSecretRules, envNameMatcher, filterEnv, urlHasCredentials } from '../../src/policy/env.js';
import { parsePolicy } from '../../src/policy/parse.js';
import { loadProfile } from '../../src/policy/presets.js';
import { ENV_SECRET_MARK as S, MUST_DROP, MUST_KEEP } from '../fixtures/env-corpus.js';

/** The rule set before issue 7, copied verbatim: the baseline that must be shown to leak. */
const PRE_FIX_PATTERNS = [
  '*_TOKEN', '*_TOKEN_*', '*SECRET*', '*_API_KEY', '*_APIKEY', '*_ACCESS_KEY*', '*PASSWORD*', '*PASSWD*', '*_PRIVATE_KEY*', '*CREDENTIAL*', '*_AUTH', '*_SESSION_KEY',
  'AWS_SESSION_TOKEN', 'GITHUB_TOKEN', 'GH_TOKEN', 'NPM_TOKEN', 'SSH_AUTH_SOCK', 'GPG_AGENT_INFO', 'DOCKER_AUTH_CONFIG', 'DATABASE_URL',
];
/** Exactly how the old filterEnv matched (micromatch, nocase, dot). */
const preFixLooksSecret = (name: string) => micromatch.isMatch(name, PRE_FIX_PATTERNS, { nocase: true, dot: true });

const NO_RULES = parsePolicy({}).env;
const parent = (entries: ReadonlyArray<readonly [string, string]>) => Object.fromEntries(entries);

describe('env scrubbing: the table', () => {
  const out = filterEnv(parent([...MUST_DROP, ...MUST_KEEP.filter(([n]) => n !== 'https_proxy')]), NO_RULES);

  it.each(MUST_DROP.map(([n, v]) => [n, v]))('drops %s', (name) => {
    expect(out).not.toHaveProperty([name]);
  });

  it.each(MUST_KEEP.map(([n, v]) => [n, v]))('keeps %s', (name, value) => {
    // https_proxy is both a must-drop (with credentials) and a must-keep (without): run it alone.
    const kept = name === 'https_proxy' ? filterEnv({ [name]: value }, NO_RULES) : out;
    expect(kept[name]).toBe(value);
  });

  it('no secret value survives anywhere in the result', () => {
    expect(JSON.stringify(out)).not.toContain(S);
  });
});

describe('env scrubbing: the pre-fix rule set leaks every must-drop entry (so the table can fail)', () => {
  it.each(MUST_DROP.map(([n]) => [n]))('%s passed the old name patterns', (name) => {
    expect(preFixLooksSecret(name)).toBe(false);
  });

  it('filterEnv with the old rules injected lets every secret value through', () => {
    const weakened = { name: preFixLooksSecret, value: () => false }; // exactly the old matcher, no value rules
    const leaky = filterEnv(parent(MUST_DROP), NO_RULES, {}, weakened);
    expect(Object.keys(leaky).sort()).toEqual(MUST_DROP.map(([n]) => n).sort());
  });

  it('the old rules still catch what they caught (the baseline is faithful, not empty)', () => {
    expect(preFixLooksSecret('GITHUB_TOKEN')).toBe(true);
    expect(filterEnv({ GITHUB_TOKEN: S }, NO_RULES, {}, compileEnvSecretRules(PRE_FIX_PATTERNS, [], false))).toEqual({});
  });

  it('micromatch `*` never crossed `/`: the strict preset\'s deny-all leaked npm registry tokens; now it does not', () => {
    const name = 'npm_config_//registry.npmjs.org/:_authToken';
    expect(micromatch.isMatch(name, '*', { nocase: true, dot: true })).toBe(false); // the old deny-all
    expect(envNameMatcher(['*'])(name)).toBe(true);
    const strict = loadProfile('strict').env;
    expect(filterEnv({ [name]: S, PATH: '/bin', HOME: '/h' }, strict, {}, compileEnvSecretRules([], [], false))).toEqual({ PATH: '/bin', HOME: '/h' });
  });
});

describe('env scrubbing: pass, deny, set', () => {
  it('an explicit pass wins over the name rule and over the value rule', () => {
    const env = { OPENAI_KEY: S, POSTGRES_URL: `postgres://u:${S}@db/x`, API_KEY: S };
    const out = filterEnv(env, { ...NO_RULES, pass: ['openai_key', 'POSTGRES_*'] });
    expect(out).toEqual({ OPENAI_KEY: S, POSTGRES_URL: `postgres://u:${S}@db/x` });
  });

  it('deny beats pass; a broad deny never strips the essentials, an exact one does', () => {
    const env = { PATH: '/bin', HOME: '/h', EDITOR: 'vi', DEBUG: '1' };
    expect(filterEnv(env, { ...NO_RULES, deny: ['*'], pass: ['EDITOR'] })).toEqual({ PATH: '/bin', HOME: '/h' });
    expect(filterEnv(env, { ...NO_RULES, deny: ['PATH'] })).toEqual({ HOME: '/h', EDITOR: 'vi', DEBUG: '1' });
  });

  it('set and overrides are added as given', () => {
    expect(filterEnv({ A: '1' }, { ...NO_RULES, set: { CI: 'true' } }, { B: '2' })).toEqual({ A: '1', CI: 'true', B: '2' });
  });

  it('name globs treat only * and ? as special', () => {
    const m = envNameMatcher(['A.B', 'X?Z', 'P(1)']);
    expect([m('A.B'), m('AxB'), m('XYZ'), m('XZ'), m('P(1)'), m('P1')]).toEqual([true, false, true, false, true, false]);
  });
});

describe('urlHasCredentials', () => {
  it.each([
    ['postgres://u:p@h/db', true],
    ['redis://:p@h', true],
    ['mysql://root:p@ss@h/x', true],
    ['HTTPS://TOKEN@github.com/x', true],
    ['x=1 amqp://g:p@mq other', true],
    ['http://proxy:3128', false],
    ['ssh://git@github.com/o/r', false],
    ['https://h:8443/@scope/pkg', false],
    ['https://h/path?email=a@b.c', false],
    ['mailto:a@b.c', false],
    ['no url at all', false],
  ])('%s -> %s', (value, expected) => {
    expect(urlHasCredentials(value)).toBe(expected);
  });

  it('stays linear on long hostile values (quadratic would take minutes at this size)', () => {
    const values = ['a://'.repeat(30_000) + ':'.repeat(100_000), 'a.'.repeat(100_000), 'sk-'.repeat(60_000), '://a:'.repeat(40_000)];
    const t0 = performance.now();
    for (const value of values) filterEnv({ X: value }, NO_RULES);
    expect(performance.now() - t0).toBeLessThan(2_000);
  });
});

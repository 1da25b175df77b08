import en from 'zod/v4/locales/en.js';
import { policySchema, type Policy } from './schema.js';
import { PolicyError, type PolicyIssue } from '../errors.js';
import { resolveNetwork } from './network/presets.js';

/**
 * English messages for the built-in checks (unknown keys, wrong types), passed per parse
 * rather than installed globally with z.config: no module-level state is changed.
 */
const english = en();

/**
 * Keys of an earlier policy shape, each with what replaced it. Named one by one rather than
 * left to "unrecognized key": `network.allowDomains` was documented, and its user needs to
 * hear where the list went.
 */
const REPLACED_NETWORK_KEYS: Record<string, string> = {
  allowDomains: 'was replaced by network.allow: host[:port] patterns such as "registry.npmjs.org" or "*.github.com"',
  mode: 'was removed: no network is now an absent or empty network.allow',
};

/** Validates a policy object; throws PolicyError naming every bad field. */
export function parsePolicy(input: unknown): Policy {
  const { rest, issues: replaced } = withoutReplacedKeys(input ?? {});
  const result = policySchema.safeParse(rest, { error: english.localeError });
  const issues: PolicyIssue[] = [
    ...replaced,
    ...(result.success ? [] : result.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }))),
  ];
  if (issues.length > 0 || !result.success) {
    throw new PolicyError('ERR_CORDON_POLICY_INVALID', issues, {
      hint:
        replaced.length > 0
          ? 'write network: { "allow": ["host[:port]", ...] } (omit it for no network); see the policy reference in the README'
          : 'fix the fields named above; see the policy reference in the README',
    });
  }
  // The host patterns are checked here too (over-broad, malformed, unknown presets), so a bad
  // one is refused wherever a policy is accepted, not first when a command runs.
  resolveNetwork(result.data.network);
  return result.data;
}

/** The input without the replaced network keys, and an issue for each one found. */
function withoutReplacedKeys(input: unknown): { rest: unknown; issues: PolicyIssue[] } {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { rest: input, issues: [] };
  const network = (input as Record<string, unknown>).network;
  if (typeof network !== 'object' || network === null || Array.isArray(network)) return { rest: input, issues: [] };
  const found = Object.keys(REPLACED_NETWORK_KEYS).filter((key) => Object.hasOwn(network, key));
  if (found.length === 0) return { rest: input, issues: [] };
  const kept = Object.fromEntries(Object.entries(network).filter(([key]) => !found.includes(key)));
  return { rest: { ...input, network: kept }, issues: found.map((key) => ({ path: `network.${key}`, message: REPLACED_NETWORK_KEYS[key]! })) };
}

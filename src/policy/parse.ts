import en from 'zod/v4/locales/en.js';
import { policySchema, type Policy } from './schema.js';
import { PolicyError, type PolicyIssue } from '../errors.js';

/**
 * English messages for the built-in checks (unknown keys, wrong types), passed per parse
 * rather than installed globally with z.config: no module-level state is changed.
 */
const english = en();

/** Validates a policy object; throws PolicyError naming every bad field. */
export function parsePolicy(input: unknown): Policy {
  const result = policySchema.safeParse(input ?? {}, { error: english.localeError });
  if (result.success) return result.data;
  const issues: PolicyIssue[] = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
  throw new PolicyError('ERR_CORDON_POLICY_INVALID', issues, {
    hint: 'fix the fields named above; see the policy reference in the README',
  });
}

import { policySchema, type Policy } from './schema.js';
import { PolicyError, type PolicyIssue } from '../errors.js';

/** Validates a policy object; throws PolicyError naming every bad field. */
export function parsePolicy(input: unknown): Policy {
  const result = policySchema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issues: PolicyIssue[] = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
  throw new PolicyError('ERR_CORDON_POLICY_INVALID', issues, {
    hint: 'fix the fields named above; see the policy reference in the README',
  });
}

import { z } from 'zod';

/**
 * The one policy schema. Strict everywhere: an unknown key is an error, never silently
 * dropped, because a misspelled rule that is ignored is a rule that does not protect.
 * Omitted means denied: every option below only ever *extends* the default
 * (read anywhere but secrets, write only the workspace and a private tmp, no network).
 */

const noNul = (s: string) => !s.includes('\0');

/** An absolute path or glob, or one starting with `~/`. Resolution makes it real. */
const hostPattern = z
  .string()
  .min(1)
  .refine(noNul, 'must not contain a NUL byte')
  .refine((s) => s.startsWith('/') || s === '~' || s.startsWith('~/'), 'must be absolute or start with ~/ (relative paths are ambiguous)');

/** A path or glob relative to a writable root (e.g. `.git/hooks`, `config/*.key`). */
const rootRelative = z
  .string()
  .min(1)
  .refine(noNul, 'must not contain a NUL byte')
  .refine((s) => !s.startsWith('/') && !s.startsWith('~'), 'must be relative to the writable root')
  .refine((s) => !s.split('/').includes('..'), 'must not contain ".." segments');

const envName = z
  .string()
  .min(1)
  .refine(noNul, 'must not contain a NUL byte')
  .refine((s) => !s.includes('='), 'must not contain "="');

export const policySchema = z.strictObject({
  /** `write` (default) or `read`: the read-only preset keeps the workspace read-only too. */
  workspaceAccess: z.enum(['write', 'read']).default('write'),
  read: z
    .strictObject({
      /** Apply the built-in secret deny list (~/.ssh, ~/.aws, .env, ...). */
      defaultSecrets: z.boolean().default(true),
      /** Deny reading the whole home directory except the workspace, writable roots and `allow`. */
      denyHome: z.boolean().default(false),
      /** Extra paths or globs whose content the command must never see. */
      deny: z.array(hostPattern).default([]),
      /** Exceptions carved out of the deny rules (never out of `protect`). */
      allow: z.array(hostPattern).default([]),
    })
    .default({ defaultSecrets: true, denyHome: false, deny: [], allow: [] }),
  write: z
    .strictObject({
      /** Extra writable roots besides the workspace. */
      allow: z.array(hostPattern).default([]),
      /** Extra paths, relative to each writable root, kept read-only and uncreatable. */
      protect: z.array(rootRelative).default([]),
    })
    .default({ allow: [], protect: [] }),
  network: z
    .strictObject({
      /** Only `none` is enforced today. Domains need the filtering proxy (not built yet). */
      mode: z.enum(['none']).default('none'),
      /** Reserved for the filtering proxy; any entry makes planning refuse (fail closed). */
      allowDomains: z.array(z.string().min(1).refine(noNul, 'must not contain a NUL byte')).default([]),
    })
    .default({ mode: 'none', allowDomains: [] }),
  env: z
    .strictObject({
      /** Names (globs) to pass even though they look like secrets. */
      pass: z.array(envName).default([]),
      /** Names (globs) to remove in addition to the built-in secret patterns. */
      deny: z.array(envName).default([]),
      /** Variables to set inside the sandbox. */
      set: z.record(envName, z.string().refine(noNul, 'must not contain a NUL byte')).default({}),
    })
    .default({ pass: [], deny: [], set: {} }),
  limits: z
    .strictObject({
      /** Kill the whole sandbox after this many milliseconds. */
      timeoutMs: z.number().int().positive().optional(),
      /** Kill the command once stdout or stderr exceeds this many bytes (buffered mode). */
      maxOutputBytes: z.number().int().positive().optional(),
    })
    .default({}),
});

/** What callers write (everything optional). */
export type PolicyInput = z.input<typeof policySchema>;
/** A parsed policy with every default filled in. */
export type Policy = z.output<typeof policySchema>;

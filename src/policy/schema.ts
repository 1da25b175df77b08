import * as z from 'zod/mini';

/**
 * The one policy schema. Strict everywhere: an unknown key is an error, never silently
 * dropped, because a misspelled rule that is ignored is a rule that does not protect.
 * Omitted means denied: every option below only ever *extends* the default
 * (read anywhere but secrets, write only the workspace and a private tmp, no network).
 *
 * Written with zod/mini: the full `zod` bundle (all its locales and methods) cost ~30 ms of
 * import on every first call and CLI start; mini does the same validation in 15 KB.
 */

const noNul = (s: string) => !s.includes('\0');
const NO_NUL = z.refine<string>(noNul, 'must not contain a NUL byte');

/** A non-empty string with these extra checks. */
const text = (...checks: Parameters<ReturnType<typeof z.string>['check']>) => z.string().check(z.minLength(1), NO_NUL, ...checks);

/** An absolute path or glob, or one starting with `~/`. Resolution makes it real. */
const hostPattern = text(z.refine((s: string) => s.startsWith('/') || s === '~' || s.startsWith('~/'), 'must be absolute or start with ~/ (relative paths are ambiguous)'));

/** A path relative to a writable root (e.g. `.git/hooks`, `config/deploy.sh`). */
const rootRelative = text(
  z.refine((s: string) => !s.startsWith('/') && !s.startsWith('~'), 'must be relative to the writable root'),
  z.refine((s: string) => !s.split('/').includes('..'), 'must not contain ".." segments'),
);

const envName = text(z.refine((s: string) => !s.includes('='), 'must not contain "="'));

const list = <T extends z.core.SomeType>(item: T) => z._default(z.array(item), []);

export const policySchema = z.strictObject({
  /** `write` (default) or `read`: the read-only preset keeps the workspace read-only too. */
  workspaceAccess: z._default(z.enum(['write', 'read']), 'write'),
  read: z._default(
    z.strictObject({
      /** Apply the built-in secret deny list (~/.ssh, ~/.aws, .env, ...). */
      defaultSecrets: z._default(z.boolean(), true),
      /** Deny reading the whole home directory except the workspace, writable roots and `allow`. */
      denyHome: z._default(z.boolean(), false),
      /** Extra paths or globs whose content the command must never see. */
      deny: list(hostPattern),
      /** Exceptions carved out of the deny rules (never out of `protect`). */
      allow: list(hostPattern),
    }),
    { defaultSecrets: true, denyHome: false, deny: [], allow: [] },
  ),
  write: z._default(
    z.strictObject({
      /** Extra writable roots besides the workspace. */
      allow: list(hostPattern),
      /** Extra paths, relative to each writable root, kept read-only (and uncreatable in the workspace). */
      protect: list(rootRelative),
      /**
       * Let a writable root be or contain a home directory (or /home, /Users). Off by default:
       * a writable home lets a command plant start-up files that run outside the sandbox.
       * When on, each home's shell, session and PATH start-up locations stay read-only.
       */
      allowHome: z.optional(z.boolean()),
      /**
       * Accept a writable root reached through a symlink that a command could have planted
       * (one owned by this user outside system directories). Off by default: a command can
       * turn `P/pkg` into a link to any directory, and the next command given `P/pkg` would
       * write there. Passing the real path instead needs no opt-in.
       */
      allowSymlinkedRoots: z.optional(z.boolean()),
    }),
    { allow: [], protect: [] },
  ),
  network: z._default(
    z.strictObject({
      /**
       * Hosts the command may reach, as `host[:port]` patterns (src/policy/network/patterns.ts);
       * with no entry here and no preset, no network at all. Checked by parsePolicy beyond this schema (over-broad
       * patterns, numeric spellings). Enforcement needs the filtering proxy: until it exists the
       * backends refuse a non-empty list (fail closed).
       */
      allow: list(text()),
      /** Patterns never reached, whatever allows them (deny wins). */
      deny: list(text()),
      /** Named allow lists shipped as data in profiles/network/ (`npm`, `pypi`, `github`). */
      presets: list(text()),
    }),
    { allow: [], deny: [], presets: [] },
  ),
  env: z._default(
    z.strictObject({
      /** Names (globs) to pass even though they look like secrets. */
      pass: list(envName),
      /** Names (globs) to remove in addition to the built-in secret patterns. */
      deny: list(envName),
      /** Variables to set inside the sandbox. */
      set: z._default(z.record(envName, z.string().check(NO_NUL)), {}),
    }),
    { pass: [], deny: [], set: {} },
  ),
  limits: z._default(
    z.strictObject({
      /** Kill the whole sandbox after this many milliseconds. */
      timeoutMs: z.optional(z.int().check(z.positive())),
      /** Kill the command once stdout or stderr exceeds this many bytes (buffered mode). */
      maxOutputBytes: z.optional(z.int().check(z.positive())),
    }),
    {},
  ),
});

/** What callers write (everything optional). */
export type PolicyInput = z.input<typeof policySchema>;
/** A parsed policy with every default filled in. */
export type Policy = z.output<typeof policySchema>;

/**
 * Every failure cordon itself causes is a CordonError with a stable `code` and a `hint`
 * that tells the user what to do. A command that simply exits non-zero is NOT a
 * CordonError: that is the command's own result (an execa error when it rejects).
 */
const brand = Symbol.for('cordon.error');

export type CordonErrorCode =
  | 'ERR_CORDON_POLICY_INVALID'
  | 'ERR_CORDON_POLICY_TOO_BROAD'
  | 'ERR_CORDON_WORKSPACE_INVALID'
  | 'ERR_CORDON_SECRET_LINKED'
  | 'ERR_CORDON_PROFILE_UNKNOWN'
  | 'ERR_CORDON_UNENFORCEABLE'
  | 'ERR_CORDON_BWRAP_MISSING'
  | 'ERR_CORDON_USERNS_DISABLED'
  | 'ERR_CORDON_USERNS_APPARMOR'
  | 'ERR_CORDON_USERNS_BLOCKED'
  | 'ERR_CORDON_NATIVE_UNAVAILABLE'
  | 'ERR_CORDON_SECCOMP_UNSUPPORTED'
  | 'ERR_CORDON_PLATFORM_UNSUPPORTED'
  | 'ERR_CORDON_SEATBELT_UNAVAILABLE'
  | 'ERR_CORDON_SETUP_FAILED';

export interface CordonErrorOptions {
  hint?: string;
  cause?: unknown;
}

export class CordonError extends Error {
  readonly code: CordonErrorCode;
  readonly hint: string | undefined;

  constructor(code: CordonErrorCode, message: string, options: CordonErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    Object.defineProperty(this, brand, { value: true });
  }

  /** Message plus hint, as the CLI prints it. */
  describe(): string {
    return this.hint ? `${this.message}\nhint: ${this.hint}` : this.message;
  }
}
Object.defineProperty(CordonError.prototype, 'name', { value: 'CordonError' });

/** Works across realms and duplicate copies of the package, unlike instanceof. */
export function isCordonError(value: unknown): value is CordonError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}

export interface PolicyIssue {
  /** Dotted path of the offending field, e.g. `read.deny.2`. */
  path: string;
  message: string;
}

/** The policy (or the workspace it is applied to) is malformed. Nothing was spawned. */
export class PolicyError extends CordonError {
  readonly issues: PolicyIssue[];

  constructor(
    code: Extract<CordonErrorCode, 'ERR_CORDON_POLICY_INVALID' | 'ERR_CORDON_POLICY_TOO_BROAD' | 'ERR_CORDON_WORKSPACE_INVALID' | 'ERR_CORDON_PROFILE_UNKNOWN'>,
    issues: PolicyIssue[],
    options: CordonErrorOptions = {},
  ) {
    super(code, issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; '), options);
    this.issues = issues;
  }
}
Object.defineProperty(PolicyError.prototype, 'name', { value: 'PolicyError' });

/** The policy is valid but this backend cannot enforce part of it, so we refuse to run. */
export class PolicyUnenforceableError extends CordonError {
  readonly feature: string;
  readonly backend: string;

  constructor(feature: string, backend: string, message: string, options: CordonErrorOptions = {}) {
    super('ERR_CORDON_UNENFORCEABLE', message, options);
    this.feature = feature;
    this.backend = backend;
  }
}
Object.defineProperty(PolicyUnenforceableError.prototype, 'name', { value: 'PolicyUnenforceableError' });

/** This machine cannot build the sandbox at all (no bwrap, no user namespaces, no addon, no usable sandbox-exec). */
export class SandboxUnavailableError extends CordonError {
  readonly reasons: string[];

  constructor(
    code: Extract<CordonErrorCode, 'ERR_CORDON_BWRAP_MISSING' | 'ERR_CORDON_USERNS_DISABLED' | 'ERR_CORDON_USERNS_APPARMOR' | 'ERR_CORDON_USERNS_BLOCKED' | 'ERR_CORDON_NATIVE_UNAVAILABLE' | 'ERR_CORDON_SECCOMP_UNSUPPORTED' | 'ERR_CORDON_PLATFORM_UNSUPPORTED' | 'ERR_CORDON_SEATBELT_UNAVAILABLE'>,
    message: string,
    reasons: string[],
    options: CordonErrorOptions = {},
  ) {
    super(code, message, options);
    this.reasons = reasons;
  }
}
Object.defineProperty(SandboxUnavailableError.prototype, 'name', { value: 'SandboxUnavailableError' });

/** The launcher started but failed to set the sandbox up; the command never ran. */
export class SandboxSetupError extends CordonError {
  readonly stderr: string;

  constructor(message: string, stderr: string, options: CordonErrorOptions = {}) {
    super('ERR_CORDON_SETUP_FAILED', message, options);
    this.stderr = stderr;
  }
}
Object.defineProperty(SandboxSetupError.prototype, 'name', { value: 'SandboxSetupError' });

/**
 * A secret has a name (a hard link) that could not be found, so it cannot be hidden: the
 * command would read the secret through it. Nothing ran.
 */
export class SecretLinkError extends CordonError {
  /** The secret, by real path. */
  readonly secret: string;
  /** Its link count (st_nlink). */
  readonly links: number;
  /** The names found (and that would have been masked). */
  readonly found: string[];

  constructor(secret: string, links: number, found: string[], reason: string, options: CordonErrorOptions = {}) {
    super('ERR_CORDON_SECRET_LINKED', `the secret ${secret} has ${links} names (hard links) but only ${found.length} could be found to hide (${found.join(', ')}): ${reason}`, options);
    this.secret = secret;
    this.links = links;
    this.found = found;
  }
}
Object.defineProperty(SecretLinkError.prototype, 'name', { value: 'SecretLinkError' });

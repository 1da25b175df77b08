import type { QuarantinedItem } from './host-check/quarantine.js';
import type { Policy } from './policy/schema.js';

export type { QuarantinedItem } from './host-check/quarantine.js';

/** What the sandbox stopped, by kind of access. */
export type DenialKind = 'write' | 'read' | 'network' | 'socket' | 'syscall';

/**
 * One thing the sandbox stopped during a command, for a harness to show its user or model.
 * `certainty` says how cordon knows: 'observed' (the kernel or the sandbox reported the denial
 * itself) or 'inferred' (matched from the command's output against the policy: the command
 * said it failed on this path or host, and the policy denies exactly that).
 */
export interface Denial {
  kind: DenialKind;
  /** The file or directory, by the path the command used (write, read). */
  path?: string;
  /** The host name or address the command tried to reach (network). */
  host?: string;
  /** The port, when known (network). */
  port?: number;
  /** The policy rule that denied it, in words (`default secret: ~/.ssh`, `network: none`). */
  rule: string;
  certainty: 'observed' | 'inferred';
  /** The smallest widening that would allow it, in words; absent when none should be offered (secrets, protected paths). */
  suggestion?: string;
  /** The output line it was inferred from (inferred only), trimmed. */
  evidence?: string;
}

/**
 * What cordon has to say about one command beyond its output, attached as `sandbox` to
 * sandboxedSpawn's result (and to its error when the command failed).
 */
export interface SandboxReport {
  /** The policy the command ran under, as validated (defaults filled in): feed a widened copy back as the next call's `policy`. */
  policy: Policy;
  /** What the sandbox stopped (see Denial). Empty when nothing was stopped or nothing could be told. */
  denials: Denial[];
  /**
   * Items the command left in a writable root for host git to act on (config, hooks,
   * redirections, symlinks in repository metadata), renamed aside into `.cordon-quarantine/`
   * when the last command in that root ended. Empty in the usual case.
   */
  quarantined: QuarantinedItem[];
}

/** Attaches the report to an execa result or error object (both are plain objects). */
export function attachReport<T>(target: T, report: SandboxReport): T {
  if (target !== null && typeof target === 'object') Object.defineProperty(target, 'sandbox', { value: report, enumerable: true, configurable: true, writable: true });
  return target;
}

/** The report of a result or error from sandboxedSpawn, if it has one. */
export function sandboxReport(resultOrError: unknown): SandboxReport | undefined {
  const report = (resultOrError as { sandbox?: SandboxReport } | null)?.sandbox;
  return report !== undefined && Array.isArray(report.quarantined) && Array.isArray(report.denials) ? report : undefined;
}

/** One line per item, for a terminal. */
export function formatQuarantine(items: readonly QuarantinedItem[]): string {
  return items
    .map((item) => {
      const [path, movedTo] = [printable(item.path), printable(item.movedTo ?? '')];
      return item.error ? `cordon: NOT quarantined (${printable(item.error)}): ${path}: ${item.reason}` : `cordon: quarantined ${path} -> ${movedTo}: ${item.reason}`;
    })
    .join('\n');
}

/**
 * Text the command chose (a file name, a path or host it printed) made safe to put in cordon's
 * own lines: control characters (a terminal escape that retitles the window or rewrites the
 * screen, a newline that forges a second "cordon:" line) and bidirectional overrides (which
 * make a name read differently than it is) are written as \xNN / \uNNNN.
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

import type { QuarantinedItem } from './host-check/quarantine.js';

export type { QuarantinedItem } from './host-check/quarantine.js';

/**
 * What cordon has to say about one command beyond its output, attached as `sandbox` to
 * sandboxedSpawn's result (and to its error when the command failed).
 */
export interface SandboxReport {
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
  return report !== undefined && Array.isArray(report.quarantined) ? report : undefined;
}

/** One line per item, for a terminal. */
export function formatQuarantine(items: readonly QuarantinedItem[]): string {
  return items
    .map((item) => (item.error ? `cordon: NOT quarantined (${item.error}): ${item.path}: ${item.reason}` : `cordon: quarantined ${item.path} -> ${item.movedTo}: ${item.reason}`))
    .join('\n');
}

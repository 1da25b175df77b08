import { formatQuarantine, printable, type Denial, type SandboxReport } from '../sandbox-report.js';
import { hostPort } from '../policy/network/decide.js';

/**
 * What a harness shows its model or user after a command: one line per thing the sandbox
 * stopped, each saying what, where, which rule, and (when one should be offered) the smallest
 * widening. Short on purpose: it is appended to the command's output in a model's context.
 */
export function formatDenials(denials: readonly Denial[]): string {
  return denials.map(formatDenial).join('\n');
}

/** The denials, then the host check's quarantine lines; '' when there is nothing to say. */
export function formatSandboxReport(report: SandboxReport): string {
  return [formatDenials(report.denials), formatQuarantine(report.quarantined)].filter((block) => block !== '').join('\n');
}

/** `cordon stopped: write /home/u/.cache/pip/x (outside the writable roots) — allow with write.allow ~/.cache/pip` */
export function formatDenial(denial: Denial): string {
  const tail = denial.suggestion === undefined ? '' : ` — allow with ${printable(denial.suggestion)}`;
  return `cordon stopped: ${denial.kind} ${printable(target(denial))} (${printable(denial.rule)})${tail}`;
}

function target(denial: Denial): string {
  if (denial.host !== undefined) return denial.port === undefined ? denial.host : hostPort(denial.host, denial.port);
  return denial.path ?? '(unnamed)';
}

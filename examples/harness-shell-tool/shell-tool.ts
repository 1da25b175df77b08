/**
 * A harness's shell tool on cordon: every command the model asks for runs through
 * sandboxedSpawn (`sh -c COMMAND`, the command one argv element), and the model gets the
 * output, the exit code and, when the sandbox stopped something, one short block saying what.
 *
 * In your project, import from 'cordon' instead of ../../src/.
 */
import { sandboxedSpawn, sandboxReport, type Policy } from '../../src/index.js';
import { formatSandboxReport } from '../../src/harness/report-text.js';
import type { Denial } from '../../src/sandbox-report.js';

export interface ShellToolResult {
  /** What the model reads. */
  text: string;
  exitCode: number | undefined;
  /** What the sandbox stopped (empty when nothing): the harness decides whether to ask its user. */
  denials: Denial[];
  /** The policy the command ran under, with defaults filled in: the base for a widening. */
  policy: Policy | undefined;
}

export async function runShellTool(command: string, options: { workspace: string; policy?: Policy }): Promise<ShellToolResult> {
  const result = await sandboxedSpawn('sh', ['-c', command], {
    workspace: options.workspace,
    ...(options.policy ? { policy: options.policy } : {}),
    stdin: 'ignore',
    timeout: 60_000,
    reject: false,
  });
  const report = sandboxReport(result);
  const block = report ? formatSandboxReport(report) : '';
  const text = [`exit code: ${result.exitCode}`, String(result.stdout ?? ''), String(result.stderr ?? ''), block].filter((part) => part !== '').join('\n');
  return { text, exitCode: result.exitCode, denials: report?.denials ?? [], policy: report?.policy };
}

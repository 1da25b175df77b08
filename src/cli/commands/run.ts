import { accessSync, constants as fs } from 'node:fs';
import { constants } from 'node:os';
import path from 'node:path';
import which from 'which';
import { SandboxSetupError } from '../../errors.js';
import { formatSandboxReport } from '../../harness/report-text.js';
import { formatQuarantine, sandboxReport } from '../../sandbox-report.js';
import { sandboxedSpawn } from '../../spawn.js';
import { parseArgs, policyFromFlags, UsageError } from '../args.js';
import { keepBudget, stderrTee } from '../stderr-tee.js';
import { COMMAND_USAGE } from '../usage.js';

const COMMAND_NOT_FOUND = 127;
/** As timeout(1): scripts that already tell "timed out" from "failed" by 124 keep working. */
export const TIMED_OUT = 124;

const RUN_FLAGS = ['--quiet', '--capture-stderr'];

/**
 * What cordon has to say after the command, on stderr: the denial report and quarantine
 * notices (src/harness/report-text.ts). --quiet drops the denials but never the quarantine
 * lines: those say cordon moved files in the user's tree, which they must hear of.
 */
function printReport(resultOrError: unknown, quiet: boolean): void {
  const report = sandboxReport(resultOrError);
  if (report === undefined) return;
  const text = quiet ? formatQuarantine(report.quarantined) : formatSandboxReport(report);
  if (text !== '') process.stderr.write(`${text}\n`);
}

function commandNotFound(file: string): number {
  process.stderr.write(`cordon: ${file}: command not found\n`);
  return COMMAND_NOT_FOUND;
}

/** Set by cordon's own termination (src/termination.ts) only when it killed the sandbox for the timeout. */
function timedOut(resultOrError: unknown): boolean {
  return (resultOrError as { timedOut?: unknown } | null)?.timedOut === true;
}

/** Whether `file` names an executable, as the sandbox will look it up (a path is taken from the workspace, where the command starts). */
function isFindable(file: string, workspace: string): boolean {
  if (file.includes('/')) {
    try {
      accessSync(path.resolve(workspace, file), fs.X_OK);
      return true;
    } catch {
      return false;
    }
  }
  return which.sync(file, { nothrow: true }) !== null;
}

/**
 * `cordon run [flags] -- CMD [ARGS...]`: exit status is the command's (128+N if killed by
 * signal N, 124 if the timeout killed it). stdin and stdout are inherited untouched; stderr
 * is copied through and partly kept for the denial report, unless it is a terminal (see
 * COMMAND_USAGE.run for the trade-off the user is told about).
 */
export async function runCommand(argv: readonly string[], out: (text: string) => void): Promise<number> {
  const { help, flags, extra, rest } = parseArgs(argv, RUN_FLAGS);
  if (help) {
    out(COMMAND_USAGE.run);
    return 0;
  }
  const [file, ...args] = rest;
  if (file === undefined) throw new UsageError('cordon run needs a command: cordon run [flags] -- CMD [ARGS...]');
  const policy = policyFromFlags(flags);
  // Asked before the run, so a command that removes itself is never taken for a missing one.
  const findable = isFindable(file, flags.workspace);
  // A terminal on fd 2 stays the command's own unless asked: through a pipe, `bash` is no
  // longer interactive and compilers, git and test runners drop colours and progress.
  const capture = extra.has('--capture-stderr') || !process.stderr.isTTY;
  const keep = capture ? keepBudget(policy.limits.maxOutputBytes) : undefined;
  const subprocess = sandboxedSpawn(file, args, {
    workspace: flags.workspace,
    policy,
    stdin: 'inherit',
    stdout: 'inherit',
    stderr: keep === undefined ? 'inherit' : stderrTee(process.stderr, keep),
    reject: false,
  });
  // The terminal's Ctrl-C reaches bwrap too (same process group); make sure it ends the sandbox.
  const forward = (signal: NodeJS.Signals) => () => subprocess.kill(signal);
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((s) => [s, forward(s)] as const);
  for (const [s, h] of handlers) process.on(s, h);
  const quiet = extra.has('--quiet');
  try {
    const result = await subprocess;
    if (timedOut(result)) process.stderr.write(`cordon: timed out after ${policy.limits.timeoutMs} ms: the command and everything it started were killed\n`);
    printReport(result, quiet);
    if (timedOut(result)) return TIMED_OUT;
    if (result.signal) return 128 + (constants.signals[result.signal] ?? 0);
    // With stderr captured, the launcher's "cannot execute" is a failed result, not a setup
    // error (the backend read it there); a command that was nowhere to be found never ran.
    if (result.exitCode !== 0 && !findable) return commandNotFound(file);
    return result.exitCode ?? 1;
  } catch (error) {
    printReport(error, quiet);
    // bwrap reports a missing command as a setup failure (execvp happens inside it) when
    // stderr is the terminal's and cannot be read, so ask PATH: a command that is nowhere to
    // be found exits 127, as a shell would, rather than 125 (cordon failed).
    if (error instanceof SandboxSetupError && !findable) return commandNotFound(file);
    throw error;
  } finally {
    for (const [s, h] of handlers) process.off(s, h);
  }
}

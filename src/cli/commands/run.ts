import { accessSync, constants as fs } from 'node:fs';
import { constants } from 'node:os';
import which from 'which';
import { SandboxSetupError } from '../../errors.js';
import { formatQuarantine, sandboxReport } from '../../sandbox-report.js';
import { sandboxedSpawn } from '../../spawn.js';
import { parseArgs, policyFromFlags, UsageError } from '../args.js';

const COMMAND_NOT_FOUND = 127;

/** What the command planted for host git and cordon moved aside: the user must hear of it. */
function reportQuarantine(resultOrError: unknown): void {
  const items = sandboxReport(resultOrError)?.quarantined ?? [];
  if (items.length > 0) process.stderr.write(`${formatQuarantine(items)}\n`);
}

function isFindable(file: string): boolean {
  if (file.includes('/')) {
    try {
      accessSync(file, fs.X_OK);
      return true;
    } catch {
      return false;
    }
  }
  return which.sync(file, { nothrow: true }) !== null;
}

/** `cordon run [flags] -- CMD [ARGS...]`: exit status is the command's (128+N if killed by signal N). */
export async function runCommand(argv: readonly string[]): Promise<number> {
  const { flags, rest } = parseArgs(argv);
  const [file, ...args] = rest;
  if (file === undefined) throw new UsageError('cordon run needs a command: cordon run [flags] -- CMD [ARGS...]');
  const subprocess = sandboxedSpawn(file, args, {
    workspace: flags.workspace,
    policy: policyFromFlags(flags),
    stdio: 'inherit',
    reject: false,
  });
  // The terminal's Ctrl-C reaches bwrap too (same process group); make sure it ends the sandbox.
  const forward = (signal: NodeJS.Signals) => () => subprocess.kill(signal);
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((s) => [s, forward(s)] as const);
  for (const [s, h] of handlers) process.on(s, h);
  try {
    const result = await subprocess;
    reportQuarantine(result);
    if (result.signal) return 128 + (constants.signals[result.signal] ?? 0);
    return result.exitCode ?? 1;
  } catch (error) {
    reportQuarantine(error);
    // bwrap reports a missing command as a setup failure (execvp happens inside it). With the
    // terminal's stderr we cannot read that message, so ask PATH: a command that is nowhere
    // to be found exits 127, as a shell would, rather than 125 (cordon failed).
    if (error instanceof SandboxSetupError && !isFindable(file)) {
      process.stderr.write(`cordon: ${file}: command not found\n`);
      return COMMAND_NOT_FOUND;
    }
    throw error;
  } finally {
    for (const [s, h] of handlers) process.off(s, h);
  }
}

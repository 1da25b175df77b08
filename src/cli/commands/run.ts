import { constants } from 'node:os';
import { sandboxedSpawn } from '../../spawn.js';
import { parseArgs, policyFromFlags, UsageError } from '../args.js';

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
    if (result.signal) return 128 + (constants.signals[result.signal] ?? 0);
    return result.exitCode ?? 1;
  } finally {
    for (const [s, h] of handlers) process.off(s, h);
  }
}

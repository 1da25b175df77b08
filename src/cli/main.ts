#!/usr/bin/env node
import { isCordonError } from '../errors.js';
import { UsageError } from './args.js';
import { doctorCommand } from './commands/doctor.js';
import { explainCommand } from './commands/explain.js';
import { printCommand } from './commands/print.js';
import { runCommand } from './commands/run.js';

/** Exit status when cordon itself fails (as `env`, `nice` and `timeout` do), never the command's. */
const CORDON_FAILED = 125;

const USAGE = `usage:
  cordon run     [policy flags] -- CMD [ARGS...]   run CMD sandboxed; exits with CMD's status (125: cordon failed)
  cordon print   [--platform linux|macos] [--json] [policy flags] -- CMD [ARGS...]
  cordon explain [--platform linux|macos] [--json] [policy flags] PATH...  may each path be read/written, and why
  cordon doctor                                     what works on this machine, how to fix the rest

policy flags:
  --workspace DIR       writable workspace (default: current directory)
  --profile NAME        preset from profiles/ (default, read-only, strict)
  --policy FILE         a policy JSON file
  --allow-write DIR     extra writable root (repeatable)
  --deny-read PATH      extra path or glob never readable (repeatable)
  --allow-read PATH     exception to the read denials (repeatable)
  --protect REL         extra read-only path inside writable roots (repeatable)
  --allow-home          let a writable root be or contain a home directory (start-up files stay read-only)
  --allow-symlinked-roots  accept a workspace or writable root reached through a symlink you own
  --pass-env NAME       pass an environment variable that looks secret (repeatable)
  --timeout MS          kill the whole sandbox after MS milliseconds`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const out = (text: string) => process.stdout.write(`${text}\n`);
  switch (command) {
    case 'run':
      return runCommand(rest);
    case 'print':
      return printCommand(rest, out);
    case 'explain':
      return explainCommand(rest, out);
    case 'doctor':
      return doctorCommand(out);
    case '--help':
    case '-h':
    case 'help':
      out(USAGE);
      return 0;
    default:
      throw new UsageError(command === undefined ? 'missing command' : `unknown command ${JSON.stringify(command)}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (isCordonError(error)) process.stderr.write(`cordon: ${error.code}: ${error.describe()}\n`);
    else if (error instanceof UsageError) process.stderr.write(`cordon: ${error.message}\n\n${USAGE}\n`);
    else process.stderr.write(`cordon: internal error: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = CORDON_FAILED;
  },
);

#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isCordonError } from '../errors.js';
import { PACKAGE_ROOT } from '../package-root.js';
import { asksForHelp, UsageError } from './args.js';
import { doctorCommand } from './commands/doctor.js';
import { explainCommand } from './commands/explain.js';
import { hookCommand } from './commands/hook.js';
import { mcpCommand } from './commands/mcp.js';
import { printCommand } from './commands/print.js';
import { runCommand } from './commands/run.js';
import { COMMAND_USAGE, isCommandName, OVERVIEW, type CommandName } from './usage.js';

/** Exit status when cordon itself fails or is used wrongly (as `env`, `nice` and `timeout` do), never the command's. */
const CORDON_FAILED = 125;

type Out = (text: string) => void;

/** The version in the package.json cordon runs from (the same file whether from dist/ or src/). */
function version(): string {
  return (JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

function dispatch(command: CommandName, argv: readonly string[], out: Out): Promise<number> | number {
  switch (command) {
    case 'run':
      return runCommand(argv, out);
    case 'print':
      return printCommand(argv, out);
    case 'explain':
      return explainCommand(argv, out);
    case 'doctor':
      return doctorCommand(argv, out);
    // These two parse their own argv; their help is answered here so it never starts a
    // server or waits for a hook event on stdin.
    case 'mcp':
      return asksForHelp(argv) ? showUsage(command, out) : mcpCommand(argv);
    case 'hook':
      return asksForHelp(argv) ? showUsage(command, out) : hookCommand(argv);
  }
}

function showUsage(command: CommandName, out: Out): number {
  out(COMMAND_USAGE[command]);
  return 0;
}

/** `cordon help [COMMAND]`. */
function help(argv: readonly string[], out: Out): number {
  const [topic, ...more] = argv;
  if (topic === undefined) {
    out(OVERVIEW);
    return 0;
  }
  if (!isCommandName(topic)) throw new UsageError(`unknown command ${JSON.stringify(topic)}`);
  if (more.length > 0) throw new UsageError(`cordon help takes one command name, not ${JSON.stringify(argv.join(' '))}`);
  return showUsage(topic, out);
}

async function main(argv: readonly string[], out: Out): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) throw new UsageError('missing command');
  if (first === '--version' || first === '-V') {
    out(`cordon ${version()}`);
    return 0;
  }
  if (first === '--help' || first === '-h') {
    out(OVERVIEW);
    return 0;
  }
  if (first === 'help') return help(rest, out);
  if (!isCommandName(first)) throw new UsageError(first.startsWith('-') ? `unknown option ${first}` : `unknown command ${JSON.stringify(first)}`);
  try {
    return await dispatch(first, rest, out);
  } catch (error) {
    if (error instanceof UsageError) error.command ??= first;
    throw error;
  }
}

main(process.argv.slice(2), (text) => process.stdout.write(`${text}\n`)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (isCordonError(error)) process.stderr.write(`cordon: ${error.code}: ${error.describe()}\n`);
    else if (error instanceof UsageError) process.stderr.write(`cordon: ${error.message}\nsee: cordon ${error.command === undefined ? '' : `${error.command} `}--help\n`);
    else process.stderr.write(`cordon: internal error: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = CORDON_FAILED;
  },
);

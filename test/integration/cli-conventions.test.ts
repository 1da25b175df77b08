import { execFile } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeSandbox, hasTool, scratchTrees } from './harness.js';

/**
 * The CLI's conventions (issue 9): --version, --help on every subcommand, `run -h` is help,
 * a timeout says so and exits 124, the denial report after `cordon run` (and --quiet), usage
 * errors name the flag. Runs the built CLI (dist/cli.mjs); with CORDON_CLI_FROM_SRC=1 it runs
 * src/ through vite-node instead (slower, ~3 s a call; for use before a build).
 */
const FROM_SRC = process.env.CORDON_CLI_FROM_SRC === '1';
const CLI = fileURLToPath(new URL('../../dist/cli.mjs', import.meta.url));
const VITE_NODE = fileURLToPath(new URL('../../node_modules/vite-node/vite-node.mjs', import.meta.url));
const FROM_SRC_ENTRY = fileURLToPath(new URL('../fixtures/cli-conventions-from-src.ts', import.meta.url));
const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
/** Per test: generous when each call pays vite-node's start-up. */
const SLOW = FROM_SRC ? 120_000 : 30_000;

const tree = scratchTrees();

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** A shell word, for the one test that has to go through script(1). */
const shellWord = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;

/** cordon with a pseudo-terminal on all of stdin, stdout and stderr (util-linux script(1)); the terminal's text comes back as stdout. */
function cordonOnTerminal(args: string[], cwd: string): Promise<CliResult> {
  const argv = FROM_SRC ? [process.execPath, VITE_NODE, FROM_SRC_ENTRY] : [process.execPath, CLI, ...args];
  const env = FROM_SRC ? { ...process.env, CORDON_CLI_ARGV: JSON.stringify(args) } : process.env;
  const started = Date.now();
  return new Promise((resolve) => {
    execFile('script', ['-qec', argv.map(shellWord).join(' '), '/dev/null'], { cwd, encoding: 'utf8', env }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr, ms: Date.now() - started });
    });
  });
}

function cordon(args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<CliResult> {
  const argv = FROM_SRC ? [VITE_NODE, FROM_SRC_ENTRY] : [CLI, ...args];
  const fullEnv = FROM_SRC ? { ...env, CORDON_CLI_ARGV: JSON.stringify(args) } : env;
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, argv, { cwd, encoding: 'utf8', env: fullEnv, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr, ms: Date.now() - started });
    });
  });
}

beforeAll(() => {
  if (!FROM_SRC && !existsSync(CLI)) throw new Error('dist/ is missing: run `npm run build` (npm test does it first), or set CORDON_CLI_FROM_SRC=1 to run src/ through vite-node');
});

describe('cordon CLI conventions (no sandbox needed)', () => {
  it('--version and -V print the package.json version, exit 0', { timeout: SLOW }, async () => {
    const [long, short] = await Promise.all([cordon(['--version'], process.cwd()), cordon(['-V'], process.cwd())]);
    for (const r of [long, short]) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(`cordon ${PACKAGE_VERSION}\n`);
      expect(r.stderr).toBe('');
    }
  });

  it.each(['run', 'print', 'explain', 'doctor', 'mcp', 'hook'])('%s: --help, -h and `cordon help` print its usage on stdout, exit 0', { timeout: SLOW }, async (command) => {
    const args = command === 'hook' ? [['hook', '--help'], ['hook', 'claude-code', '-h'], ['help', 'hook']] : [[command, '--help'], [command, '-h'], ['help', command]];
    const results = await Promise.all(args.map((a) => cordon(a, process.cwd())));
    for (const r of results) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout.startsWith(`usage: cordon ${command}`), r.stdout).toBe(true);
    }
    expect(results[1]!.stdout).toBe(results[0]!.stdout);
    expect(results[2]!.stdout).toBe(results[0]!.stdout);
  });

  it('--help names every subcommand and `cordon --version`', { timeout: SLOW }, async () => {
    const r = await cordon(['--help'], process.cwd());
    expect(r.code).toBe(0);
    for (const command of ['run', 'print', 'explain', 'doctor', 'mcp', 'hook claude-code', 'help', '--version']) expect(r.stdout).toContain(`cordon ${command}`);
  });

  it('unknown flags and commands are usage errors naming them, exit 125', { timeout: SLOW }, async () => {
    const cases: Array<[string[], RegExp]> = [
      [['run', '--bogus', '--', 'true'], /unknown option --bogus\nsee: cordon run --help/],
      [['run', '-x', '--', 'true'], /unknown option -x/],
      [['print', '--nope', '--', 'true'], /unknown option --nope\nsee: cordon print --help/],
      [['explain', '-q', '.'], /unknown option -q/],
      [['doctor', '--fast'], /unknown option --fast/],
      [['--bogus'], /unknown option --bogus/],
      [['frobnicate'], /unknown command "frobnicate"/],
      [['help', 'frobnicate'], /unknown command "frobnicate"/],
    ];
    const results = await Promise.all(cases.map(([args]) => cordon(args, process.cwd())));
    results.forEach((r, i) => {
      expect(r.code, cases[i]![0].join(' ')).toBe(125);
      expect(r.stderr).toMatch(cases[i]![1]);
      expect(r.stdout).toBe('');
    });
  });
});

describeSandbox('cordon run conventions (real sandbox)', () => {
  it('`run -h` is help and runs nothing; `run -- -h` runs a command named -h', { timeout: SLOW }, async () => {
    // A command really named -h, first on PATH: it leaves a mark in the workspace when run.
    const t = tree({ 'ws/': '', 'bin/': '' });
    writeFileSync(t.path('bin/-h'), '#!/bin/sh\necho ran > ran-h.txt\n');
    chmodSync(t.path('bin/-h'), 0o755);
    const env = { ...process.env, PATH: `${t.path('bin')}:${process.env.PATH}` };
    const help = await cordon(['run', '-h'], t.path('ws'), env);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^usage: cordon run/);
    expect(existsSync(t.path('ws/ran-h.txt'))).toBe(false);
    const ran = await cordon(['run', '--', '-h'], t.path('ws'), env);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toBe('');
    expect(readFileSync(t.path('ws/ran-h.txt'), 'utf8')).toBe('ran\n');
  });

  it('a timeout says so on stderr and exits 124; the command did not go on', { timeout: SLOW }, async () => {
    const t = tree({ 'ws/': '' });
    const r = await cordon(['run', '--timeout', '300', '--', 'sh', '-c', 'sleep 2; echo late > late.txt'], t.path('ws'));
    expect(r.code, r.stderr).toBe(124);
    expect(r.stderr).toMatch(/^cordon: timed out after 300 ms/m);
    // Control: under the timeout, the command's own status and no message.
    const inTime = await cordon(['run', '--timeout', '20000', '--', 'sh', '-c', 'exit 3'], t.path('ws'));
    expect(inTime.code).toBe(3);
    expect(inTime.stderr).not.toMatch(/timed out/);
    // Judged on the host once its 2 s would have passed: the killed command never wrote.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(existsSync(t.path('ws/late.txt'))).toBe(false);
  });

  it('after a denied write outside the workspace, the denial block names it on stderr; --quiet drops it', { timeout: SLOW }, async () => {
    const t = tree({ 'ws/': '', 'outside.txt': 'host' });
    const outside = t.path('outside.txt');
    const script = `echo x > ${outside}; echo done`;
    const r = await cordon(['run', '--', 'sh', '-c', script], t.path('ws'));
    expect(readFileSync(outside, 'utf8')).toBe('host');
    expect(r.stdout).toBe('done\n');
    // The command's own complaint comes through first, then cordon's account of it.
    const complaint = r.stderr.indexOf(outside);
    const block = r.stderr.indexOf(`cordon stopped: write ${outside}`);
    expect(complaint, r.stderr).toBeGreaterThanOrEqual(0);
    expect(block, r.stderr).toBeGreaterThan(complaint);
    const quiet = await cordon(['run', '--quiet', '--', 'sh', '-c', script], t.path('ws'));
    expect(readFileSync(outside, 'utf8')).toBe('host');
    expect(quiet.stderr).toContain(outside);
    expect(quiet.stderr).not.toMatch(/cordon stopped/);
  });

  it('--quiet never hides a quarantine notice', { timeout: SLOW }, async () => {
    const t = tree({ 'ws/': '' });
    const plant = 'mkdir -p sub && cd sub && git init -q && printf "[core]\\n\\tfsmonitor = /bin/false\\n" > .git/config';
    const r = await cordon(['run', '--quiet', '--', 'sh', '-c', plant], t.path('ws'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/cordon: quarantined .*sub\/\.git\/config/);
    expect(existsSync(t.path('ws/sub/.git/config'))).toBe(false);
  });

  it('stderr is copied through whole and in order, however large; the command is never cut short for it', { timeout: SLOW }, async () => {
    // 3 MiB of stderr, more than cordon keeps (2 MiB), under a policy whose output cap
    // (4 KiB) execa would enforce on a buffered stream by closing it (SIGPIPE).
    const t = tree({ 'ws/': '' });
    writeFileSync(t.path('policy.json'), JSON.stringify({ limits: { maxOutputBytes: 4096 } }));
    const r = await cordon(['run', '--policy', t.path('policy.json'), '--', 'sh', '-c', 'head -c 3145728 /dev/zero | tr "\\0" e >&2; echo after >&2; echo finished > end.txt'], t.path('ws'));
    expect(r.code, r.stderr.slice(-500)).toBe(0);
    expect(r.stderr.startsWith('e'.repeat(3145728) + 'after\n')).toBe(true);
    expect(readFileSync(t.path('ws/end.txt'), 'utf8')).toBe('finished\n');
  });

  it.skipIf(!hasTool('script'))('a terminal on stderr stays the command\'s own; --capture-stderr trades it for the report', { timeout: SLOW }, async () => {
    const t = tree({ 'ws/': '' });
    const probe = ['sh', '-c', 'if test -t 2; then echo fd2-is-a-terminal; else echo fd2-is-a-pipe; fi'];
    const own = await cordonOnTerminal(['run', '--', ...probe], t.path('ws'));
    expect(own.code, own.stdout).toBe(0);
    expect(own.stdout).toContain('fd2-is-a-terminal');
    const captured = await cordonOnTerminal(['run', '--capture-stderr', '--', ...probe], t.path('ws'));
    expect(captured.code, captured.stdout).toBe(0);
    expect(captured.stdout).toContain('fd2-is-a-pipe');
    // Control: without a terminal (this test's pipes), stderr is captured by default.
    const piped = await cordon(['run', '--', ...probe], t.path('ws'));
    expect(piped.stdout).toBe('fd2-is-a-pipe\n');
  });

  it.skipIf(!hasTool('script'))('a command that is nowhere to be found exits 127, whether stderr is captured or a terminal', { timeout: SLOW }, async () => {
    const t = tree({ 'ws/': '' });
    const args = ['run', '--', 'cordon-no-such-command-7f3a'];
    const [piped, onTerminal] = await Promise.all([cordon(args, t.path('ws')), cordonOnTerminal(args, t.path('ws'))]);
    expect(piped.code, piped.stderr).toBe(127);
    expect(piped.stderr).toMatch(/cordon: cordon-no-such-command-7f3a: command not found/);
    expect(onTerminal.code, onTerminal.stdout).toBe(127);
    expect(onTerminal.stdout).toMatch(/cordon: cordon-no-such-command-7f3a: command not found/);
    // Control: a command that exists and fails keeps its own status.
    const failing = await cordon(['run', '--', 'false'], t.path('ws'));
    expect(failing.code).toBe(1);
  });
});

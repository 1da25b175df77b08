import { existsSync } from 'node:fs';
import os from 'node:os';
import { afterEach, describe } from 'vitest';
import { sandboxedSpawn, type SandboxedSpawnOptions } from '../../src/spawn.js';
import { findBwrap } from '../../src/backends/linux/probe.js';
import { makeTree, type Tree } from '../helpers/tree.js';

/**
 * Integration tests run real bwrap with the real seccomp filter. Without bwrap they are
 * skipped visibly on a developer machine, but under CI=true a missing bwrap fails the
 * suite: a sandbox that was never exercised must not count as a green run.
 */
export const bwrapPath = findBwrap(process.env, []);
if (!bwrapPath && process.env.CI === 'true') {
  throw new Error('CI=true but bubblewrap is not installed: the integration suite cannot run (apt-get install -y bubblewrap)');
}
export const describeSandbox: ReturnType<typeof describe.skipIf> = describe.skipIf(!bwrapPath || process.platform !== 'linux');

/**
 * Scratch trees live under $HOME by default, not /tmp: inside the sandbox /tmp is a private
 * tmpfs, so a file "outside the workspace" under /tmp would prove nothing about the host.
 * (Cases that want a workspace under /tmp ask for it.)
 */
export function scratch(spec: Record<string, string> = {}, base = process.env.CORDON_TEST_BASE ?? os.homedir()): Tree {
  return makeTree(spec, base);
}

/** A `tree(spec, base?)` maker for one test file; every tree it made is removed after each test. */
export function scratchTrees(): (spec?: Record<string, string>, base?: string) => Tree {
  const trees: Tree[] = [];
  afterEach(() => {
    for (const t of trees.splice(0)) t.cleanup();
  });
  return (spec = {}, base) => {
    const t = base === undefined ? scratch(spec) : makeTree(spec, base);
    trees.push(t);
    return t;
  };
}

export interface RunResult {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  signal: string | undefined;
}

/** Runs argv in the sandbox, never rejecting for the command's own failure. */
export async function run(file: string, args: string[], options: SandboxedSpawnOptions): Promise<RunResult> {
  const r = await sandboxedSpawn(file, args, { reject: false, ...options });
  return { exitCode: r.exitCode, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), signal: r.signal };
}

/** `sh -c SCRIPT` in the sandbox; the script is a test fixture, never built from untrusted input. */
export function sh(script: string, options: SandboxedSpawnOptions): Promise<RunResult> {
  return run('sh', ['-c', script], options);
}

export const isRoot = process.geteuid?.() === 0;
export const hasTool = (name: string) => ['/usr/bin', '/bin', '/usr/local/bin'].some((d) => existsSync(`${d}/${name}`));

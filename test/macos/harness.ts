import { existsSync } from 'node:fs';
import os from 'node:os';
import { describe } from 'vitest';
import { tempTrees } from '../helpers/tree.js';

/**
 * Tests under test/macos run real commands under /usr/bin/sandbox-exec through the public
 * sandboxedSpawn(), on a Mac (CI's macos job). Anywhere else they are skipped, and the reason
 * is in every suite's title. Under CI=true on macOS a missing sandbox-exec fails the run: a
 * backend that was never exercised must not count as green.
 */
const SANDBOX_EXEC = '/usr/bin/sandbox-exec'; // cordon's only launcher on macOS, never a PATH lookup
const onMac = process.platform === 'darwin';
const hasSandboxExec = onMac && existsSync(SANDBOX_EXEC);
if (onMac && !hasSandboxExec && process.env.CI === 'true') {
  throw new Error(`CI=true on macOS but ${SANDBOX_EXEC} is missing: the macOS suite cannot run`);
}

/** Appended to every suite title, so a skip says why. */
export const MACOS_ONLY = `macOS only: needs ${SANDBOX_EXEC}`;

/** describe() that runs only where sandbox-exec exists; skipped visibly elsewhere. */
export const describeMacos: ReturnType<typeof describe.skipIf> = describe.skipIf(!hasSandboxExec);

/**
 * Scratch trees under $HOME (where projects live, as in the Linux suite), removed after each
 * test. Not under the host's $TMPDIR: the profile treats temp locations specially (only the
 * run's own directory there is writable), which is not what these tests are about.
 */
export const macScratch = (): ReturnType<typeof tempTrees> => tempTrees(process.env.CORDON_TEST_BASE ?? os.homedir());

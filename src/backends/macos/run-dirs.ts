import { randomBytes } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { SandboxSetupError } from '../../errors.js';

/**
 * A fresh run directory name in the user's temp dir. Random, so no command can prepare it:
 * a name that exists (planted, or a collision) makes `makeRunDirs` refuse, never reuse it.
 * Short on purpose: a unix socket path is limited to 103 bytes on macOS, the real temp dir
 * (/private/var/folders/xx/<28>/T) takes ~55, and tools put sockets two levels below TMPDIR
 * (Python's multiprocessing Manager: pymp-XXXXXXXX/listener-XXXXXXXX, 32 more). `cr-` and 40
 * random bits leave that room; a collision is a typed refusal, not a shared directory.
 */
export function newRunDir(tempRoot: string): string {
  return path.join(tempRoot, `${RUN_DIR_PREFIX}${randomBytes(5).toString('hex')}`);
}

/** `cr-` for cordon run: what a user finds in $TMPDIR if a harness was killed mid-command. */
export const RUN_DIR_PREFIX = 'cr-';

/** Creates each run dir, owner-only; refuses (typed) if any name exists. Undone by removeRunDirs. */
export function makeRunDirs(dirs: readonly string[]): void {
  const made: string[] = [];
  try {
    for (const dir of dirs) {
      mkdirSync(dir, { mode: 0o700 });
      made.push(dir);
    }
  } catch (error) {
    removeRunDirs(made);
    throw new SandboxSetupError(`the run directory could not be created: ${(error as Error).message}`, '', {
      hint: 'check that the temp dir ($TMPDIR) exists and is writable by you',
      cause: error,
    });
  }
}

/**
 * Removes each run dir with what the command left in it. rm never follows a symlink the
 * command planted there (it unlinks the link). A directory the command made unwritable or
 * unlistable is given back owner access first, so it goes too; what still cannot be removed
 * stays in the temp dir (no tool of the user runs it from there), never an error.
 */
export function removeRunDirs(dirs: readonly string[]): void {
  for (const dir of dirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      restoreOwnerAccess(dir);
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // left in the temp dir, inert (see above)
      }
    }
  }
}

function restoreOwnerAccess(dir: string): void {
  const st = lstatSync(dir, { throwIfNoEntry: false });
  if (!st?.isDirectory()) return;
  try {
    chmodSync(dir, 0o700);
    for (const name of readdirSync(dir)) restoreOwnerAccess(path.join(dir, name));
  } catch {
    // not ours to fix (another owner): rm reports it, and it stays
  }
}

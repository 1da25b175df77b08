import type * as Fs from 'node:fs';
import type * as Path from 'node:path';

/** One placeholder cordon made, as recorded in a root's `owned` file. (Types are erased: fine to share.) */
export interface OwnedPlaceholder {
  path: string;
  /** dev:ino:birth:type of what cordon created, so a user's later entry is never taken for ours. */
  id: string;
}

/**
 * The placeholder registry's file operations: the lock, the identity and liveness checks, and
 * the one decision that deletes anything (`release`).
 *
 * This function runs in two places. The harness calls it like any function; the reaper (see
 * placeholder-reaper.ts), a fresh `node` started only after the harness died, receives its
 * SOURCE TEXT and runs that. So the removal rules exist once, and a process that was SIGKILLed
 * is cleaned up by exactly the code that cleans up after a normal exit. The price: the body
 * must be self-contained — it may use globals (JSON, Date, Atomics, process) and what comes in
 * as parameters, never a module-level import or helper. test/unit/placeholder-registry.test.ts
 * runs the source text in a plain node, as transformed for tests and as bundled with esbuild.
 */
export function placeholderRegistry(fs: typeof Fs, path: typeof Path, lockTimeoutError: (lock: string) => Error) {
  const LOCK_TIMEOUT_MS = 5_000;
  /** A lock older than this is a crashed holder's: the critical sections take microseconds. */
  const STALE_LOCK_MS = 10_000;

  function sleep(ms: number): void {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  }

  function withLock<T>(dir: string, fn: () => T): T {
    const lock = path.join(dir, 'lock');
    const deadline = Date.now() + LOCK_TIMEOUT_MS;
    for (;;) {
      try {
        fs.mkdirSync(lock);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const age = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
        if (age > STALE_LOCK_MS) {
          fs.rmSync(lock, { recursive: true, force: true });
          continue;
        }
        if (Date.now() > deadline) throw lockTimeoutError(lock);
        sleep(1);
      }
    }
    try {
      return fn();
    } finally {
      fs.rmdirSync(lock);
    }
  }

  /**
   * Inode numbers are reused at once on ext4 (rmdir then mkdir can give the same one), so the
   * birth time is part of the identity too: a directory the user makes where ours was is not ours.
   */
  function identity(target: string): string | undefined {
    let st: Fs.BigIntStats | undefined;
    try {
      st = fs.lstatSync(target, { bigint: true, throwIfNoEntry: false });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined; // a parent is a file: nothing here
      throw error;
    }
    return st && `${st.dev}:${st.ino}:${st.birthtimeNs}:${st.isDirectory() ? 'dir' : 'file'}`;
  }

  /** A zombie is dead for us: its sandboxes got SIGKILL from --die-with-parent as it exited. */
  function isAlive(pid: number): boolean {
    if (!Number.isSafeInteger(pid) || pid <= 0) return false;
    try {
      process.kill(pid, 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
    }
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      return state !== 'Z' && state !== 'X';
    } catch {
      return true; // no /proc to tell (or it vanished this instant): keep it, fail safe
    }
  }

  function readOwned(dir: string): OwnedPlaceholder[] {
    try {
      return JSON.parse(fs.readFileSync(path.join(dir, 'owned'), 'utf8')) as OwnedPlaceholder[];
    } catch {
      return [];
    }
  }

  /** Only the empty thing cordon made is removed; anything the host put there since stays. */
  function removeIfOursAndEmpty(owned: OwnedPlaceholder): void {
    try {
      if (identity(owned.path) !== owned.id) return;
      if (owned.id.endsWith(':dir')) fs.rmdirSync(owned.path);
      else if (fs.lstatSync(owned.path).size === 0) fs.unlinkSync(owned.path);
    } catch {
      // not empty any more, or already gone: either way it is not ours to delete
    }
  }

  /** Registration names are `<pid>-<random>`: one per lease. */
  function pidOf(registration: string): number {
    return Number.parseInt(registration, 10);
  }

  /**
   * Drops the registrations `leaving` picks, and every one whose process is dead; if no live
   * user remains, removes what cordon made in this root (still-empty, same identity only).
   * Call with the registry lock NOT held.
   */
  function release(dir: string, leaving: (registration: string) => boolean): void {
    const users = path.join(dir, 'users');
    withLock(dir, () => {
      let names: string[];
      try {
        names = fs.readdirSync(users);
      } catch {
        names = [];
      }
      const others = names.filter((name) => {
        if (!leaving(name) && isAlive(pidOf(name))) return true;
        fs.rmSync(path.join(users, name), { force: true });
        return false;
      });
      if (others.length > 0) return;
      // Deepest first: a placeholder may have been made inside another (e.g. .git/hooks in .git).
      for (const owned of readOwned(dir).sort((a, b) => b.path.length - a.path.length)) removeIfOursAndEmpty(owned);
      fs.rmSync(path.join(dir, 'owned'), { force: true });
    });
  }

  /** `base` decides what gets deleted, so it must be ours alone (not a squatter's in a shared /tmp). */
  function isPrivateDir(base: string): boolean {
    const st = fs.lstatSync(base, { throwIfNoEntry: false });
    const uid = process.getuid?.();
    return st !== undefined && st.isDirectory() && (uid === undefined || st.uid === uid) && (st.mode & 0o077) === 0;
  }

  /**
   * What the reaper does once the harness `pid` has died: in every root that process had
   * registered in, drop its registrations (and any other dead one), and clean up the roots
   * nobody uses any more.
   */
  function reapDeadProcess(base: string, pid: number): void {
    if (!isPrivateDir(base)) return;
    const roots = path.join(base, 'placeholders');
    let dirs: string[];
    try {
      dirs = fs.readdirSync(roots);
    } catch {
      return;
    }
    for (const name of dirs) {
      const dir = path.join(roots, name);
      // Only roots the dead process used: other roots are their own users' business.
      let registrations: string[];
      try {
        registrations = fs.readdirSync(path.join(dir, 'users'));
      } catch {
        continue;
      }
      if (!registrations.some((registration) => pidOf(registration) === pid)) continue;
      // The harness may have died holding this root's lock; a second wait outlasts STALE_LOCK_MS.
      for (let attempt = 0; attempt < 2; attempt += 1) {
        try {
          release(dir, (registration) => pidOf(registration) === pid);
          break;
        } catch {
          // the lock timed out: try once more, then leave this root to its next user
        }
      }
    }
  }

  return { withLock, identity, isAlive, readOwned, release, isPrivateDir, reapDeadProcess };
}

export type PlaceholderRegistry = ReturnType<typeof placeholderRegistry>;

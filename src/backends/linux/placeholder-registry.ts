import type * as Crypto from 'node:crypto';
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
 * Layout, all of it ours alone (a real directory or file owned by this uid, never a symlink,
 * writable by nobody else; `base` mode 0700), checked with lstat at every level before use:
 *   base/placeholders/<sha256(root)[:32]>/root     the writable root, so entries can be checked
 *                                        /owned    JSON OwnedPlaceholder[], inside that root only
 *                                        /users/<pid>-<8 hex>   one per lease
 *                                        /lock/    the mkdir lock
 * The sandbox never sees `base` (the private /tmp hides it, and plan.ts masks it wherever a
 * writable root would expose it); these checks are the second line, for a registry rewritten
 * anyway: whatever does not look exactly like what we write is refused with `fail`, and
 * nothing is deleted.
 *
 * This function runs in two places. The harness calls it like any function; the reaper (see
 * placeholder-reaper.ts), a fresh `node` started only after the harness died, receives its
 * SOURCE TEXT and runs that. So the removal rules exist once, and a process that was SIGKILLed
 * is cleaned up by exactly the code that cleans up after a normal exit. The price: the body
 * must be self-contained — it may use globals (JSON, Date, Atomics, process) and what comes in
 * as parameters, never a module-level import or helper. test/unit/placeholder-reaper-script.test.ts
 * runs the source text in a plain node, as transformed for tests and as bundled with esbuild.
 */
export function placeholderRegistry(fs: typeof Fs, path: typeof Path, crypto: typeof Crypto, fail: (message: string, hint: string) => Error) {
  const LOCK_TIMEOUT_MS = 5_000;
  /** A lock older than this is a crashed holder's: the critical sections take microseconds. */
  const STALE_LOCK_MS = 10_000;
  /** Exactly what acquire writes; anything else in `users` means someone else wrote there. */
  const REGISTRATION = /^[1-9]\d{0,9}-[0-9a-f]{8}$/;
  const ROOT_DIR = /^[0-9a-f]{32}$/;
  const IDENTITY = /^\d+:\d+:\d+:(dir|file)$/;
  const uid = process.getuid?.();

  function sleep(ms: number): void {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  }

  function untrusted(p: string, why: string): Error {
    return fail(`the placeholder registry entry ${p} ${why}; cordon deletes nothing on its word`, `if no cordon process is running, remove ${p}`);
  }

  /**
   * lstat, so a symlink is seen as one: the entry must be a real `kind` of ours that nobody
   * else can write (`forbidden` mode bits). Returns false when it does not exist.
   */
  function checkOurs(p: string, kind: 'dir' | 'file', forbidden = 0o022): boolean {
    const st = fs.lstatSync(p, { throwIfNoEntry: false });
    if (st === undefined) return false;
    if (kind === 'dir' ? !st.isDirectory() : !st.isFile() || st.nlink !== 1) throw untrusted(p, `is not a plain ${kind === 'dir' ? 'directory' : 'file'} (a symlink or another kind)`);
    if (uid !== undefined && st.uid !== uid) throw untrusted(p, `belongs to uid ${st.uid}, not to us (${uid})`);
    if ((st.mode & forbidden) !== 0) throw untrusted(p, `has mode ${(st.mode & 0o777).toString(8)}: others could write it`);
    return true;
  }

  /** `base` decides what gets deleted, so it must be ours alone (not a squatter's in a shared /tmp). */
  function isPrivateDir(base: string): boolean {
    try {
      return checkOurs(base, 'dir', 0o077);
    } catch {
      return false;
    }
  }

  function dirFor(base: string, root: string): string {
    return path.join(base, 'placeholders', crypto.createHash('sha256').update(root).digest('hex').slice(0, 32));
  }

  /** Every level from `base` down to `users`, before anything in `dir` is read or written. */
  function checkLevels(dir: string): void {
    const base = path.dirname(path.dirname(dir));
    if (!checkOurs(base, 'dir', 0o077)) throw untrusted(base, 'does not exist');
    if (!ROOT_DIR.test(path.basename(dir))) throw untrusted(dir, 'has a name cordon never writes');
    for (const level of [path.dirname(dir), dir]) if (!checkOurs(level, 'dir')) throw untrusted(level, 'does not exist');
    checkOurs(path.join(dir, 'users'), 'dir');
  }

  /**
   * The harness's way in: makes the levels (0700) where missing, checks them, and records
   * which root `dir` is for. Call with the lock NOT held.
   */
  function openRoot(base: string, root: string): string {
    const dir = dirFor(base, root);
    if (!checkOurs(base, 'dir', 0o077)) throw untrusted(base, 'does not exist');
    // One level at a time, each checked before the next is made in it: mkdir never follows a
    // symlink at its own name (EEXIST), so nothing is ever created where a link points.
    for (const level of [path.dirname(dir), dir, path.join(dir, 'users')]) {
      try {
        fs.mkdirSync(level, { mode: 0o700 });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      if (!checkOurs(level, 'dir')) throw untrusted(level, 'vanished while it was being made');
    }
    const rootFile = path.join(dir, 'root');
    if (!checkOurs(rootFile, 'file')) {
      try {
        fs.writeFileSync(rootFile, root, { flag: 'wx', mode: 0o600 });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error; // another process just wrote it
      }
    }
    rootOf(dir);
    return dir;
  }

  /** The root `dir` is for, as recorded, and only if it is the root whose hash names `dir`. */
  function rootOf(dir: string): string {
    const rootFile = path.join(dir, 'root');
    if (!checkOurs(rootFile, 'file')) throw untrusted(rootFile, 'is missing, so the placeholders recorded here cannot be checked');
    const root = fs.readFileSync(rootFile, 'utf8');
    if (!path.isAbsolute(root) || path.resolve(root) !== root || dirFor(path.dirname(path.dirname(dir)), root) !== dir) {
      throw untrusted(rootFile, 'does not name the root this directory is for');
    }
    return root;
  }

  function withLock<T>(dir: string, fn: () => T): T {
    const lock = path.join(dir, 'lock');
    const deadline = Date.now() + LOCK_TIMEOUT_MS;
    for (;;) {
      try {
        fs.mkdirSync(lock, { mode: 0o700 });
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        if (!checkOurs(lock, 'dir')) continue; // released this instant
        const age = Date.now() - (fs.lstatSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
        if (age > STALE_LOCK_MS) {
          try {
            fs.rmdirSync(lock); // a lock is always empty: anything inside it is not ours to delete
          } catch (removal) {
            if ((removal as NodeJS.ErrnoException).code !== 'ENOENT') throw untrusted(lock, 'is a stale lock that is not empty');
          }
          continue;
        }
        if (Date.now() > deadline) throw fail(`timed out waiting for the placeholder lock ${lock}`, `if no cordon process is running, remove ${lock}`);
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

  /** What cordon made in `dir`'s root; refuses anything we would not have written. Lock held. */
  function readOwned(dir: string): OwnedPlaceholder[] {
    const file = path.join(dir, 'owned');
    if (!checkOurs(file, 'file')) return [];
    const root = rootOf(dir);
    let owned: unknown;
    try {
      owned = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch {
      throw untrusted(file, 'is not the JSON cordon writes');
    }
    const inRoot = (p: unknown) => typeof p === 'string' && path.isAbsolute(p) && path.resolve(p) === p && (p === root || p.startsWith(root === '/' ? '/' : `${root}/`));
    if (!Array.isArray(owned) || !owned.every((o) => typeof o === 'object' && o !== null && inRoot(o.path) && typeof o.id === 'string' && IDENTITY.test(o.id))) {
      throw untrusted(file, `names something that is not a placeholder inside ${root}`);
    }
    return owned as OwnedPlaceholder[];
  }

  /** Replaces `owned` by rename, so a planted symlink there is replaced, never written through. Lock held. */
  function writeOwned(dir: string, owned: OwnedPlaceholder[]): void {
    const temp = path.join(dir, 'owned.new');
    fs.rmSync(temp, { force: true });
    fs.writeFileSync(temp, JSON.stringify(owned), { flag: 'wx', mode: 0o600 });
    fs.renameSync(temp, path.join(dir, 'owned'));
  }

  /** Only the empty thing cordon made is removed; anything the host put there since stays. */
  function removeIfOursAndEmpty(owned: OwnedPlaceholder, root: string): void {
    try {
      // Reached through real directories only: a symlinked parent would lead outside the root.
      for (let p = path.dirname(owned.path); p.length >= root.length; p = path.dirname(p)) {
        if (!fs.lstatSync(p).isDirectory()) return;
        if (p === root || p === '/') break;
      }
      if (identity(owned.path) !== owned.id) return;
      if (owned.id.endsWith(':dir')) fs.rmdirSync(owned.path);
      else if (fs.lstatSync(owned.path).size === 0) fs.unlinkSync(owned.path);
    } catch {
      // not empty any more, or already gone: either way it is not ours to delete
    }
  }

  function pidOf(registration: string): number {
    return Number.parseInt(registration, 10);
  }

  /** The registrations in `dir`, all of them in the exact form acquire writes, or a refusal. */
  function registrations(dir: string): string[] {
    const users = path.join(dir, 'users');
    const names = checkOurs(users, 'dir') ? fs.readdirSync(users) : [];
    const bad = names.find((name) => !REGISTRATION.test(name));
    if (bad !== undefined) throw untrusted(path.join(users, bad), 'is not a registration cordon writes');
    return names;
  }

  /**
   * Drops the registrations `leaving` picks, and every one whose process is dead; if no live
   * user remains, removes what cordon made in this root (still-empty, same identity only).
   * Everything is checked before the first removal. Call with the registry lock NOT held.
   */
  function release(dir: string, leaving: (registration: string) => boolean): void {
    checkLevels(dir);
    withLock(dir, () => {
      const names = registrations(dir);
      const owned = readOwned(dir);
      const root = owned.length > 0 ? rootOf(dir) : '/';
      const others = names.filter((name) => {
        if (!leaving(name) && isAlive(pidOf(name))) return true;
        fs.rmSync(path.join(dir, 'users', name), { force: true });
        return false;
      });
      if (others.length > 0) return;
      // Deepest first: a placeholder may have been made inside another (e.g. .git/hooks in .git).
      for (const entry of owned.sort((a, b) => b.path.length - a.path.length)) removeIfOursAndEmpty(entry, root);
      fs.rmSync(path.join(dir, 'owned'), { force: true });
    });
  }

  /**
   * What the reaper does once the harness `pid` has died: in every root that process had
   * registered in, drop its registrations (and any other dead one), and clean up the roots
   * nobody uses any more. A root whose registry looks wrong is left alone.
   */
  function reapDeadProcess(base: string, pid: number): void {
    if (!isPrivateDir(base)) return;
    const roots = path.join(base, 'placeholders');
    let dirs: string[];
    try {
      if (!checkOurs(roots, 'dir')) return;
      dirs = fs.readdirSync(roots);
    } catch {
      return;
    }
    for (const name of dirs) {
      if (!ROOT_DIR.test(name)) continue;
      const dir = path.join(roots, name);
      // Only roots the dead process used: other roots are their own users' business.
      try {
        checkLevels(dir);
        if (!registrations(dir).some((registration) => pidOf(registration) === pid)) continue;
      } catch {
        continue;
      }
      // The harness may have died holding this root's lock; a second wait outlasts STALE_LOCK_MS.
      for (let attempt = 0; attempt < 2; attempt += 1) {
        try {
          release(dir, (registration) => pidOf(registration) === pid);
          break;
        } catch {
          // the lock timed out (or the registry was refused): try once more, then leave this root
        }
      }
    }
  }

  return { dirFor, openRoot, checkLevels, withLock, identity, isAlive, readOwned, writeOwned, release, isPrivateDir, reapDeadProcess };
}

export type PlaceholderRegistry = ReturnType<typeof placeholderRegistry>;

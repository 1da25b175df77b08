import { createHash, randomBytes } from 'node:crypto';
import { closeSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SandboxSetupError } from '../../errors.js';
import type { Placeholder } from '../types.js';

/**
 * Placeholders for missing protected paths.
 *
 * bwrap can only mount onto something that exists, and a missing path under a writable
 * host bind (`.vscode`, `.mcp.json`, a missing `.git`) must still be uncreatable. So cordon
 * creates an empty file or directory there, bwrap mounts it read-only, and cordon removes it
 * when the command ends.
 *
 * Removal is the dangerous part: unlinking a path on the host lazily detaches mounts on it
 * in *other* mount namespaces, so removing a placeholder while another sandbox still uses it
 * would silently lift that sandbox's protection. Each writable root therefore has a registry
 * (under the host's tmp, which no sandbox can write) of the live processes using its
 * placeholders; the last one out removes them, under a lock, and only those that are still
 * the empty things cordon made. If cordon itself is SIGKILLed, the empty placeholders stay
 * until the next cordon command in that root ends, which reclaims and removes them.
 *
 * Cost: one lock, one registration and one lstat per placeholder on the way in; the same on
 * the way out. All work for one root happens under one lock.
 */
export interface PlaceholderLease {
  release(): void;
}

const LOCK_TIMEOUT_MS = 5_000;
/** A lock older than this is a crashed holder's: the critical sections take microseconds. */
const STALE_LOCK_MS = 10_000;

interface Owned {
  path: string;
  /** dev:ino:type of what cordon created, so a user's later file is never taken for ours. */
  id: string;
}

function registryBase(): string {
  return path.join(os.tmpdir(), `cordon-${process.getuid?.() ?? 'user'}`);
}

function registryDir(root: string): string {
  return path.join(registryBase(), 'placeholders', createHash('sha256').update(root).digest('hex').slice(0, 32));
}

/**
 * The registry decides what gets deleted, so it must be ours alone: in a shared /tmp another
 * user could pre-create `cordon-<uid>` (or a symlink by that name) and feed us entries.
 */
function ensurePrivateBase(): void {
  const base = registryBase();
  mkdirSync(base, { recursive: true, mode: 0o700 });
  const st = lstatSync(base);
  const uid = process.getuid?.();
  if (!st.isDirectory() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o077) !== 0) {
    throw new SandboxSetupError(`the placeholder registry ${base} is not a private directory of this user`, '', {
      hint: `remove ${base} (it should be a directory owned by you with mode 0700)`,
    });
  }
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function withLock<T>(dir: string, fn: () => T): T {
  const lock = path.join(dir, 'lock');
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > STALE_LOCK_MS) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new SandboxSetupError(`timed out waiting for the placeholder lock ${lock}`, '', { hint: `if no cordon process is running, remove ${lock}` });
      sleep(1);
    }
  }
  try {
    return fn();
  } finally {
    rmdirSync(lock);
  }
}

function identity(target: string): string | undefined {
  const st = lstatSync(target, { throwIfNoEntry: false });
  return st && `${st.dev}:${st.ino}:${st.isDirectory() ? 'dir' : 'file'}`;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwned(dir: string): Owned[] {
  try {
    return JSON.parse(readFileSync(path.join(dir, 'owned'), 'utf8')) as Owned[];
  } catch {
    return [];
  }
}

function create(p: Placeholder): void {
  try {
    if (p.kind === 'dir') mkdirSync(p.path, { mode: 0o755 });
    else closeSync(openSync(p.path, 'wx', 0o644));
  } catch (error) {
    throw new SandboxSetupError(`cannot create the placeholder that keeps ${p.path} uncreatable: ${(error as Error).message}`, '', {
      hint: 'check that its parent directory exists and is writable, or remove what is in the way (e.g. a dangling symlink)',
      cause: error,
    });
  }
}

/** Only the empty thing cordon made is removed; anything the host put there since stays. */
function removeIfOursAndEmpty(owned: Owned): void {
  try {
    if (identity(owned.path) !== owned.id) return;
    if (owned.id.endsWith(':dir')) rmdirSync(owned.path);
    else if (lstatSync(owned.path).size === 0) unlinkSync(owned.path);
  } catch {
    // not empty any more, or already gone: either way it is not ours to delete
  }
}

function acquireRoot(root: string, placeholders: Placeholder[]): () => void {
  const dir = registryDir(root);
  const users = path.join(dir, 'users');
  const me = `${process.pid}-${randomBytes(4).toString('hex')}`;
  ensurePrivateBase();
  mkdirSync(users, { recursive: true, mode: 0o700 });
  withLock(dir, () => {
    writeFileSync(path.join(users, me), '');
    const owned = readOwned(dir);
    const before = owned.length;
    for (const p of placeholders) {
      if (identity(p.path) !== undefined) continue; // exists: ours from another sandbox, or the user's
      create(p);
      owned.push({ path: p.path, id: identity(p.path)! });
    }
    if (owned.length !== before) writeFileSync(path.join(dir, 'owned'), JSON.stringify(owned));
  });
  return () =>
    withLock(dir, () => {
      rmSync(path.join(users, me), { force: true });
      const others = readdirSync(users).filter((name) => {
        if (isAlive(Number.parseInt(name, 10))) return true;
        rmSync(path.join(users, name), { force: true }); // a crashed cordon's registration
        return false;
      });
      if (others.length > 0) return;
      // Deepest first: a placeholder may have been made inside another (e.g. .git/hooks in .git).
      for (const owned of readOwned(dir).sort((a, b) => b.path.length - a.path.length)) removeIfOursAndEmpty(owned);
      rmSync(path.join(dir, 'owned'), { force: true });
    });
}

/**
 * Registers as a user of `root`'s placeholders if some other process made them, so they are
 * not removed under us. One stat when there are none (the usual case).
 */
export function joinExistingPlaceholders(root: string): PlaceholderLease | undefined {
  const dir = registryDir(root);
  if (statSync(path.join(dir, 'owned'), { throwIfNoEntry: false }) === undefined) return undefined;
  return { release: acquireRoot(root, []) };
}

/** Creates every placeholder (all or nothing) and returns one lease that removes them. */
export function acquirePlaceholders(placeholders: readonly Placeholder[]): PlaceholderLease {
  const byRoot = new Map<string, Placeholder[]>();
  for (const p of placeholders) byRoot.set(p.root, [...(byRoot.get(p.root) ?? []), p]);
  const releases: Array<() => void> = [];
  const releaseAll = () => {
    for (const release of releases.splice(0).reverse()) {
      try {
        release();
      } catch {
        // best effort: a leftover empty placeholder is reclaimed by the next run in that root
      }
    }
  };
  try {
    for (const [root, list] of byRoot) releases.push(acquireRoot(root, list));
  } catch (error) {
    releaseAll();
    throw error;
  }
  return { release: releaseAll };
}

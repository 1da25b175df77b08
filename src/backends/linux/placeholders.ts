import { createHash, randomBytes } from 'node:crypto';
import { closeSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SandboxSetupError } from '../../errors.js';
import type { Placeholder } from '../types.js';

/**
 * Placeholders for missing protected paths.
 *
 * bwrap can only mount onto something that exists, and a missing path under a writable
 * host bind (`.git/hooks`, `.vscode`) must still be uncreatable. So cordon creates an empty
 * file or directory there, mounts it read-only, and removes it when the command ends.
 *
 * Removal is the dangerous part: unlinking a path on the host lazily detaches mounts on it
 * in *other* mount namespaces (Linux >= 3.18), so removing a placeholder while another
 * sandbox still uses it would silently lift that sandbox's protection. Every placeholder
 * therefore has a registry entry (outside any sandbox's reach) listing the live processes
 * using it; it is removed only by its last user, under a lock, and only if it is still the
 * empty thing cordon made. If cordon itself is SIGKILLed, the empty placeholder stays until
 * the next cordon command in that workspace ends, which reclaims and removes it.
 */
export interface PlaceholderLease {
  release(): void;
}

const LOCK_TIMEOUT_MS = 5_000;

function registryRoot(): string {
  const uid = process.getuid?.() ?? 'user';
  return path.join(os.tmpdir(), `cordon-${uid}`, 'placeholders');
}

function entryDir(target: string): string {
  return path.join(registryRoot(), createHash('sha256').update(target).digest('hex').slice(0, 32));
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function withLock<T>(dir: string, fn: () => T): T {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const lock = path.join(dir, 'lock');
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(path.join(lock, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number.parseInt(safeRead(path.join(lock, 'pid')), 10);
      if (Number.isInteger(holder) && !isAlive(holder)) {
        rmSync(lock, { recursive: true, force: true }); // stale: its holder died
        continue;
      }
      if (Date.now() > deadline) throw new SandboxSetupError(`timed out waiting for the placeholder lock ${lock}`, '', { hint: `if no cordon process is running, remove ${lock}` });
      sleep(1);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function identity(target: string): string | undefined {
  try {
    const st = lstatSync(target);
    return `${st.dev}:${st.ino}:${st.isDirectory() ? 'dir' : 'file'}`;
  } catch {
    return undefined;
  }
}

function liveUsers(dir: string): string[] {
  const users = path.join(dir, 'users');
  let names: string[] = [];
  try {
    names = readdirSync(users);
  } catch {
    return [];
  }
  return names.filter((name) => {
    const pid = Number.parseInt(name, 10);
    if (isAlive(pid)) return true;
    rmSync(path.join(users, name), { force: true });
    return false;
  });
}

function create(target: Placeholder): void {
  try {
    if (target.kind === 'dir') mkdirSync(target.path, { mode: 0o755 });
    else closeSync(openSync(target.path, 'wx', 0o644));
  } catch (error) {
    throw new SandboxSetupError(`cannot create the placeholder that keeps ${target.path} uncreatable: ${(error as Error).message}`, '', {
      hint: 'check that the parent directory exists and is writable, or remove what is in the way (e.g. a dangling symlink)',
      cause: error,
    });
  }
}

function acquireOne(target: Placeholder): () => void {
  const dir = entryDir(target.path);
  const token = `${process.pid}-${randomBytes(4).toString('hex')}`;
  withLock(dir, () => {
    liveUsers(dir);
    const owner = path.join(dir, 'owner');
    if (identity(target.path) === undefined) {
      create(target);
      writeFileSync(owner, identity(target.path)!);
    }
    mkdirSync(path.join(dir, 'users'), { recursive: true });
    writeFileSync(path.join(dir, 'users', token), target.path);
  });
  return () =>
    withLock(dir, () => {
      rmSync(path.join(dir, 'users', token), { force: true });
      if (liveUsers(dir).length > 0) return;
      const owner = path.join(dir, 'owner');
      if (safeRead(owner) !== '' && safeRead(owner) === identity(target.path)) removeIfEmpty(target.path);
      rmSync(owner, { force: true });
    });
}

/** Only the empty thing cordon made is removed; anything the host put there since stays. */
function removeIfEmpty(target: string): void {
  try {
    const st = lstatSync(target);
    if (st.isDirectory()) rmdirSync(target);
    else if (st.size === 0) unlinkSync(target);
  } catch {
    // not empty any more, or already gone: either way it is not ours to delete
  }
}

/** Creates every placeholder (all or nothing) and returns one lease that removes them. */
export function acquirePlaceholders(placeholders: readonly Placeholder[]): PlaceholderLease {
  const releases: Array<() => void> = [];
  const releaseAll = () => {
    for (const release of releases.reverse()) {
      try {
        release();
      } catch {
        // best effort: a leftover empty placeholder is reclaimed by the next run
      }
    }
    releases.length = 0;
  };
  try {
    for (const p of placeholders) releases.push(acquireOne(p));
  } catch (error) {
    releaseAll();
    throw error;
  }
  return { release: releaseAll };
}

import { randomBytes, createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SandboxSetupError } from '../../errors.js';
import type { Placeholder } from '../types.js';
import { placeholderRegistry } from './placeholder-registry.js';

/**
 * Placeholders for missing protected paths.
 *
 * bwrap can only mount onto something that exists, and a missing path under a writable
 * host bind (`.vscode`, `.mcp.json`, a missing `.git`) must still be uncreatable. So cordon
 * creates an empty directory there (or, where a tool must read it as a file, an empty file;
 * see protect.ts), bwrap mounts it read-only, and cordon removes it when the command ends.
 *
 * Removal is the dangerous part: unlinking a path on the host lazily detaches mounts on it
 * in *other* mount namespaces, so removing a placeholder while another sandbox still uses it
 * would silently lift that sandbox's protection. Each writable root therefore has a registry
 * (under the host's tmp, which no sandbox can write) of the live processes using its
 * placeholders; the last one out removes them, under a lock, and only those that are still
 * the empty things cordon made. If the process holding them is SIGKILLed, its reaper (see
 * placeholder-reaper.ts) runs the same release for it.
 *
 * Cost: one lock, one registration and one lstat per placeholder on the way in; the same on
 * the way out. All work for one root happens under one lock.
 */
export interface PlaceholderLease {
  release(): void;
}

const registry = placeholderRegistry(fs, path, (lock) => new SandboxSetupError(`timed out waiting for the placeholder lock ${lock}`, '', { hint: `if no cordon process is running, remove ${lock}` }));

/** `$TMPDIR/cordon-$UID`: the host's tmp, which no sandbox can write (it gets a private /tmp). */
export function placeholderRegistryBase(): string {
  return path.join(os.tmpdir(), `cordon-${process.getuid?.() ?? 'user'}`);
}

function registryDir(root: string): string {
  return path.join(placeholderRegistryBase(), 'placeholders', createHash('sha256').update(root).digest('hex').slice(0, 32));
}

/**
 * The registry decides what gets deleted, so it must be ours alone: in a shared /tmp another
 * user could pre-create `cordon-<uid>` (or a symlink by that name) and feed us entries.
 */
function ensurePrivateBase(): void {
  const base = placeholderRegistryBase();
  fs.mkdirSync(base, { recursive: true, mode: 0o700 });
  if (!registry.isPrivateDir(base)) {
    throw new SandboxSetupError(`the placeholder registry ${base} is not a private directory of this user`, '', {
      hint: `remove ${base} (it should be a directory owned by you with mode 0700)`,
    });
  }
}

function create(p: Placeholder): void {
  try {
    if (p.kind === 'dir') fs.mkdirSync(p.path, { mode: 0o755 });
    else fs.closeSync(fs.openSync(p.path, 'wx', 0o644));
  } catch (error) {
    throw new SandboxSetupError(`cannot create the placeholder that keeps ${p.path} uncreatable: ${(error as Error).message}`, '', {
      hint: 'check that its parent directory exists and is writable, or remove what is in the way (e.g. a dangling symlink)',
      cause: error,
    });
  }
}

function acquireRoot(root: string, placeholders: Placeholder[]): () => void {
  const dir = registryDir(root);
  const users = path.join(dir, 'users');
  const me = `${process.pid}-${randomBytes(4).toString('hex')}`;
  ensurePrivateBase();
  fs.mkdirSync(users, { recursive: true, mode: 0o700 });
  const release = () => registry.release(dir, (registration) => registration === me);
  let registered = false;
  try {
    registry.withLock(dir, () => {
      fs.writeFileSync(path.join(users, me), '');
      registered = true;
      const owned = registry.readOwned(dir);
      const before = owned.length;
      try {
        for (const p of placeholders) {
          if (registry.identity(p.path) !== undefined) continue; // exists: ours from another sandbox, or the user's
          create(p);
          owned.push({ path: p.path, id: registry.identity(p.path)! });
        }
      } finally {
        // Even when a later one failed: what was made is recorded, so the release below removes it.
        if (owned.length !== before) fs.writeFileSync(path.join(dir, 'owned'), JSON.stringify(owned));
      }
    });
  } catch (error) {
    try {
      if (registered) release();
    } catch {
      // the lock timed out: our registration dies with this process and is dropped then
    }
    throw error;
  }
  return release;
}

/**
 * Registers as a user of `root`'s placeholders if some other process made them, so they are
 * not removed under us. One stat when there are none (the usual case).
 */
export function joinExistingPlaceholders(root: string): PlaceholderLease | undefined {
  const dir = registryDir(root);
  if (fs.statSync(path.join(dir, 'owned'), { throwIfNoEntry: false }) === undefined) return undefined;
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

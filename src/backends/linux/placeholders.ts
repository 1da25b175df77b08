import crypto, { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { hostStateBase } from '../../host-state.js';
import { SandboxSetupError } from '../../errors.js';
import { isInside } from '../../policy/paths.js';
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
 * (under the host's tmp, which no sandbox can see or write) of the live processes using its
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

const registry = placeholderRegistry(fs, path, crypto, (message, hint) => new SandboxSetupError(message, '', { hint }));

/**
 * `$TMPDIR/cordon-$UID`: the host's tmp, which a sandbox does not see (it gets a private
 * /tmp); where a writable root would expose it, plan.ts masks it (see LinuxHost.hostStateDirs).
 */
export function placeholderRegistryBase(): string {
  return hostStateBase();
}

function registryDir(root: string): string {
  return registry.dirFor(placeholderRegistryBase(), root);
}

/**
 * The registry decides what gets deleted, so it must be ours alone: in a shared /tmp another
 * user could pre-create `cordon-<uid>` (or a symlink by that name) and feed us entries.
 * Returns its real path, which is what a sandbox's mounts are planned against.
 */
export function ensurePrivateRegistryBase(writableRoots: readonly string[] = []): string {
  const base = placeholderRegistryBase();
  if (!registry.isPrivateDir(base)) {
    fs.mkdirSync(base, { recursive: true, mode: 0o700 });
    if (!registry.isPrivateDir(base)) {
      throw new SandboxSetupError(`the placeholder registry ${base} is not a private directory of this user`, '', {
        hint: `remove ${base} (it should be a directory owned by you with mode 0700)`,
      });
    }
  }
  const real = fs.realpathSync.native(base);
  if (real !== base) refuseSwappableLink(base, writableRoots); // rare: $TMPDIR through a symlink
  return real;
}

/**
 * The sandbox masks the registry at its real path, but the harness finds it through `$TMPDIR`.
 * A symlink on that way which lies in a writable root could be re-pointed by the command at a
 * registry it built itself (same uid, right modes: nothing to tell it apart). Refused.
 */
function refuseSwappableLink(base: string, writableRoots: readonly string[]): void {
  let at = '/';
  for (const name of base.split('/').filter(Boolean)) {
    const entry = path.join(at, name); // the real location of this component's directory entry
    if (fs.lstatSync(entry).isSymbolicLink() && writableRoots.some((root) => isInside(entry, root))) {
      throw new SandboxSetupError(`the placeholder registry ${base} is reached through the symlink ${entry}, which the command could replace`, '', {
        hint: 'set TMPDIR to a real path outside the workspace and write.allow paths',
      });
    }
    at = fs.realpathSync.native(entry);
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
  const me = `${process.pid}-${randomBytes(4).toString('hex')}`;
  ensurePrivateRegistryBase();
  const dir = registry.openRoot(placeholderRegistryBase(), root);
  const users = path.join(dir, 'users');
  const release = () => registry.release(dir, (registration) => registration === me);
  let registered = false;
  try {
    registry.withLock(dir, () => {
      fs.writeFileSync(path.join(users, me), '', { flag: 'wx', mode: 0o600 });
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
        if (owned.length !== before) registry.writeOwned(dir, owned);
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
  if (fs.lstatSync(path.join(dir, 'owned'), { throwIfNoEntry: false }) === undefined) return undefined;
  const release = acquireRoot(root, []);
  return {
    release: () => {
      try {
        release();
      } catch {
        // as in acquirePlaceholders: the next user of this root releases what is left
      }
    },
  };
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

import { randomBytes } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { PlantedItem } from './find-planted.js';

/** Where planted items go, at each writable root (git-ignored by a `.gitignore` inside). */
export const QUARANTINE_DIR = '.cordon-quarantine';

export interface QuarantinedItem {
  /** Where the item was. */
  path: string;
  /** Where it is now (renamed, never copied or deleted); absent when the move failed. */
  movedTo?: string;
  reason: string;
  /** Why it could not be moved. */
  error?: string;
  /**
   * What was done instead when it could not be moved: `disabled` (a file made unreadable,
   * chmod 000: git then stops with an error instead of obeying it) or `made-readable` (a
   * directory the command made unlistable, to hide what was below it from the check).
   * Absent with an error: the item is still in place and active.
   */
  action?: 'disabled' | 'made-readable';
}

/**
 * Renames each planted item aside, into `ROOT/.cordon-quarantine/<time>-<random>/`, under a
 * name that keeps its original path readable (`sub%2F.git%2Fconfig`). Nothing is deleted or
 * rewritten: the user can inspect and restore every item. The flat names matter: moving
 * `config`, `HEAD` and `objects` into one directory would build a repository again.
 *
 * Runs when no command is running in `root`, so nothing can race the renames. A
 * `.cordon-quarantine` that is not a plain directory (a command could plant a symlink by that
 * name to steer the moves) is not used: a fresh directory beside it is.
 */
export function quarantine(root: string, items: readonly PlantedItem[], now = new Date()): QuarantinedItem[] {
  if (items.length === 0) return [];
  const stamp = `${now.toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}`;
  let dir: string;
  try {
    dir = quarantineDir(root, stamp);
  } catch (error) {
    return items.map((item) => disable(item, `cannot create a quarantine directory in ${root}: ${(error as Error).message}`));
  }
  // Deepest first, so a symlink inside a hooks directory goes before the directory itself.
  const ordered = [...items].sort((a, b) => b.path.length - a.path.length);
  return ordered.map((item) => {
    const movedTo = path.join(dir, encodeURIComponent(path.relative(root, item.path)));
    try {
      renameWithOwnerWrite(item.path, movedTo);
      return { ...item, movedTo };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Already moved with an enclosing item (e.g. inside a quarantined hooks directory).
      if (code === 'ENOENT') return { ...item, movedTo: path.join(dir, '(with its parent)') };
      return disable(item, `rename failed: ${(error as Error).message}`);
    }
  });
}

/**
 * A command can make the directory holding an item read-only (`chmod 555 .git`) so the rename
 * fails: the user owns it, so owner write is given back to that directory, and the rename tried
 * again. Nothing else about the directory changes.
 */
function renameWithOwnerWrite(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM') throw error;
    const parent = path.dirname(from);
    const st = statSync(parent);
    if (st.uid !== process.getuid?.()) throw error;
    chmodSync(parent, (st.mode & 0o7777) | 0o700);
    renameSync(from, to);
  }
}

/** The last resort when an item cannot be moved: a file git cannot read stops git instead of obeying it. */
function disable(item: PlantedItem, error: string): QuarantinedItem {
  try {
    const st = lstatSync(item.path);
    if (st.isFile() || st.isDirectory()) {
      chmodSync(item.path, 0);
      return { ...item, error, action: 'disabled' };
    }
  } catch {
    // fall through: reported as still active
  }
  return { ...item, error };
}

const GITIGNORE = '# cordon: items a sandboxed command planted for host git, moved aside\n*\n';

/**
 * A fresh `<base>/<stamp>` directory. The base is `.cordon-quarantine` when it is a directory
 * cordon made (its `.gitignore` of `*` is ours, so a later `git add -A` by the user does not
 * commit planted hooks and configs into their history); anything else there (a symlink to steer
 * the moves, a directory the command made without that `.gitignore`, one it made read-only)
 * gets a fresh sibling instead.
 */
function quarantineDir(root: string, stamp: string): string {
  const base = path.join(root, QUARANTINE_DIR);
  try {
    if (!isOurs(base)) mkdirBase(base);
    const dir = path.join(base, stamp);
    mkdirSync(dir, { mode: 0o700 });
    return dir;
  } catch {
    const fresh = `${base}-${stamp}`;
    mkdirBase(fresh);
    const dir = path.join(fresh, stamp);
    mkdirSync(dir, { mode: 0o700 });
    return dir;
  }
}

function mkdirBase(dir: string): void {
  mkdirSync(dir, { mode: 0o700 });
  writeFileSync(path.join(dir, '.gitignore'), GITIGNORE, { flag: 'wx' });
}

function isOurs(base: string): boolean {
  const st = lstatSync(base, { throwIfNoEntry: false });
  if (!st?.isDirectory()) return false;
  try {
    const ignore = path.join(base, '.gitignore');
    return lstatSync(ignore).isFile() && readFileSync(ignore, 'utf8') === GITIGNORE;
  } catch {
    return false;
  }
}

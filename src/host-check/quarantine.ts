import { randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { PlantedItem } from './find-planted.js';
import { QUARANTINE_DIR } from './git-trust.js';

export interface QuarantinedItem {
  /** Where the item was. */
  path: string;
  /** Where it is now (renamed, never copied or deleted); absent when the move failed. */
  movedTo?: string;
  reason: string;
  /** Why it could not be moved; the item is then still in place and acts on host git. */
  error?: string;
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
    dir = path.join(quarantineBase(root, stamp), stamp);
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    return items.map((item) => ({ ...item, error: `cannot create a quarantine directory in ${root}: ${(error as Error).message}` }));
  }
  // Deepest first, so a symlink inside a hooks directory goes before the directory itself.
  const ordered = [...items].sort((a, b) => b.path.length - a.path.length);
  return ordered.map((item) => {
    const movedTo = path.join(dir, encodeURIComponent(path.relative(root, item.path)));
    try {
      renameSync(item.path, movedTo);
      return { ...item, movedTo };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Already moved with an enclosing item (e.g. inside a quarantined hooks directory).
      if (code === 'ENOENT') return { ...item, movedTo: path.join(dir, '(with its parent)') };
      return { ...item, error: `rename failed: ${(error as Error).message}` };
    }
  });
}

/**
 * The quarantine directory ignores itself for git (a `.gitignore` of `*` inside it), so a later
 * `git add -A` by the user does not commit planted hooks and configs into their history.
 */
function quarantineBase(root: string, stamp: string): string {
  const base = path.join(root, QUARANTINE_DIR);
  const st = lstatSync(base, { throwIfNoEntry: false });
  if (st?.isDirectory()) return base;
  const dir = st === undefined ? base : `${base}-${stamp}`;
  mkdirSync(dir, { mode: 0o700 });
  writeFileSync(path.join(dir, '.gitignore'), '# cordon: items a sandboxed command planted for host git, moved aside\n*\n', { flag: 'wx' });
  return dir;
}

import { loadBaseline, saveBaseline } from './baseline.js';
import { findPlanted } from './find-planted.js';
import { quarantine, type QuarantinedItem } from './quarantine.js';
import { RepoWalkCache } from './repo-walk.js';

/**
 * File timestamps come from the kernel's coarse clock, which may lag the wall clock read by
 * Date.now() by up to a scheduler tick (1-10 ms): an entry made right after a command started
 * can carry a ctime slightly before that start. The margin only widens what counts as "made
 * during the session".
 */
const CLOCK_SLACK_MS = 20;

interface RootSession {
  active: number;
  /** Wall-clock ms when the first of the overlapping commands in this root started. */
  since: number;
}

/**
 * Checks each writable root when the last of this runtime's commands in it ends, and
 * quarantines what those commands planted for host git (see find-planted.ts). At that moment
 * nothing of theirs is running (the sandbox dies with its command), so the check cannot be
 * raced by them. Commands of other processes in the same root are checked by their own
 * runtime when they end.
 */
export class HostGuard {
  readonly #roots = new Map<string, RootSession>();
  readonly #cache = new RepoWalkCache();

  /** Call before the command starts; call the returned function once it has ended. */
  begin(roots: readonly string[]): () => QuarantinedItem[] {
    const now = Date.now();
    for (const root of roots) {
      const session = this.#roots.get(root);
      if (session) session.active += 1;
      else this.#roots.set(root, { active: 1, since: now - CLOCK_SLACK_MS });
    }
    let ended = false;
    return () => {
      if (ended) return [];
      ended = true;
      const moved: QuarantinedItem[] = [];
      for (const root of roots) {
        const session = this.#roots.get(root)!;
        session.active -= 1;
        if (session.active > 0) continue;
        this.#roots.delete(root);
        try {
          this.#cache.repaired.length = 0;
          const { planted, seen } = findPlanted(root, session.since, this.#cache, loadBaseline(root));
          for (const dir of this.#cache.repaired.splice(0)) {
            moved.push({ path: dir, reason: 'the command made this directory unlistable, which would hide what is below it from this check; made listable again (owner rwx)', action: 'made-readable' });
          }
          moved.push(...quarantine(root, planted));
          saveBaseline(root, { time: Date.now(), items: Object.fromEntries(seen) });
        } catch (error) {
          // Never silent: an unchecked workspace is reported like an item that could not be moved.
          moved.push({ path: root, reason: 'the host check of this workspace failed', error: (error as Error).message });
        }
      }
      return moved;
    };
  }
}

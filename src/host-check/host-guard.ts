import { baselineStamp, loadBaseline, saveBaseline, type Baseline } from './baseline.js';
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
/** How long a new baseline may wait in memory before it is written (a burst writes once). */
const BASELINE_FLUSH_MS = 1_000;

interface KnownBaseline {
  baseline: Baseline | undefined;
  /** mtime of the file it was read from or written to; a newer file is another process's. */
  stamp: number | undefined;
  dirty: boolean;
}

export class HostGuard {
  readonly #roots = new Map<string, RootSession>();
  readonly #cache = new RepoWalkCache();
  readonly #baselines = new Map<string, KnownBaseline>();
  #flushTimer: NodeJS.Timeout | undefined;
  #exitHook: (() => void) | undefined;

  /** The baseline of `root`: from memory, unless another process has written a newer one. */
  #baseline(root: string): Baseline | undefined {
    const known = this.#baselines.get(root);
    const stamp = baselineStamp(root);
    if (known && (known.dirty || stamp === known.stamp)) return known.baseline;
    const baseline = loadBaseline(root);
    this.#baselines.set(root, { baseline, stamp, dirty: false });
    return baseline;
  }

  /** Keeps the new baseline in memory and writes it soon, and at exit (a one-shot CLI writes it then). */
  #remember(root: string, baseline: Baseline): void {
    this.#baselines.set(root, { baseline, stamp: undefined, dirty: true });
    if (!this.#exitHook) {
      this.#exitHook = () => this.flush();
      process.once('exit', this.#exitHook);
    }
    if (this.#flushTimer) return;
    this.#flushTimer = setTimeout(() => this.flush(), BASELINE_FLUSH_MS);
    this.#flushTimer.unref();
  }

  /** Writes every baseline still only in memory. */
  flush(): void {
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    for (const [root, known] of this.#baselines) {
      if (!known.dirty || known.baseline === undefined) continue;
      saveBaseline(root, known.baseline);
      known.dirty = false;
      known.stamp = baselineStamp(root);
    }
    // Nothing left to write: no reason to keep a listener on the process (one per runtime).
    if (this.#exitHook) process.off('exit', this.#exitHook);
    this.#exitHook = undefined;
  }

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
          const { planted, seen } = findPlanted(root, session.since, this.#cache, this.#baseline(root));
          for (const dir of this.#cache.repaired.splice(0)) {
            moved.push({ path: dir, reason: 'the command made this directory unlistable, which would hide what is below it from this check; made listable again (owner rwx)', action: 'made-readable' });
          }
          moved.push(...quarantine(root, planted));
          this.#remember(root, { time: Date.now(), items: Object.fromEntries(seen) });
        } catch (error) {
          // Never silent: an unchecked workspace is reported like an item that could not be moved.
          moved.push({ path: root, reason: 'the host check of this workspace failed', error: (error as Error).message });
        }
      }
      return moved;
    };
  }
}

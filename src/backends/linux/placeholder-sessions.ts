import { PlaceholderReaper } from './placeholder-reaper.js';
import { acquirePlaceholders, joinExistingPlaceholders, placeholderRegistryBase, type PlaceholderLease } from './placeholders.js';
import type { Placeholder } from '../types.js';

/**
 * How long placeholders outlive the last command in their root. Creating and removing them
 * costs a few directory operations each (about a millisecond apiece on some file systems),
 * and agents run commands in bursts: so a burst pays once, and the workspace is clean again
 * shortly after it. The CLI, a one-shot process, removes them as it exits.
 */
export const PLACEHOLDER_IDLE_MS = 2_000;

/**
 * How long the reaper outlives the last placeholder. Agents pause between commands (a model
 * thinking) for longer than PLACEHOLDER_IDLE_MS; a reaper per burst would then cost one
 * fork+exec per command, a reaper for the runtime's whole life one idle process per runtime
 * never closed. This keeps one per active runtime.
 */
export const REAPER_LINGER_MS = 60_000;

export interface PlaceholderSessionsOptions {
  /**
   * Keep a reaper so placeholders are removed even if this process is SIGKILLed (default
   * true). Off only to show, in a test, the litter it prevents.
   */
  reaper?: boolean;
  /** Default REAPER_LINGER_MS. */
  reaperLingerMs?: number;
}

interface RootState {
  active: number;
  leases: PlaceholderLease[];
  timer: NodeJS.Timeout | undefined;
}

/**
 * Keeps placeholder leases per writable root for one runtime: taken when a command needs
 * them, held while any command in that root runs (so an idle-timer removal can never pull a
 * mount point out from under a running sandbox), released after PLACEHOLDER_IDLE_MS idle or
 * at process exit. While placeholders exist, and REAPER_LINGER_MS after, a reaper stands by to
 * release them if this process dies without running its exit hook.
 */
export class PlaceholderSessions {
  readonly #roots = new Map<string, RootState>();
  readonly #useReaper: boolean;
  readonly #reaperLingerMs: number;
  #exitHook: (() => void) | undefined;
  #reaper: PlaceholderReaper | undefined;
  #reaperTimer: NodeJS.Timeout | undefined;

  constructor(options: PlaceholderSessionsOptions = {}) {
    this.#useReaper = options.reaper ?? true;
    this.#reaperLingerMs = options.reaperLingerMs ?? REAPER_LINGER_MS;
  }

  /** Call before spawning; call the returned function when the command has ended. */
  enter(roots: readonly string[], placeholders: readonly Placeholder[]): () => void {
    const states = roots.map((root) => this.#state(root));
    for (const state of states) {
      clearTimeout(state.timer);
      state.timer = undefined;
      state.active += 1;
    }
    try {
      // Before anything exists on the host, so no moment has placeholders and no reaper.
      if (placeholders.length > 0) this.#arm();
      for (const root of new Set(placeholders.map((p) => p.root))) {
        this.#hold(root, acquirePlaceholders(placeholders.filter((p) => p.root === root)));
      }
      roots.forEach((root, i) => {
        if (states[i]!.leases.length > 0) return; // we already keep this root's placeholders alive
        const joined = joinExistingPlaceholders(root);
        if (joined) {
          this.#arm();
          this.#hold(root, joined);
        }
      });
    } catch (error) {
      this.#leave(roots);
      this.#disarmLater();
      throw error;
    }
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.#leave(roots);
    };
  }

  /** Removes every placeholder this runtime holds now (unless another sandbox still uses it). */
  releaseAll(): void {
    for (const state of this.#roots.values()) {
      clearTimeout(state.timer);
      state.timer = undefined;
      for (const lease of state.leases.splice(0)) lease.release();
    }
    this.#disarm();
    if (this.#exitHook) process.off('exit', this.#exitHook);
    this.#exitHook = undefined;
  }

  /** The reaper's pid while one is armed (tests look for it on the host). */
  get reaperPid(): number | undefined {
    return this.#reaper?.pid;
  }

  /** Before any placeholder is made or joined: a reaper stands by (see REAPER_LINGER_MS). */
  #arm(): void {
    clearTimeout(this.#reaperTimer);
    this.#reaperTimer = undefined;
    if (!this.#useReaper || this.#reaper) return;
    this.#reaper = new PlaceholderReaper({ registryBase: placeholderRegistryBase() });
    this.#ensureExitHook();
  }

  #disarm(): void {
    clearTimeout(this.#reaperTimer);
    this.#reaperTimer = undefined;
    this.#reaper?.disarm();
    this.#reaper = undefined;
  }

  /**
   * Once no root holds placeholders, the reaper (and the exit hook, so an unclosed runtime
   * leaves no listener behind) goes after REAPER_LINGER_MS unless a command comes.
   */
  #disarmLater(): void {
    if (!this.#reaper || this.#reaperTimer) return;
    for (const state of this.#roots.values()) if (state.leases.length > 0) return;
    this.#reaperTimer = setTimeout(() => this.releaseAll(), this.#reaperLingerMs);
    this.#reaperTimer.unref();
  }

  #ensureExitHook(): void {
    if (this.#exitHook) return;
    this.#exitHook = () => this.releaseAll();
    process.once('exit', this.#exitHook);
  }

  #state(root: string): RootState {
    let state = this.#roots.get(root);
    if (!state) {
      state = { active: 0, leases: [], timer: undefined };
      this.#roots.set(root, state);
    }
    return state;
  }

  #hold(root: string, lease: PlaceholderLease): void {
    this.#state(root).leases.push(lease);
    this.#ensureExitHook();
  }

  #leave(roots: readonly string[]): void {
    for (const root of roots) {
      const state = this.#state(root);
      state.active -= 1;
      if (state.active > 0 || state.leases.length === 0) continue;
      state.timer = setTimeout(() => {
        state.timer = undefined;
        if (state.active === 0) for (const lease of state.leases.splice(0)) lease.release();
        this.#disarmLater();
      }, PLACEHOLDER_IDLE_MS);
      state.timer.unref();
    }
  }
}

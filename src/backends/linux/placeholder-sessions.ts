import { acquirePlaceholders, joinExistingPlaceholders, type PlaceholderLease } from './placeholders.js';
import type { Placeholder } from '../types.js';

/**
 * How long placeholders outlive the last command in their root. Creating and removing them
 * costs a few directory operations each (about a millisecond apiece on some file systems),
 * and agents run commands in bursts: so a burst pays once, and the workspace is clean again
 * shortly after it. The CLI, a one-shot process, removes them as it exits.
 */
export const PLACEHOLDER_IDLE_MS = 2_000;

interface RootState {
  active: number;
  leases: PlaceholderLease[];
  timer: NodeJS.Timeout | undefined;
}

/**
 * Keeps placeholder leases per writable root for one runtime: taken when a command needs
 * them, held while any command in that root runs (so an idle-timer removal can never pull a
 * mount point out from under a running sandbox), released after PLACEHOLDER_IDLE_MS idle or
 * at process exit.
 */
export class PlaceholderSessions {
  readonly #roots = new Map<string, RootState>();
  #exitHook: (() => void) | undefined;

  /** Call before spawning; call the returned function when the command has ended. */
  enter(roots: readonly string[], placeholders: readonly Placeholder[]): () => void {
    const states = roots.map((root) => this.#state(root));
    for (const state of states) {
      clearTimeout(state.timer);
      state.timer = undefined;
      state.active += 1;
    }
    try {
      for (const root of new Set(placeholders.map((p) => p.root))) {
        this.#hold(root, acquirePlaceholders(placeholders.filter((p) => p.root === root)));
      }
      roots.forEach((root, i) => {
        if (states[i]!.leases.length > 0) return; // we already keep this root's placeholders alive
        const joined = joinExistingPlaceholders(root);
        if (joined) this.#hold(root, joined);
      });
    } catch (error) {
      this.#leave(roots);
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
    if (this.#exitHook) process.off('exit', this.#exitHook);
    this.#exitHook = undefined;
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
    if (!this.#exitHook) {
      this.#exitHook = () => this.releaseAll();
      process.once('exit', this.#exitHook);
    }
  }

  #leave(roots: readonly string[]): void {
    for (const root of roots) {
      const state = this.#state(root);
      state.active -= 1;
      if (state.active > 0 || state.leases.length === 0) continue;
      state.timer = setTimeout(() => {
        state.timer = undefined;
        if (state.active === 0) for (const lease of state.leases.splice(0)) lease.release();
      }, PLACEHOLDER_IDLE_MS);
      state.timer.unref();
    }
  }
}

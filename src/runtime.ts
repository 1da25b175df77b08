import { selectBackend, type BackendOptions } from './backends/select.js';
import type { Backend } from './backends/types.js';
import { HostGuard } from './host-check/host-guard.js';
import { hostPlatform, type Platform } from './platform.js';
import { SecretScanCache } from './policy/secret-scan.js';

export type { Platform } from './platform.js';

export interface RuntimeOptions {
  /** Linux: how placeholders for missing protected paths are kept (see PlaceholderSessions). */
  placeholders?: BackendOptions['placeholders'];
  /**
   * Check each workspace on the host when its last command ends and quarantine what the
   * command planted for host git (src/host-check/). Default true; false exists so tests can
   * reproduce the attacks it stops, and is never implied by any other option.
   */
  hostCheck?: boolean;
  /**
   * The sandbox backend. Default: the one for this machine (src/backends/select.ts). A
   * backend object given here is used as is (tests pass a weakened one to show what the
   * real one stops).
   */
  backend?: Backend;
}

/**
 * Per-process facts and their caches: the backend's probe (and on Linux the compiled filter
 * and placeholder sessions) is the same for every command, so it is computed once per
 * runtime, never per command. State lives in an instance, not in module variables: tests
 * and callers can make their own runtime, and policies never share anything but host facts.
 */
export class SandboxRuntime {
  /** Directory listings of workspaces already scanned for `.env` files (revalidated by mtime). */
  readonly scanCache = new SecretScanCache();
  /** Checks writable roots on the host after their last command (undefined: switched off). */
  readonly hostGuard: HostGuard | undefined;
  readonly #options: RuntimeOptions;
  #backend: Backend | undefined;

  constructor(options: RuntimeOptions = {}) {
    this.#options = options;
    this.#backend = options.backend;
    this.hostGuard = options.hostCheck === false ? undefined : new HostGuard();
  }

  /** Chosen on first use, so merely importing cordon on another OS throws nothing. */
  get backend(): Backend {
    return (this.#backend ??= selectBackend(hostPlatform(), { ...(this.#options.placeholders ? { placeholders: this.#options.placeholders } : {}) }));
  }

  platform(): Platform {
    return this.backend.name;
  }

  /** Releases what the backend keeps between commands (if one was ever chosen) and flushes the host check. */
  close(): void {
    this.#backend?.close();
    this.hostGuard?.flush();
  }
}

/** Removes this runtime's idle placeholders now instead of after the idle delay, and flushes the host check. */
export function closeRuntime(runtime: SandboxRuntime): void {
  runtime.close();
}

export function createRuntime(options: RuntimeOptions = {}): SandboxRuntime {
  return new SandboxRuntime(options);
}

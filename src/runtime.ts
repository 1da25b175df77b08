import { findBwrap, probeBwrap, type BwrapProbe } from './backends/linux/probe.js';
import type { LinuxHost } from './backends/linux/plan.js';
import { linuxSeccompSpec } from './backends/linux/seccomp-rules.js';
import { compileSeccompFilter } from './native/seccomp.js';
import { SecretScanCache } from './policy/secret-scan.js';
import { HostGuard } from './host-check/host-guard.js';
import { hostPlatform, type Platform } from './platform.js';
import { PlaceholderSessions, type PlaceholderSessionsOptions } from './backends/linux/placeholder-sessions.js';
import { ensurePrivateRegistryBase } from './backends/linux/placeholders.js';

export type { Platform } from './platform.js';

export interface RuntimeOptions {
  /** How placeholders for missing protected paths are kept (see PlaceholderSessions). */
  placeholders?: PlaceholderSessionsOptions;
  /**
   * Check each workspace on the host when its last command ends and quarantine what the
   * command planted for host git (src/host-check/). Default true; false exists so tests can
   * reproduce the attacks it stops, and is never implied by any other option.
   */
  hostCheck?: boolean;
}

/**
 * Per-process facts and their caches: the bwrap probe and the compiled seccomp filter are
 * the same for every command, so they are computed once per runtime, never per command.
 * State lives in an instance, not in module variables: tests and callers can make their own
 * runtime, and policies never share anything but these host facts.
 */
export class SandboxRuntime {
  readonly #probes = new Map<string, BwrapProbe>();
  /** Directory listings of workspaces already scanned for `.env` files (revalidated by mtime). */
  readonly scanCache = new SecretScanCache();
  /** Placeholders for missing protected paths, kept per root while commands run there. */
  readonly placeholders: PlaceholderSessions;
  /** Checks writable roots on the host after their last command (undefined: switched off). */
  readonly hostGuard: HostGuard | undefined;
  #filter: Uint8Array | undefined;

  constructor(options: RuntimeOptions = {}) {
    this.placeholders = new PlaceholderSessions(options.placeholders);
    this.hostGuard = options.hostCheck === false ? undefined : new HostGuard();
  }

  platform(): Platform {
    return hostPlatform();
  }

  /** Everything planLinux needs about this machine; throws a SandboxUnavailableError if it cannot sandbox. */
  linuxHost(env: NodeJS.ProcessEnv, untrustedDirs: readonly string[] = []): LinuxHost {
    const found = findBwrap(env, untrustedDirs);
    let probe = found === undefined ? undefined : this.#probes.get(found);
    if (!probe) {
      probe = probeBwrap(env, untrustedDirs);
      this.#probes.set(probe.bwrapPath, probe);
    }
    const seccompFilter = (this.#filter ??= compileSeccompFilter(linuxSeccompSpec()));
    return {
      bwrapPath: probe.bwrapPath,
      supportsDisableUserns: probe.supportsDisableUserns,
      euid: probe.euid,
      seccompFilter,
      // The placeholder registry, masked in the sandbox wherever it would be visible. Made (0700)
      // and checked on every call, not cached: a tmp cleaner may have removed it, and a mask
      // needs its mount point. One lstat and one realpath, ~20 µs. untrustedDirs (the writable
      // roots) refuse a $TMPDIR reached through a symlink the command could replace.
      hostStateDirs: [ensurePrivateRegistryBase(untrustedDirs)],
    };
  }
}

/** Removes this runtime's idle placeholders now instead of after the idle delay. */
export function closeRuntime(runtime: SandboxRuntime): void {
  runtime.placeholders.releaseAll();
  runtime.hostGuard?.flush();
}

export function createRuntime(options: RuntimeOptions = {}): SandboxRuntime {
  return new SandboxRuntime(options);
}

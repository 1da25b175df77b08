import type { ResultPromise } from 'execa';
import type { FilteringProxyServer } from '../network/types.js';
import type { Platform } from '../platform.js';
import type { ResolvedPolicy } from '../policy/resolved.js';
import type { Denial } from '../sandbox-report.js';
import type { SandboxStopper } from '../termination.js';

/** What the caller wants run, as argv (never a shell string). */
export interface Command {
  file: string;
  args: readonly string[];
}

/** An extra file descriptor the launcher needs beside stdin/stdout/stderr. */
export type ExtraFd =
  | { fd: number; direction: 'in'; purpose: 'seccomp'; data: Uint8Array }
  | { fd: number; direction: 'out'; purpose: 'status' }
  /** Linux, network allowlist: one end of a socketpair for cordon-proxy-door (native/proxy_door.c). */
  | { fd: number; direction: 'both'; purpose: 'proxy-door' };

/**
 * Network allowlist: where the command finds the filtering proxy. `port` is on 127.0.0.1 as the
 * command sees it (Linux: the sandbox's own loopback; macOS: the host's). `credential` is the
 * password of user `cordon` when the proxy needs one (macOS: its port is on the host's loopback,
 * where other local processes could reach it; Linux: only the sandbox can reach its listener).
 */
export interface ProxyAccess {
  port: number;
  credential?: string;
}

/** A path that must exist as a mount point while the sandbox runs and be removed after. */
export interface Placeholder {
  path: string;
  kind: 'file' | 'dir';
  /** The writable root it lies in: placeholders are registered and cleaned up per root. */
  root: string;
}

/**
 * Exactly what to execute: the pure result of planning. Spawning it is a separate,
 * small step (src/spawn.ts), so a caller can audit or run it themselves.
 */
export interface LaunchPlan {
  backend: Platform;
  file: string;
  args: string[];
  env: Record<string, string>;
  /** Host directory to start the launcher in (the sandbox's own cwd is set by args on Linux). */
  cwd: string;
  extraFds: ExtraFd[];
  /** Created on the host before launch, removed after (Linux, missing protected paths). */
  placeholders: Placeholder[];
  /**
   * Fresh directories for this one command (macOS: its TMPDIR): created mode 0700 before
   * launch (refused if the name exists), removed with their content after.
   */
  runDirs: string[];
  /** macOS: the token in every denial's log message (`cordon:<tag>:<kind>`), to find this run's denials. */
  tag?: string;
  /** Network allowlist: where the command reaches the filtering proxy (already in `env`). */
  proxy?: ProxyAccess;
}

/** May the command read or write a path, and which rule decided (`cordon explain`). */
export interface PathVerdict {
  path: string;
  /** The path after symlinks are resolved: the one the rules are about. */
  realPath: string;
  read: boolean;
  write: boolean;
  /** Human-readable rule that decided. */
  rule: string;
}

/** One line of `cordon doctor`. */
export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
  hint?: string;
}

/** Host effects one command needs while it runs; `leave` undoes them once it has ended. */
export interface Entered {
  leave(): void;
  /**
   * The host changed between planning and entering (another process removed a placeholder
   * this plan mounts): leave, then plan once more from what is really there.
   */
  replan: boolean;
}

/**
 * Linux, network allowlist: the host's half of the hand-over with cordon-proxy-door, which opens
 * the proxy's listener on the sandbox's own loopback and waits for `answer` before exec'ing the
 * command (native/proxy_door.c).
 */
export interface ProxyDoor {
  /**
   * The listening socket the door sent; undefined when the sandbox ended (or the channels were
   * closed) before it sent one: no proxy failure, the launch itself failed or was stopped.
   * Rejects only when receiving failed.
   */
  listener: Promise<number | undefined>;
  /** true: the proxy accepts on it, run the command; false: it never will (the door exits 125). */
  answer(ready: boolean): void;
}

/** Descriptors the launcher gets beside stdio (Linux: bwrap's filter in, its status out). */
export interface LaunchChannels {
  /** Entries for stdio[3], stdio[4], ... in the order of the plan's extraFds. */
  stdio: number[];
  /** What the launcher reported on its status channel so far ('' where there is none). */
  readStatus(): string;
  /** Right after the spawn: drops this process's copies of the child's ends, starts the door's receive. */
  launched(): void;
  /** Present when the plan has a proxy door. */
  proxyDoor?: ProxyDoor;
  /** Close everything (idempotent). */
  close(): void;
}

/** One command's window on the denials its sandbox reports. */
export interface DenialWatch {
  /** The command has ended (`failed`: non-zero or killed): its observed denials. Never rejects. */
  end(failed: boolean): Promise<Denial[]>;
}

/** Descriptors hidden from the child (see backends/linux/inherited-fds.ts). */
export interface FdCover {
  /** Entries for stdio[from], stdio[from + 1], ... */
  stdio: unknown[];
  /** Closes what the parent opened for the cover, once spawn() has returned. */
  close(): void;
}

/**
 * One sandbox mechanism. `sandboxedSpawn`, `cordon run`, `print`, `explain` and `doctor` reach
 * the platform only through this interface; src/backends/select.ts is the one place a backend
 * is chosen. An instance holds its host caches (probe results, compiled filter, placeholder
 * sessions), so it belongs to one SandboxRuntime.
 *
 * Call order for one command: probe -> plan (pure) -> enter -> spawn plan.file/args ->
 * (stopper on cancel/timeout) -> commandStarted / classifyFailure -> leave.
 */
export interface Backend<Host = unknown> {
  readonly name: Platform;
  /**
   * The kernel ends the sandbox when this process dies (Linux: bwrap --die-with-parent). Where
   * it does not (macOS), execa's exit hook kills the command when this process exits normally.
   */
  readonly endsWithParent: boolean;
  /**
   * Facts about this machine for one command: cached probing, plus anything fresh per run
   * (macOS: the run's own directory). Throws a SandboxUnavailableError when it cannot sandbox.
   * `untrustedDirs` are the writable roots: a launcher found there could be the command's.
   */
  probe(env: NodeJS.ProcessEnv, untrustedDirs: readonly string[]): Host;
  /** Host facts for a plan to review only (`cordon print --platform` of another OS); never executed. */
  reviewHost?(): Host;
  /**
   * Network allowlist: makes the filtering proxy reachable for one command, before planning.
   * Linux: nothing yet (the proxy door opens a listener in the sandbox, on a fixed port, at
   * launch). macOS: the proxy listens on the host's loopback now, so the profile can name its port.
   */
  proxyAccess(proxy: FilteringProxyServer): ProxyAccess;
  /** The proxy must ask for its per-sandbox credential (macOS: it listens on the host's loopback). */
  readonly proxyNeedsCredential: boolean;
  /** Pure: what to execute for this policy and command on this host (`proxy`: network allowlist only). */
  plan(policy: ResolvedPolicy, command: Command, host: Host, proxy?: ProxyAccess): LaunchPlan;
  /**
   * May a command read or write a path under this policy, and which rule decided: answered
   * from this backend's own enforcement model, so `explain` cannot drift from it. The model is
   * built once per explainer and asked about any number of paths.
   */
  explainer(policy: ResolvedPolicy): (path: string) => PathVerdict;
  /** Opens the plan's extra descriptors for the launcher, right before the spawn. */
  openChannels(plan: LaunchPlan): LaunchChannels;
  /** Makes the plan's host-side prerequisites (placeholders, run dirs). Throws (typed) before launch. */
  enter(policy: ResolvedPolicy, plan: LaunchPlan): Entered;
  /**
   * Starts watching for denials the sandbox itself reports (macOS: Seatbelt's log lines tagged
   * with the plan's tag), right before launch; `end` returns them as 'observed' once the
   * command has ended. Undefined where the backend cannot observe (Linux: see denials/infer.ts).
   */
  observe?(plan: LaunchPlan): DenialWatch;
  /** Hides descriptors this process holds without close-on-exec (undefined: not done here). */
  coverInheritedFds?(firstFree: number): FdCover;
  /** How cancel, timeout and `.kill()` end this sandbox. `readStatus`: the launcher's status channel. */
  stopper(subprocess: ResultPromise, readStatus: () => string): SandboxStopper;
  /** From the launcher's status: did the command itself run? (false: setup failed before it). */
  commandStarted(readStatus: () => string, result: { exitCode?: number; stderr?: unknown }): boolean;
  /** A failed launch that is not the command's own fate, as a typed CordonError; else the error unchanged. */
  classifyFailure(error: unknown, commandStarted: boolean): unknown;
  /** What `cordon doctor` reports about this machine, before its enforcement check. */
  doctorChecks(): DoctorCheck[];
  /** Releases host state kept between commands (idle placeholders). */
  close(): void;
}

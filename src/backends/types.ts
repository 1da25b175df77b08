import type { ResolvedPolicy } from '../policy/resolved.js';

/** What the caller wants run, as argv (never a shell string). */
export interface Command {
  file: string;
  args: readonly string[];
}

/** An extra file descriptor the launcher needs beside stdin/stdout/stderr. */
export type ExtraFd =
  | { fd: number; direction: 'in'; purpose: 'seccomp'; data: Uint8Array }
  | { fd: number; direction: 'out'; purpose: 'status' };

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
  backend: 'linux' | 'macos';
  file: string;
  args: string[];
  env: Record<string, string>;
  /** Host directory to start the launcher in (the sandbox's own cwd is set by args). */
  cwd: string;
  extraFds: ExtraFd[];
  /** Created on the host before launch, removed after (Linux, missing protected paths). */
  placeholders: Placeholder[];
  /**
   * Fresh directories for this one command (macOS: its TMPDIR): created mode 0700 before
   * launch (refused if the name exists), removed with their content after.
   */
  runDirs: string[];
}

export interface Backend<Host> {
  readonly name: 'linux' | 'macos';
  plan(policy: ResolvedPolicy, command: Command, host: Host): LaunchPlan;
}

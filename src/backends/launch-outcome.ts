/** What a failed launch tells, as execa reports it (result with `reject: false`, or its error). */
export interface LaunchOutcome {
  code?: string;
  exitCode?: number;
  isTerminated?: boolean;
  timedOut?: boolean;
  isCanceled?: boolean;
  isMaxBuffer?: boolean;
  stderr?: unknown;
  originalMessage?: string;
}

/** The launcher binary itself could not be executed (gone since it was probed). */
export function launcherMissing(e: LaunchOutcome): boolean {
  return e.code === 'ENOENT' && e.exitCode === undefined;
}

/**
 * Ended by the caller (kill, timeout, cancel) or by its own output limit: the command's fate
 * whatever the launcher managed to report, never a setup failure.
 */
export function endedFromOutside(e: LaunchOutcome): boolean {
  return e.isTerminated === true || e.timedOut === true || e.isCanceled === true || e.isMaxBuffer === true;
}

/** The captured stderr, or '' when it went elsewhere (stdio 'inherit'). */
export function capturedStderr(e: LaunchOutcome): string {
  return typeof e.stderr === 'string' ? e.stderr : '';
}

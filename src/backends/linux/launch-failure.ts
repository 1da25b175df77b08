import { SandboxSetupError, SandboxUnavailableError } from '../../errors.js';
import { capturedStderr, endedFromOutside, launcherMissing, type LaunchOutcome } from '../launch-outcome.js';

/**
 * bwrap writes "child-pid" before setting up the sandbox, but "exit-code" only when the
 * command itself ran and ended: its absence means setup failed and the command never ran.
 */
export function bwrapCommandStarted(status: string): boolean {
  return status.includes('"exit-code"');
}

function setupError(stderr: string, cause: unknown): SandboxSetupError {
  const firstLine = stderr.split('\n').find((l) => l.startsWith('bwrap:')) ?? stderr.trim().split('\n')[0] ?? '';
  return new SandboxSetupError(`the sandbox could not be set up${firstLine ? `: ${firstLine}` : ''}`, stderr, {
    hint: 'run `cordon doctor`; if a path in the message is yours, check it exists and is readable',
    ...(cause === undefined ? {} : { cause }),
  });
}

/** A failed bwrap launch: the command's own fate (returned as is), or why the sandbox never came up. */
export function classifyBwrapFailure(error: unknown, commandStarted: boolean): unknown {
  const e = error as LaunchOutcome;
  if (launcherMissing(e)) {
    return new SandboxUnavailableError('ERR_CORDON_BWRAP_MISSING', 'bubblewrap (bwrap) disappeared after it was probed', [String(e.originalMessage ?? '')], {
      hint: 'reinstall it: sudo apt-get install -y bubblewrap',
      cause: error,
    });
  }
  // "command not found" is the command's failure, not the sandbox's (when stderr was captured to tell).
  const execFailed = /^bwrap: execvp /m.test(capturedStderr(e));
  if (commandStarted || execFailed || endedFromOutside(e)) return error;
  return setupError(capturedStderr(e), error);
}

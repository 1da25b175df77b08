import { SandboxSetupError, SandboxUnavailableError } from '../../errors.js';

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
  const e = error as { code?: string; exitCode?: number; isTerminated?: boolean; timedOut?: boolean; isCanceled?: boolean; isMaxBuffer?: boolean; stderr?: unknown; originalMessage?: string };
  if (e.code === 'ENOENT' && e.exitCode === undefined) {
    return new SandboxUnavailableError('ERR_CORDON_BWRAP_MISSING', 'bubblewrap (bwrap) disappeared after it was probed', [String(e.originalMessage ?? '')], {
      hint: 'reinstall it: sudo apt-get install -y bubblewrap',
      cause: error,
    });
  }
  // "command not found" is the command's failure, not the sandbox's (when stderr was captured to tell).
  const execFailed = typeof e.stderr === 'string' && /^bwrap: execvp /m.test(e.stderr);
  const commandsOwnFate = commandStarted || execFailed || e.isTerminated || e.timedOut || e.isCanceled || e.isMaxBuffer;
  if (commandsOwnFate) return error;
  return setupError(typeof e.stderr === 'string' ? e.stderr : '', error);
}

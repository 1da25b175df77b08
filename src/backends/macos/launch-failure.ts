import { SandboxSetupError, SandboxUnavailableError } from '../../errors.js';
import { capturedStderr, endedFromOutside, launcherMissing, type LaunchOutcome } from '../launch-outcome.js';

/**
 * sandbox-exec reports its own failures on stderr as `sandbox-exec: ...` and exits non-zero
 * before the command runs: a profile it rejects, or sandbox_apply refused (already inside a
 * sandbox). A command it could not find is reported as `sandbox-exec: execvp() of ...` — that
 * is the command's failure, as a shell's "command not found" would be. Without captured stderr
 * (stdio 'inherit') the two cannot be told apart, and the result is left as the command's.
 */
const OWN_FAILURE = /^sandbox-exec: (?!execvp)/m;

export function seatbeltCommandStarted(result: { exitCode?: number; stderr?: unknown }): boolean {
  return !(result.exitCode !== 0 && typeof result.stderr === 'string' && OWN_FAILURE.test(result.stderr));
}

export function classifySeatbeltFailure(error: unknown, commandStarted: boolean): unknown {
  const e = error as LaunchOutcome;
  if (launcherMissing(e)) {
    return new SandboxUnavailableError('ERR_CORDON_SEATBELT_UNAVAILABLE', '/usr/bin/sandbox-exec disappeared after it was probed', [String(e.originalMessage ?? '')], {
      hint: 'check the system is intact; run `cordon doctor`',
      cause: error,
    });
  }
  if (commandStarted || endedFromOutside(e)) return error;
  const stderr = capturedStderr(e);
  const line = stderr.split('\n').find((l) => OWN_FAILURE.test(l)) ?? '';
  return new SandboxSetupError(`the sandbox could not be set up${line ? `: ${line}` : ''}`, stderr, {
    hint: /sandbox_apply|Operation not permitted/i.test(line) ? 'cordon is running inside another Seatbelt sandbox, which cannot start a nested one; run it from a normal terminal' : 'run `cordon doctor`; this is a bug in the generated profile if it persists: please report it with `cordon print`',
    cause: error,
  });
}

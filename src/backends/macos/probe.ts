import { spawnSync } from 'node:child_process';
import { accessSync, constants, realpathSync } from 'node:fs';
import os from 'node:os';
import { SandboxUnavailableError } from '../../errors.js';
import { isInside } from '../../policy/paths.js';
import { SANDBOX_EXEC } from './plan.js';

export interface SeatbeltProbe {
  /** Real path of the user's temp dir (`$TMPDIR`, /var/folders/.../T): run dirs are made in it. */
  tempRoot: string;
}

/** The smallest profile sandbox-exec accepts: proves sandbox_init works in this process's context. */
const TRIAL_PROFILE = '(version 1)\n(allow default)';

/**
 * Proves this Mac can apply a Seatbelt profile: /usr/bin/sandbox-exec exists and a trial
 * profile applies (it does not inside another sandbox: an app-sandboxed editor, or a
 * command already under sandbox-exec). One spawn (~10 ms); cached per runtime.
 */
export function probeSeatbelt(untrustedDirs: readonly string[], sandboxExec = SANDBOX_EXEC): SeatbeltProbe {
  try {
    accessSync(sandboxExec, constants.X_OK);
  } catch {
    throw new SandboxUnavailableError('ERR_CORDON_SEATBELT_UNAVAILABLE', `${sandboxExec} is missing or not executable`, [`looked for ${sandboxExec}`], {
      hint: 'sandbox-exec ships with every macOS release since 10.5; check the system is intact (csrutil status) and that cordon runs on the host, not in a container',
    });
  }
  const trial = spawnSync(sandboxExec, ['-p', TRIAL_PROFILE, '--', '/usr/bin/true'], { encoding: 'utf8', timeout: 10_000, env: { PATH: '/usr/bin:/bin' }, stdio: ['ignore', 'ignore', 'pipe'] });
  if (trial.status !== 0) {
    const said = (trial.stderr ?? '').trim() || String(trial.error ?? `exit ${trial.status}`);
    throw new SandboxUnavailableError('ERR_CORDON_SEATBELT_UNAVAILABLE', `sandbox-exec could not apply a trial profile: ${said}`, [said], {
      hint: /sandbox_apply|Operation not permitted/i.test(said)
        ? 'this process already runs inside a Seatbelt sandbox (an app-sandboxed host or another sandbox-exec); run cordon from a normal terminal or harness process'
        : 'run `cordon doctor` and report the message above',
    });
  }
  return { tempRoot: trustedTempRoot(untrustedDirs) };
}

/** The user's temp dir, by real path, refused when a command could have made it (inside a writable root). */
export function trustedTempRoot(untrustedDirs: readonly string[], given = os.tmpdir()): string {
  const tempRoot = realpathSync(given);
  if (untrustedDirs.some((d) => isInside(tempRoot, d))) {
    throw new SandboxUnavailableError('ERR_CORDON_SEATBELT_UNAVAILABLE', `the temp dir ${tempRoot} lies inside a writable root`, [`TMPDIR resolves to ${tempRoot}`], {
      hint: 'set TMPDIR to a directory outside the workspace and the extra writable roots (the default /var/folders/.../T is fine)',
    });
  }
  return tempRoot;
}

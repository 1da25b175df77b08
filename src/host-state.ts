import os from 'node:os';
import path from 'node:path';

/**
 * cordon's private state on the host (`$TMPDIR/cordon-$UID`): the placeholder registry and the
 * host check's baselines. No sandbox may see or write it: the Linux plan masks it read-only
 * wherever a writable root would expose it (LinuxHost.hostStateDirs), and every reader checks
 * it is a real directory of this user with no group or other access.
 */
export function hostStateBase(): string {
  return path.join(os.tmpdir(), `cordon-${process.getuid?.() ?? 'user'}`);
}

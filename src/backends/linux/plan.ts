import type { ResolvedPolicy } from '../../policy/resolved.js';
import type { Command, LaunchPlan } from '../types.js';
import { planMounts, type MountOp } from './mounts.js';
import { refuseDomainAllowlist } from '../network-refusal.js';

/** Facts about this machine that planning needs; gathered once by probe(). */
export interface LinuxHost {
  /** Absolute path of a bwrap that was found safely and proven to work. */
  bwrapPath: string;
  /** bwrap >= 0.8 has --disable-userns; older ones rely on the seccomp rule alone. */
  supportsDisableUserns: boolean;
  /** Effective uid of the caller: real root keeps capabilities inside unless dropped. */
  euid: number;
  /** The compiled seccomp BPF program (raw classic BPF, length a multiple of 8). */
  seccompFilter: Uint8Array;
  /**
   * Real paths of host directories whose content decides what cordon itself does on the host
   * (the placeholder registry, `$TMPDIR/cordon-$UID`: what the harness deletes when a command
   * ends). Each must exist. The sandbox never sees them: masked wherever it would (mounts.ts).
   */
  hostStateDirs: readonly string[];
}

/** Child fds: 0-2 are stdio; the filter goes in on 3, bwrap reports status on 4. */
export const SECCOMP_FD = 3;
export const STATUS_FD = 4;

/**
 * The bwrap argv for a resolved policy. Pure: same inputs, same plan; nothing is touched.
 *
 * Order of the argv, and why:
 *  1. process isolation: new session (TIOCSTI, CVE-2017-5226), die with parent, new user,
 *     pid, net, ipc, uts and cgroup namespaces; nested user namespaces disabled; all
 *     capabilities dropped when we are real root (root keeps them in a new user ns).
 *  2. --ro-bind / /   : read anywhere, write nowhere, as the base layer.
 *  3. --dev, --proc   : fresh /dev (null, zero, urandom, tty, pts, shm) and a /proc of the
 *                       new pid namespace, so host processes are invisible.
 *  4. file-system ops shallow to deep (see mounts.ts): private tmp, what is kept visible
 *     below it, writable roots, pins, re-allowed paths, protected paths, denials (and the
 *     mask over cordon's host state where the sandbox would see it); deeper mounts override
 *     shallower ones.
 *  5. --remount-ro of each denial tmpfs, deepest first, after anything was mounted below it.
 *  6. seccomp filter from fd 3 (applied by bwrap right before exec), status JSON on fd 4.
 *  7. --chdir, then `--` and the command as argv: no shell ever parses it.
 */
export function planLinux(policy: ResolvedPolicy, command: Command, host: LinuxHost): LaunchPlan {
  refuseDomainAllowlist(policy, 'linux');
  const mounts = planMounts(policy, host.hostStateDirs);
  const args = [
    '--new-session',
    '--die-with-parent',
    '--unshare-user',
    '--unshare-pid',
    '--unshare-net',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup',
    ...(host.supportsDisableUserns ? ['--disable-userns'] : []),
    ...(host.euid === 0 ? ['--cap-drop', 'ALL'] : []),
    '--ro-bind', '/', '/',
    '--dev', '/dev',
    '--proc', '/proc',
    ...mounts.ops.flatMap(mountArgs),
    ...remountDenials(mounts.ops),
    '--seccomp', String(SECCOMP_FD),
    '--json-status-fd', String(STATUS_FD),
    '--chdir', policy.cwd,
    '--',
    command.file,
    ...command.args,
  ];
  return {
    backend: 'linux',
    file: host.bwrapPath,
    args,
    env: policy.env,
    cwd: '/',
    extraFds: [
      { fd: SECCOMP_FD, direction: 'in', purpose: 'seccomp', data: host.seccompFilter },
      { fd: STATUS_FD, direction: 'out', purpose: 'status' },
    ],
    placeholders: mounts.placeholders,
    runDirs: [],
  };
}

function mountArgs(op: MountOp): string[] {
  switch (op.kind) {
    case 'tmp':
      return ['--tmpfs', op.path];
    case 'write':
    case 'pin':
      return ['--bind', op.path, op.path];
    case 'keep':
    case 'allow':
    case 'protect':
      return ['--ro-bind', op.path, op.path];
    case 'deny-dir':
      return ['--tmpfs', op.path];
    case 'deny-file':
      return ['--ro-bind', '/dev/null', op.path];
  }
}

function remountDenials(ops: MountOp[]): string[] {
  return ops
    .filter((op) => op.kind === 'deny-dir')
    .reverse()
    .flatMap((op) => ['--remount-ro', op.path]);
}


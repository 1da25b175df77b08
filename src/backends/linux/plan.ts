import type { ResolvedPolicy } from '../../policy/resolved.js';
import { PolicyUnenforceableError } from '../../errors.js';
import { NODE_FETCH_PRELOAD } from '../../network/node-fetch-preload.js';
import { allowlistEnv } from '../../network/proxy-env.js';
import type { Command, LaunchPlan, ProxyAccess } from '../types.js';
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
  /** cordon-proxy-door (native/proxy_door.c), once a network allowlist needed it. */
  proxyDoor?: string;
}

/** Child fds: 0-2 are stdio; the filter goes in on 3, bwrap reports status on 4, the proxy door's channel is 5. */
export const SECCOMP_FD = 3;
export const STATUS_FD = 4;
export const PROXY_DOOR_FD = 5;

/**
 * Where the command finds the filtering proxy: 127.0.0.1:3128 of the sandbox's own network
 * namespace (the conventional proxy port; nothing else can be listening there, the namespace is
 * new). Only the sandbox can connect to it, so the proxy asks for no credential.
 */
export const SANDBOX_PROXY_PORT = 3128;

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
 * With a network allowlist (`proxy`), bwrap runs cordon-proxy-door first, under the same filter:
 * it opens the proxy's listener on 127.0.0.1:3128 in the sandbox's network namespace, hands it
 * to the host over fd 5 and execs the command once the proxy accepts on it. The door's own file
 * and Node's fetch preload (NODE_OPTIONS --require) are bound read-only at their paths after
 * every other mount, so no deny rule can hide them.
 */
export function planLinux(policy: ResolvedPolicy, command: Command, host: LinuxHost, proxy?: ProxyAccess): LaunchPlan {
  const door = proxy === undefined ? undefined : proxyDoorFor(policy, host, proxy);
  if (door === undefined) refuseDomainAllowlist(policy, 'linux');
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
    ...(door === undefined ? [] : ['--ro-bind', door, door, '--ro-bind', NODE_FETCH_PRELOAD, NODE_FETCH_PRELOAD]),
    ...remountDenials(mounts.ops),
    '--seccomp', String(SECCOMP_FD),
    '--json-status-fd', String(STATUS_FD),
    '--chdir', policy.cwd,
    '--',
    ...(door === undefined ? [] : [door, String(PROXY_DOOR_FD), String(SANDBOX_PROXY_PORT), '--']),
    command.file,
    ...command.args,
  ];
  return {
    backend: 'linux',
    file: host.bwrapPath,
    args,
    env: proxy === undefined ? policy.env : allowlistEnv(policy.env, policy.network, proxy),
    cwd: '/',
    extraFds: [
      { fd: SECCOMP_FD, direction: 'in', purpose: 'seccomp', data: host.seccompFilter },
      { fd: STATUS_FD, direction: 'out', purpose: 'status' },
      ...(door === undefined ? [] : [{ fd: PROXY_DOOR_FD, direction: 'both' as const, purpose: 'proxy-door' as const }]),
    ],
    placeholders: mounts.placeholders,
    runDirs: [],
    ...(proxy === undefined ? {} : { proxy }),
  };
}

/** The door for a plan with a proxy: only for a policy with an allowlist, at the sandbox's fixed port. */
function proxyDoorFor(policy: ResolvedPolicy, host: LinuxHost, proxy: ProxyAccess): string {
  if (policy.network.allow.length === 0) throw new TypeError('a proxy was given for a policy without network.allow');
  if (proxy.port !== SANDBOX_PROXY_PORT || proxy.credential !== undefined) throw new TypeError(`the Linux sandbox's proxy is 127.0.0.1:${SANDBOX_PROXY_PORT} without a credential`);
  if (host.proxyDoor === undefined) {
    throw new PolicyUnenforceableError('network.allow', 'linux', 'cordon-proxy-door was not found for this plan', { hint: 'plan through sandboxedSpawn or `cordon print`, which locate it' });
  }
  return host.proxyDoor;
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


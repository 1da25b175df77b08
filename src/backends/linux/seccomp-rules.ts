/**
 * WHICH syscalls cordon's Linux sandbox denies, as data. The addon (src/native/seccomp.ts)
 * only compiles this into BPF; bwrap loads it with `--seccomp FD` just before exec.
 *
 * The filter is a deny-list on top of bwrap's namespaces: everything not listed is allowed.
 * Every rule says why. Argument indexes are those of x86_64 and aarch64 (e.g. clone's flags
 * are argument 0 there). Syscalls that only some architectures have are `optional`.
 */
import { constants } from 'node:os';
import type { SeccompAction, SeccompArgCheck, SeccompRule, SeccompSpec } from '../../native/seccomp.js';

export type { SeccompAction, SeccompArgCheck, SeccompRule, SeccompSpec } from '../../native/seccomp.js';

const errno = (code: keyof typeof constants.errno): SeccompAction => ({ type: 'errno', errno: constants.errno[code] });
const EPERM = errno('EPERM');

/** `int` argument equals `value`. Masked to 32 bits because the kernel ignores the upper half. */
const int32Is = (index: SeccompArgCheck['index'], value: number): SeccompArgCheck => ({
  index,
  op: 'masked_eq',
  mask: 0xffffffff,
  value,
});

/** Flag argument has `flag` set. */
const hasFlag = (index: SeccompArgCheck['index'], flag: number): SeccompArgCheck => ({
  index,
  op: 'masked_eq',
  mask: flag,
  value: flag,
});

const deny = (syscall: string, why: string, more: Partial<SeccompRule> = {}): SeccompRule => ({
  syscall,
  action: EPERM,
  why,
  ...more,
});

const CLONE_NEWUSER = 0x10000000;
const TIOCSTI = 0x5412;
const TIOCLINUX = 0x541c;
const AF_UNIX = 1;
/** One past the highest address family of Linux 6.x (AF_MCTP = 45). */
const AF_MAX = 46;

/** Socket families cordon keeps: AF_INET, AF_INET6 and AF_NETLINK (getifaddrs, `ip`). */
const allowedFamilies: ReadonlySet<number> = new Set([2, 10, 16]);

// Linux address families by number (include/linux/socket.h), for readable `why`s.
const familyNames = [
  'AF_UNSPEC', 'AF_UNIX', 'AF_INET', 'AF_AX25', 'AF_IPX', 'AF_APPLETALK', 'AF_NETROM', 'AF_BRIDGE',
  'AF_ATMPVC', 'AF_X25', 'AF_INET6', 'AF_ROSE', 'AF_DECnet', 'AF_NETBEUI', 'AF_SECURITY', 'AF_KEY',
  'AF_NETLINK', 'AF_PACKET', 'AF_ASH', 'AF_ECONET', 'AF_ATMSVC', 'AF_RDS', 'AF_SNA', 'AF_IRDA',
  'AF_PPPOX', 'AF_WANPIPE', 'AF_LLC', 'AF_IB', 'AF_MPLS', 'AF_CAN', 'AF_TIPC', 'AF_BLUETOOTH',
  'AF_IUCV', 'AF_RXRPC', 'AF_ISDN', 'AF_PHONET', 'AF_IEEE802154', 'AF_CAIF', 'AF_ALG', 'AF_NFC',
  'AF_VSOCK', 'AF_KCM', 'AF_QIPCRTR', 'AF_SMC', 'AF_XDP', 'AF_MCTP',
] as const;

function socketRules(): SeccompRule[] {
  // Uncommon families answer EAFNOSUPPORT, what a kernel without that family says, so programs
  // that probe (e.g. for AF_ALG or AF_VSOCK) fall back instead of failing.
  const uncommon = familyNames.flatMap((name, family): SeccompRule[] =>
    family === AF_UNIX || allowedFamilies.has(family)
      ? []
      : [{ syscall: 'socket', action: errno('EAFNOSUPPORT'), args: [int32Is(0, family)], why: `${name}: uncommon socket family, kernel attack surface no build tool needs` }],
  );
  return [
    deny('socket', 'AF_UNIX: host sockets (docker.sock, ssh-agent, D-Bus) are reachable through the read-anywhere filesystem; stream socketpairs stay allowed', { args: [int32Is(0, AF_UNIX)] }),
    ...uncommon,
    { syscall: 'socket', action: errno('EAFNOSUPPORT'), args: [{ index: 0, op: 'ge', value: AF_MAX }], why: 'families newer than this list (or junk in the upper 32 bits): fail closed' },
    ...socketpairRules(),
  ];
}

/**
 * socketpair(): only AF_UNIX pairs of type SOCK_STREAM (1) or SOCK_SEQPACKET (5), which can never
 * address anyone but their peer. Measured on Linux 6.18: sendto()/sendmsg() with a path on a
 * stream pair fails EISCONN, on a seqpacket pair the kernel drops the address and delivers to the
 * peer (ECONNRESET once it is gone), and connect() on either fails EISCONN/EPROTOTYPE. A datagram
 * pair, by contrast, sendto()s any datagram socket path on the host (journald, /dev/log,
 * $NOTIFY_SOCKET), even after its peer is closed, and SOCK_RAW on AF_UNIX silently becomes
 * SOCK_DGRAM. So the type is allow-listed, not the datagram type deny-listed.
 *
 * The kernel reads the type from the low 4 bits (SOCK_TYPE_MASK) and accepts SOCK_NONBLOCK |
 * SOCK_CLOEXEC OR'ed in above them. "type & 0xf is 1 or 5" is "bit 0 set, bits 1 and 3 clear"
 * (1 = 0001, 5 = 0101), so three masked rules deny exactly the complement; flag bits and junk in
 * the upper 32 bits cannot matter because every mask lies below bit 4.
 *
 * EPERM, as for socket(AF_UNIX): the kernel supports these types, so answering "not supported"
 * would mislead whoever debugs the failure; what programs use socketpair for (node/libuv child
 * stdio and IPC, python multiprocessing and asyncio, libevent, nginx channels, Chromium's
 * seqpacket IPC) is stream or seqpacket and unaffected.
 */
function socketpairRules(): SeccompRule[] {
  const why = (bits: string) =>
    `AF_UNIX socketpair of a type other than SOCK_STREAM/SOCK_SEQPACKET (${bits}): a datagram socket that sendto()s host sockets such as journald, /dev/log and sd_notify`;
  const typeBits = (mask: number, value: number): SeccompArgCheck => ({ index: 1, op: 'masked_eq', mask, value });
  return [
    deny('socketpair', why('bit 0 of the type clear: SOCK_DGRAM, SOCK_RDM, ...'), { args: [int32Is(0, AF_UNIX), typeBits(0x1, 0)] }),
    deny('socketpair', why('bit 1 of the type set: SOCK_RAW, which AF_UNIX turns into SOCK_DGRAM, ...'), { args: [int32Is(0, AF_UNIX), typeBits(0x2, 0x2)] }),
    deny('socketpair', why('bit 3 of the type set'), { args: [int32Is(0, AF_UNIX), typeBits(0x8, 0x8)] }),
    {
      syscall: 'socketpair',
      action: errno('EOPNOTSUPP'),
      args: [{ index: 0, op: 'ne', value: AF_UNIX }],
      why: 'only AF_UNIX has socketpairs; other families would still create a socket of that family first (uncommon-family attack surface). EOPNOTSUPP is what inet/inet6 answer natively',
    },
  ];
}

function namespaceRules(): SeccompRule[] {
  const why = 'a new user namespace regains mount powers and undoes bind-mount protections (the nested-userns escape)';
  return [
    deny('unshare', `CLONE_NEWUSER: ${why}`, { args: [hasFlag(0, CLONE_NEWUSER)] }),
    deny('clone', `CLONE_NEWUSER: ${why}`, { args: [hasFlag(0, CLONE_NEWUSER)] }),
    {
      syscall: 'clone3',
      action: errno('ENOSYS'),
      why: 'its flags live in memory the filter cannot read; ENOSYS makes libc fall back to clone, which is checked',
    },
    deny('setns', 'joining another namespace would step outside the sandbox'),
  ];
}

function mountRules(): SeccompRule[] {
  const why = 'mount-table changes can uncover or replace protected paths';
  return [
    ...['mount', 'umount2', 'pivot_root', 'chroot'].map((s) => deny(s, why)),
    ...['open_tree', 'move_mount', 'fsopen', 'fsconfig', 'fsmount', 'fspick', 'mount_setattr'].map((s) =>
      deny(s, `new mount API: ${why}`),
    ),
  ];
}

function processRules(): SeccompRule[] {
  return [
    deny('ptrace', 'a tracer rewrites other processes\' memory and syscalls (on old kernels, past seccomp)'),
    deny('process_vm_readv', 'reads another process\'s memory'),
    deny('process_vm_writev', 'writes another process\'s memory'),
    deny('pidfd_getfd', 'steals file descriptors from another process'),
    ...['io_uring_setup', 'io_uring_enter', 'io_uring_register'].map((s) =>
      deny(s, 'io_uring does I/O the filter never sees and is a frequent kernel-exploit surface'),
    ),
  ];
}

/**
 * personality(): allow only PER_LINUX (0) and the query 0xffffffff; deny everything else.
 * The kernel reads the low 32 bits only. libseccomp allows one comparison per argument in a
 * rule, so "≠ 0 AND ≠ 0xffffffff" cannot be one rule. Instead: a 32-bit value is neither all
 * zeros nor all ones exactly when, going round its bits cyclically, some bit i is 1 and bit
 * i+1 is 0. One masked_eq rule per i covers that (32 rules, ~100 BPF instructions, evaluated
 * only for personality calls).
 */
function personalityRules(): SeccompRule[] {
  return Array.from({ length: 32 }, (_, i): SeccompRule => {
    const bit = 2 ** i;
    const next = 2 ** ((i + 1) % 32);
    const why = `persona flags such as READ_IMPLIES_EXEC or ADDR_NO_RANDOMIZE weaken exploit mitigations (bit ${i} set, bit ${(i + 1) % 32} clear)`;
    return deny('personality', why, {
      args: [{ index: 0, op: 'masked_eq', mask: bit + next, value: bit }],
    });
  });
}

function kernelRules(): SeccompRule[] {
  return [
    ...['keyctl', 'add_key', 'request_key'].map((s) => deny(s, 'kernel keyrings are not namespaced: they can hold the user\'s secrets')),
    deny('bpf', 'eBPF is a large kernel-exploit surface'),
    deny('perf_event_open', 'profiling leaks kernel and cross-process information'),
    deny('userfaultfd', 'used to win kernel race conditions in exploits'),
    deny('ioctl', 'TIOCSTI: types characters into the controlling terminal (CVE-2017-5226)', { args: [int32Is(1, TIOCSTI)] }),
    deny('ioctl', 'TIOCLINUX: can inject input on Linux virtual consoles', { args: [int32Is(1, TIOCLINUX)] }),
    deny('syslog', 'the kernel log leaks addresses useful to exploits'),
  ];
}

/** Host administration: each needs a capability the sandbox should never have, but real
 *  root running bwrap without --cap-drop keeps them, so the filter denies them as well. */
function hostAdminRules(): SeccompRule[] {
  const admin = (syscall: string, why: string, optional = false): SeccompRule =>
    deny(syscall, why, optional ? { optional } : {});
  return [
    admin('kexec_load', 'replaces the running kernel'),
    admin('kexec_file_load', 'replaces the running kernel'),
    admin('init_module', 'loads kernel code'),
    admin('finit_module', 'loads kernel code'),
    admin('delete_module', 'unloads kernel code'),
    admin('reboot', 'reboots the host'),
    admin('swapon', 'changes host swap'),
    admin('swapoff', 'changes host swap'),
    admin('acct', 'switches host process accounting'),
    admin('quotactl', 'changes file-system quotas'),
    admin('quotactl_fd', 'changes file-system quotas', true),
    admin('open_by_handle_at', 'opens files by handle, bypassing the mount namespace (the "shocker" escape)'),
    { syscall: 'name_to_handle_at', action: errno('EOPNOTSUPP'), why: 'handles only serve open_by_handle_at; EOPNOTSUPP is the answer callers already handle' },
    admin('settimeofday', 'sets the host clock'),
    admin('clock_settime', 'sets the host clock'),
    admin('clock_adjtime', 'adjusts the host clock'),
    admin('adjtimex', 'adjusts the host clock'),
    admin('iopl', 'raw I/O port access (x86 only)', true),
    admin('ioperm', 'raw I/O port access (x86 only)', true),
    admin('lookup_dcookie', 'legacy profiling interface, removed from recent kernels', true),
    admin('nfsservctl', 'legacy NFS server control, removed from recent kernels', true),
    admin('_sysctl', 'legacy sysctl interface, removed from recent kernels', true),
    admin('uselib', 'legacy a.out library loader', true),
  ];
}

/** The filter cordon applies to every sandboxed command on Linux. A fresh object each call. */
export function linuxSeccompSpec(): SeccompSpec {
  return {
    defaultAction: 'allow',
    // 32-bit `int $0x80` and x32 syscalls bypass a filter written for x86_64 numbers: kill them.
    badArchAction: 'kill_process',
    rules: [...socketRules(), ...namespaceRules(), ...mountRules(), ...processRules(), ...personalityRules(), ...kernelRules(), ...hostAdminRules()],
  };
}

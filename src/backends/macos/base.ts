import { comment, rule, sbplRegex, sbplString } from './sbpl.js';

/**
 * What ordinary developer tools (sh, git, node, python, go, clang/xcrun) need from macOS
 * beyond files, as data. Everything here is granted on top of `(deny default)`; anything
 * not listed stays denied. Every operation and filter name used here also appears in
 * profiles that ship and run (Apple's own, Chrome's, Codex's, sandbox-runtime's): an
 * unknown name makes sandbox-exec reject the whole profile.
 *
 * Deliberately NOT granted, and why:
 * - com.apple.SecurityServer / com.apple.securityd.xpc: the keychain. A command that can
 *   reach securityd can ask for stored passwords; secrets are exactly what we keep out.
 * - com.apple.coreservices.launchservicesd, com.apple.lsd.*: `open`ing apps outside the
 *   sandbox would run them unsandboxed.
 * - network* of any kind, including unix sockets (ssh-agent, docker, mDNSResponder DNS).
 *   The only exceptions are in network.ts: unix sockets under the run's own directory
 *   (multiprocessing managers, build daemons) and, with a network allowlist, TCP to the
 *   filtering proxy's port on localhost.
 * - process-exec with (with no-sandbox), mach-priv-task-port, process-info of other
 *   sandboxes: ways to act outside the sandbox or inspect other processes.
 * - file-link: a hard link of a secret or protected file would give it a new, unprotected
 *   name. file-clone (APFS copy-on-write) is granted only inside the writable areas and
 *   never of or onto a secret, protected path or pin (cloneRules in fs-rules.ts).
 * - Nested sandboxes: a tool that applies its own Seatbelt profile (`swift build`, Homebrew
 *   source builds) fails inside this one; Seatbelt does not nest (see tool-caches.ts).
 */

/** sysctls read by libc, the Go and Node runtimes, Python's os/platform, and V8. */
const SYSCTL_NAMES: readonly string[] = [
  'hw.activecpu', 'hw.byteorder', 'hw.cachelinesize', 'hw.cacheconfig', 'hw.cpufamily', 'hw.cpufrequency', 'hw.cpusubtype',
  'hw.cputype', 'hw.l1dcachesize', 'hw.l1icachesize', 'hw.l2cachesize', 'hw.l3cachesize', 'hw.logicalcpu', 'hw.logicalcpu_max',
  'hw.machine', 'hw.memsize', 'hw.model', 'hw.ncpu', 'hw.nperflevels', 'hw.packages', 'hw.pagesize', 'hw.physicalcpu',
  'hw.physicalcpu_max', 'hw.tbfrequency', 'hw.vectorunit',
  // The kernel checks CTL_HW MIB lookups under these legacy names (Chrome lists them too).
  'hw.busfrequency_compat', 'hw.cachelinesize_compat', 'hw.cpufrequency_compat', 'hw.l1dcachesize_compat', 'hw.l1icachesize_compat',
  'hw.l2cachesize_compat', 'hw.l3cachesize_compat', 'hw.pagesize_compat', 'hw.tbfrequency_compat',
  // kern.bootargs: read by Codex's and srt's daily-used profiles' clients (e.g. to detect
  // developer boot modes); boot arguments are machine facts, not user data.
  'kern.argmax', 'kern.bootargs', 'kern.boottime', 'kern.hostname', 'kern.maxfiles', 'kern.maxfilesperproc', 'kern.maxproc', 'kern.ngroups',
  'kern.osproductversion', 'kern.osrelease', 'kern.ostype', 'kern.osvariant_status', 'kern.osversion', 'kern.secure_kernel',
  'kern.tcsm_available', 'kern.tcsm_enable', 'kern.usrstack64', 'kern.version',
  'machdep.cpu.brand_string', 'machdep.ptrauth_enabled', 'security.mac.lockdown_mode_state',
  // Rosetta detection (Go, Node, Python's platform.machine()).
  'sysctl.proc_cputype', 'sysctl.proc_translated',
  'vm.loadavg', 'vm.pagesize',
];

/** CPU feature probes (`hw.optional.arm.FEAT_*`, `hw.optional.avx2_0`), the own process. */
const SYSCTL_PREFIXES: readonly string[] = ['hw.optional.', 'hw.perflevel', 'machdep.cpu.', 'kern.proc.pid.', 'kern.proc.pgrp.', 'net.routetable.'];

/** sysctl "writes" that are really reads through a caller buffer. */
const SYSCTL_WRITES: ReadonlyArray<readonly [string, string]> = [
  ['kern.grade_cputype', 'Java asks for the preferred CPU type this way'],
  ['kern.tcsm_enable', 'V8 probes thread scheduling'],
];

/** Mach services, each with why a command-line tool needs it. */
const MACH_SERVICES: ReadonlyArray<readonly [string, string]> = [
  ['com.apple.system.opendirectoryd.libinfo', 'getpwuid()/getgrnam(): git, ssh, python pwd, node os.userInfo()'],
  ['com.apple.system.opendirectoryd.membership', 'group membership checks (getgrouplist, access checks)'],
  ['com.apple.system.notification_center', 'notify(3): libc time zone and configuration change notices'],
  ['com.apple.bsd.dirhelper', 'confstr(_CS_DARWIN_USER_TEMP_DIR): python tempfile, clang, xcrun'],
  ['com.apple.trustd.agent', 'certificate trust evaluation: Go crypto/x509 and Security.framework TLS'],
  ['com.apple.cfprefsd.daemon', 'CFPreferences reads: xcrun, clang driver, Foundation-based tools'],
  ['com.apple.cfprefsd.agent', 'CFPreferences reads of the user domain'],
  ['com.apple.logd', 'os_log from system frameworks (denials are harmless but noisy)'],
  ['com.apple.system.logger', 'asl/syslog(3) from older tools'],
  ['com.apple.PowerManagement.control', 'power assertions some build tools take while running'],
];

/** Device nodes any shell script writes to. */
const DEVICE_WRITES: readonly string[] = ['/dev/null', '/dev/zero', '/dev/dtracehelper', '/dev/tty', '/dev/stdout', '/dev/stderr'];
const DEVICE_IOCTLS: readonly string[] = ['/dev/null', '/dev/zero', '/dev/random', '/dev/urandom', '/dev/dtracehelper', '/dev/tty'];

/** Path literals (`/dev/...` only) are constants of ours, safe to write as text. */
const devLiteral = (p: string) => `(literal ${sbplString(p)})`;

export function baseRules(): string {
  return [
    comment('Processes: children inherit this profile. Signals and process info only within it.'),
    rule('allow', ['process-exec'], []),
    rule('allow', ['process-fork'], []),
    rule('allow', ['signal'], ['(target same-sandbox)']),
    rule('allow', ['process-info*'], ['(target same-sandbox)']),
    '',
    comment('sysctl reads: hardware and OS facts that runtimes ask for at start-up.'),
    rule('allow', ['sysctl-read'], [...SYSCTL_NAMES.map((n) => `(sysctl-name ${sbplString(n)})`), ...SYSCTL_PREFIXES.map((p) => `(sysctl-name-prefix ${sbplString(p)})`)]),
    ...SYSCTL_WRITES.flatMap(([name, why]) => [comment(why), rule('allow', ['sysctl-write'], [`(sysctl-name ${sbplString(name)})`])]),
    '',
    comment('Mach services, one line each with the reason; everything else stays denied.'),
    ...MACH_SERVICES.flatMap(([name, why]) => [comment(why), rule('allow', ['mach-lookup'], [`(global-name ${sbplString(name)})`])]),
    rule('allow', ['mach-lookup'], [`(local-name ${sbplString('com.apple.cfprefsd.agent')})`]),
    comment('Read-only preferences (paired with the cfprefsd services above).'),
    rule('allow', ['user-preference-read'], []),
    rule('allow', ['ipc-posix-shm-read*'], [`(ipc-posix-name-prefix ${sbplString('apple.cfprefs.')})`]),
    '',
    comment('POSIX IPC: semaphores for Python multiprocessing (SemLock); shared memory only under'),
    comment("the names Python's multiprocessing.shared_memory and libomp use, not other processes'."),
    rule('allow', ['ipc-posix-sem'], []),
    // read* (data and metadata): shared_memory.SharedMemory fstat()s the segment it opens.
    rule('allow', ['ipc-posix-shm-read*', 'ipc-posix-shm-write-create', 'ipc-posix-shm-write-data', 'ipc-posix-shm-write-unlink'], [
      `(ipc-posix-name-regex ${sbplRegex('^/psm_[0-9a-f]+$')})`,
      `(ipc-posix-name-regex ${sbplRegex('^/__KMP_REGISTERED_LIB_[0-9]+$')})`,
    ]),
    '',
    comment('IOKit: the power-management user client only (power assertions that keep a long build'),
    comment('from sleeping; Codex allows the same). No other IOKit service.'),
    rule('allow', ['iokit-open'], [`(iokit-registry-entry-class ${sbplString('RootDomainUserClient')})`]),
    '',
    comment('Terminals: openpty() for tools that need a pty (script, expect, node-pty); the'),
    comment('controlling terminal; ioctls (TIOCGWINSZ) on ttys opened before the sandbox.'),
    comment("Other sessions' ttys stay unwritable unless this sandbox created them."),
    rule('allow', ['pseudo-tty'], []),
    rule('allow', ['file-read*', 'file-write-data', 'file-ioctl'], [devLiteral('/dev/ptmx')]),
    rule('allow', ['file-read*', 'file-write-data'], [`(require-all (regex ${sbplRegex('^/dev/ttys[0-9]+$')}) (extension ${sbplString('com.apple.sandbox.pty')}))`]),
    rule('allow', ['file-ioctl'], [`(regex ${sbplRegex('^/dev/ttys[0-9]+$')})`]),
    '',
    comment('Device nodes: data writes only (never create or unlink in /dev).'),
    rule('allow', ['file-write-data'], [...DEVICE_WRITES.map(devLiteral), `(regex ${sbplRegex('^/dev/fd/[0-9]+$')})`]),
    rule('allow', ['file-ioctl'], DEVICE_IOCTLS.map(devLiteral)),
  ].join('\n');
}

/**
 * The ONLY module that loads the native addon (`cordon_seccomp.node`, built from
 * native/seccomp_filter.cc). The addon only turns a {@link SeccompSpec} into classic-BPF bytes
 * for `bwrap --seccomp FD`; which syscalls are denied is data in
 * src/backends/linux/seccomp-rules.ts.
 *
 * If the addon cannot be loaded we throw: a sandbox without its seccomp filter is not the
 * sandbox the user asked for, so there is never a fallback to "no filter".
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { SandboxUnavailableError } from '../errors.js';
import { PACKAGE_ROOT } from '../package-root.js';
import { hostOs, hostTuple } from '../platform.js';

/** What the filter does with a matching syscall. */
export type SeccompAction =
  /** Fail the call with this errno (1..4095); the process carries on. */
  | { type: 'errno'; errno: number }
  /** Kill the whole process with SIGSYS. */
  | { type: 'kill_process' };

/**
 * One comparison on a syscall argument. Values are unsigned 64-bit, limited to safe integers.
 * - `masked_eq`: `(arg & mask) === value`. Use mask 0xffffffff for `int` arguments: the kernel
 *   ignores the upper half, so a plain 64-bit equality would let `socket(0x100000001, ...)` pass.
 * - `ne`: full 64-bit `arg !== value`.
 * - `ge`: full 64-bit `arg >= value` (for "every value from here up").
 * `ne` and `ge` also match when junk sits in the upper 32 bits: for a deny rule that fails closed.
 * libseccomp allows ONE comparison per argument index within a rule; comparisons on different
 * arguments are ANDed, and several rules for the same syscall are ORed.
 */
export interface SeccompArgCheck {
  index: 0 | 1 | 2 | 3 | 4 | 5;
  op: 'masked_eq' | 'ne' | 'ge';
  /** Required for (and only allowed with) `masked_eq`. */
  mask?: number;
  value: number;
}

export interface SeccompRule {
  /** Syscall name as libseccomp knows it for the native architecture, e.g. `socket`. */
  syscall: string;
  action: SeccompAction;
  /** All must hold (AND) for the rule to apply; none means "always". */
  args?: SeccompArgCheck[];
  /** Skip the rule (instead of failing) when this libseccomp/architecture lacks the syscall. */
  optional?: boolean;
  /** One line: why this is denied. Documentation only; the addon ignores it. */
  why: string;
}

export interface SeccompSpec {
  /** What every syscall not matched by a rule gets. cordon's filter is a deny-list. */
  defaultAction: 'allow';
  /**
   * What a syscall from a non-native ABI gets: 32-bit `int $0x80` (AUDIT_ARCH_I386) and
   * x32 (syscall numbers with bit 0x40000000) on x86_64. libseccomp 2.5 routes x32 numbers
   * to this action too when x32 is not in the filter.
   */
  badArchAction: 'kill_process';
  rules: SeccompRule[];
}

/** The addon's surface, as exported by native/seccomp_filter.cc and native/descriptor_passing.cc. */
export interface SeccompBinding {
  compile(spec: SeccompSpec): Uint8Array;
  libseccompVersion(): { major: number; minor: number; micro: number };
  /** An AF_UNIX stream pair, both ends close-on-exec: [hostEnd, childEnd]. */
  socketPair(): [number, number];
  /**
   * Waits on the event loop (no thread) for one descriptor sent over `fd` with SCM_RIGHTS, then
   * calls back once: (received >= 0, 0), or (-1, errno), errno 0 when the peer closed first.
   */
  receiveDescriptor(fd: number, callback: (received: number, errno: number) => void): void;
}

/** Both src/native/seccomp.ts and dist/native/seccomp.js sit two levels below the package root. */
const packageRoot = PACKAGE_ROOT;

const fixHint =
  'reinstall cordon (npm install) so the prebuilt addon for linux-x64 is in place, or build it from source: ' +
  'apt-get install -y libseccomp-dev build-essential && npm run build:native';

/** The places node-gyp-build looks, in its order, for the error message. */
function candidatePaths(root: string): string[] {
  const tuple = hostTuple();
  return [
    ...(process.env['CORDON_PREBUILD'] ? [`$CORDON_PREBUILD (${process.env['CORDON_PREBUILD']})`] : []),
    path.join(root, 'build', 'Release', '*.node'),
    path.join(root, 'build', 'Debug', '*.node'),
    path.join(root, 'prebuilds', tuple, '*.node'),
    path.join(path.dirname(process.execPath), 'prebuilds', tuple, '*.node'),
  ];
}

function loadBinding(root: string): SeccompBinding {
  const tried = candidatePaths(root);
  const unavailable = (why: string, cause: unknown): SandboxUnavailableError =>
    new SandboxUnavailableError(
      'ERR_CORDON_NATIVE_UNAVAILABLE',
      `cannot load cordon's seccomp addon (cordon_seccomp.node): ${why}\ntried:\n  ${tried.join('\n  ')}`,
      [why, ...tried.map((p) => `tried ${p}`)],
      { hint: fixHint, cause },
    );
  if (hostOs() !== 'linux') {
    throw new SandboxUnavailableError(
      'ERR_CORDON_PLATFORM_UNSUPPORTED',
      `seccomp filters exist only on Linux (this is ${hostOs()})`,
      [`platform ${hostOs()}`],
      { hint: 'the seccomp addon is used by the Linux backend only' },
    );
  }
  let binding: unknown;
  try {
    const require = createRequire(import.meta.url);
    const nodeGypBuild = require('node-gyp-build') as (dir: string) => unknown;
    binding = nodeGypBuild(root);
  } catch (error) {
    const why = error instanceof Error ? error.message.trim().split('\n')[0] ?? String(error) : String(error);
    throw unavailable(why, error);
  }
  const candidate = binding as Partial<SeccompBinding> | null;
  if (typeof candidate?.compile !== 'function' || typeof candidate.libseccompVersion !== 'function' || typeof candidate.socketPair !== 'function' || typeof candidate.receiveDescriptor !== 'function') {
    throw unavailable('the loaded file does not export compile(), libseccompVersion(), socketPair() and receiveDescriptor() (an addon from an older cordon?)', undefined);
  }
  return candidate as SeccompBinding;
}

/**
 * Returns a loader that loads the addon on first use and then reuses it.
 *
 * Why memoise at all: dlopen() already caches the library process-wide, so caching the handle
 * here adds no new shared behaviour; it only avoids re-scanning directories on every command.
 * Why a closure: the cache is private to one loader (no exported mutable state), tests can
 * build a loader for another root, and a failure is NOT cached, so building the addon while
 * the process runs makes the next call succeed.
 */
export function createSeccompLoader(root: string = packageRoot): () => SeccompBinding {
  let binding: SeccompBinding | undefined;
  return () => (binding ??= loadBinding(root));
}

const defaultLoader = createSeccompLoader();

/** Loads the addon (lazily, once) or throws SandboxUnavailableError. */
export function seccompBinding(): SeccompBinding {
  return defaultLoader();
}

/**
 * Compiles a spec into a classic-BPF program (length a multiple of 8) for `bwrap --seccomp FD`.
 * Throws SandboxUnavailableError when the addon is missing (ERR_CORDON_NATIVE_UNAVAILABLE) or
 * this libseccomp cannot express a rule, e.g. a syscall it does not know, as in an addon built
 * from source against an old libseccomp (ERR_CORDON_SECCOMP_UNSUPPORTED: the filter would be
 * weaker than the policy, so nothing runs); TypeError for a malformed spec (a bug in the rules).
 */
export function compileSeccompFilter(spec: SeccompSpec): Uint8Array {
  const binding = seccompBinding();
  try {
    return binding.compile(spec);
  } catch (error) {
    if (error instanceof TypeError || !(error instanceof Error)) throw error;
    const version = binding.libseccompVersion();
    throw new SandboxUnavailableError(
      'ERR_CORDON_SECCOMP_UNSUPPORTED',
      `cannot compile cordon's seccomp filter with libseccomp ${version.major}.${version.minor}.${version.micro}: ${error.message}`,
      [error.message],
      { hint: 'use the prebuilt addon (reinstall cordon), or rebuild against a newer libseccomp: apt-get install -y libseccomp-dev && npm run build:native', cause: error },
    );
  }
}

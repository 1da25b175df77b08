import { linuxSeccompSpec } from '../backends/linux/seccomp-rules.js';
import type { Denial } from '../sandbox-report.js';

/**
 * Socket and syscall denials named unambiguously by a tool's output. On Linux the seccomp filter
 * answers a denied call with a bare EPERM, which most tools print without saying which call
 * failed; only the shapes below say it, and only they are reported (certainty 'inferred'):
 *
 *   PermissionError: [Errno 1] Operation not permitted      after a traceback through socket.py
 *   connect EPERM /var/run/docker.sock                      (node; creating the AF_UNIX socket failed)
 *   dial unix /var/run/docker.sock: socket: operation not permitted   (Go: docker, kubectl)
 *   socat[9] E socket(1, 1, 0): Operation not permitted
 *   unshare: unshare failed: Operation not permitted        (a syscall the filter denies, by name)
 *
 * Every other EPERM is left unreported rather than guessed at.
 */

export const SOCKET_RULE = 'seccomp: no unix sockets (socket(AF_UNIX) and datagram socketpairs are denied)';

const PY_BARE_EPERM = /^PermissionError: \[Errno 1\] Operation not permitted\s*$/;
const PY_SOCKET_FRAME = /socket\.py"|socket\.socket\(|socketpair\(|AF_UNIX/;
const NODE_UNIX = /\b(?:connect|listen|bind) EPERM (\/\S+)/;
const GO_UNIX = /\bdial unix (\/\S+): socket: operation not permitted/i;
const SOCKET_CALL = /\bsocket(?:pair)?(?:\([^)]*\))?: operation not permitted/i;
const EPERM_TEXT = /operation not permitted|\bEPERM\b/i;

/** How many lines above a bare python EPERM the traceback frame naming the socket may be. */
const TRACEBACK_REACH = 8;

/** `lines[i]` reports a denied socket: the denial, or undefined. */
export function matchSocketLine(lines: readonly string[], i: number): Denial | undefined {
  const line = lines[i]!;
  const evidence = line.trim().slice(0, 300);
  const withPath = NODE_UNIX.exec(line) ?? GO_UNIX.exec(line);
  if (withPath) return { kind: 'socket', path: withPath[1]!, rule: SOCKET_RULE, certainty: 'inferred', evidence };
  if (SOCKET_CALL.test(line)) return { kind: 'socket', rule: SOCKET_RULE, certainty: 'inferred', evidence };
  if (PY_BARE_EPERM.test(line.trim())) {
    // socket() is the only call python reaches through socket.py that the filter answers with
    // EPERM (other families get EAFNOSUPPORT), so a bare EPERM under such a frame is the filter's.
    const frames = lines.slice(Math.max(0, i - TRACEBACK_REACH), i);
    if (frames.some((f) => PY_SOCKET_FRAME.test(f))) return { kind: 'socket', rule: SOCKET_RULE, certainty: 'inferred', evidence };
  }
  return undefined;
}

/**
 * The syscalls the filter answers with EPERM, by name, from the filter's own spec (so the
 * list cannot drift from it). socket/socketpair are reported as sockets above; ioctl is left
 * out (its denial is TIOCSTI, and "ioctl: Operation not permitted" has many other causes).
 */
export function eppermSyscalls(): ReadonlySet<string> {
  const names = linuxSeccompSpec()
    .rules.filter((r) => r.action.type === 'errno' && r.action.errno === 1)
    .map((r) => r.syscall)
    .filter((s) => s !== 'socket' && s !== 'socketpair' && s !== 'ioctl');
  return new Set(names);
}

/** `line` names a denied syscall and an EPERM: the denial, or undefined. */
export function matchSyscallLine(line: string, syscalls: ReadonlySet<string> | (() => ReadonlySet<string>)): Denial | undefined {
  if (!EPERM_TEXT.test(line)) return undefined;
  const names = typeof syscalls === 'function' ? syscalls() : syscalls;
  // "ptrace: Operation not permitted", "PTRACE_TRACEME: ...", "unshare failed: ..."
  for (const word of line.toLowerCase().match(/[a-z_][a-z0-9_]*/g) ?? []) {
    const name = word.startsWith('ptrace_') ? 'ptrace' : word;
    if (names.has(name)) return { kind: 'syscall', rule: `seccomp: ${name} is denied`, certainty: 'inferred', evidence: line.trim().slice(0, 300) };
  }
  return undefined;
}

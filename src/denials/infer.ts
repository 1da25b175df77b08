import path from 'node:path';
import type { PathVerdict } from '../backends/types.js';
import type { Platform } from '../platform.js';
import { expandHome } from '../policy/paths.js';
import type { ResolvedPolicy } from '../policy/resolved.js';
import type { Denial } from '../sandbox-report.js';
import { inferNetworkDenials } from './network.js';
import { STDERR_LIMITS, STDOUT_LIMITS, tailLines } from './output-tail.js';
import { matchPathLine, type FsErrno, type PathFailure } from './path-lines.js';
import { eppermSyscalls, matchSocketLine, matchSyscallLine } from './socket-lines.js';
import { withSuggestions } from './suggestions.js';
import { hostOs } from '../platform.js';

/** What inference may consult: the policy the command ran under and its backend's explain. */
export interface DenialContext {
  policy: ResolvedPolicy;
  /** The backend's own answer for a path (explainLinux / explainMacos). */
  explain(path: string): PathVerdict;
  /** Which backend ran the command; default: this host's (linux unless darwin). */
  platform?: Platform;
}

/**
 * Which errors a denial of each backend shows up as, on a path. Linux (bind mounts): a write
 * outside the writable roots or to a protected path is EROFS, renaming a mount point (a pin,
 * a protected path) EBUSY, and a file under a denied directory ENOENT (an empty tmpfs); a
 * denied *file* reads as empty (/dev/null) with no error at all, so it is never seen here.
 * EACCES and EPERM on a path are never the sandbox's doing on Linux and are not reported.
 * macOS (Seatbelt): every denial is EPERM, reads and writes alike.
 */
const SANDBOX_ERRNOS: Record<Platform, ReadonlySet<FsErrno>> = {
  linux: new Set(['EROFS', 'EBUSY', 'ENOENT']),
  macos: new Set(['EPERM', 'EACCES', 'ENOENT']),
};

/** Work per command is bounded: at most this many distinct paths are put to `explain`. */
const MAX_EXPLAINED = 32;
/** ... and at most this many denials reported. */
const MAX_DENIALS = 20;

/**
 * What the sandbox stopped during one command, from its result or error: every path a tool said
 * it failed on whose access the policy really denies there, plus sockets, syscalls and hosts
 * the output names unambiguously. One denial per kind and path (or host), each with the line it
 * was inferred from and, where one should be offered, the smallest widening.
 *
 * Everything here is certainty 'inferred'. Nothing on Linux is 'observed' yet: the kernel does
 * not tell a process's parent which of its calls a mount or the seccomp filter refused. Observing
 * would need seccomp user notification (SECCOMP_RET_USER_NOTIF) with a supervisor holding the
 * listener for the command's lifetime, which bwrap cannot hand back; that is left for later.
 */
export function inferDenials(outcome: unknown, ctx: DenialContext): Denial[] {
  const lines = outputLines(outcome);
  if (lines.length === 0) return [];
  const platform = ctx.platform ?? (hostOs() === 'darwin' ? 'macos' : 'linux');
  const found = new Map<string, Denial>();
  const add = (d: Denial) => {
    const key = `${d.kind}\0${d.path ?? d.host ?? (d.kind === 'syscall' ? d.rule : '')}`;
    if (!found.has(key) && found.size < MAX_DENIALS) found.set(key, d);
  };
  const verdicts = new Map<string, PathVerdict | undefined>();
  const verdictOf = (abs: string): PathVerdict | undefined => {
    if (!verdicts.has(abs)) verdicts.set(abs, verdicts.size < MAX_EXPLAINED ? safeExplain(ctx, abs) : undefined);
    return verdicts.get(abs);
  };
  // Built from the filter's spec (~1 ms) only when some line could name a denied syscall.
  let syscalls: ReadonlySet<string> | undefined;
  const deniedSyscalls = () => (syscalls ??= eppermSyscalls());

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const failures = matchPathLine(line);
    for (const failure of failures) {
      const denial = pathDenial(failure, line, ctx.policy, SANDBOX_ERRNOS[platform], verdictOf);
      if (denial) add(denial);
    }
    if (failures.length > 0 || platform !== 'linux') continue;
    const other = matchSocketLine(lines, i) ?? matchSyscallLine(line, deniedSyscalls);
    if (other) add(other);
  }
  for (const d of inferNetworkDenials(lines.join('\n'))) add(d);
  return withSuggestions([...found.values()], ctx.policy);
}

/** The last lines of stderr, then of stdout (errors merged with `2>&1` land there). */
function outputLines(outcome: unknown): string[] {
  if (outcome === null || typeof outcome !== 'object') return [];
  const o = outcome as { stderr?: unknown; stdout?: unknown };
  return [...tailLines(o.stderr, STDERR_LIMITS), ...tailLines(o.stdout, STDOUT_LIMITS)];
}

/**
 * A denial only when the policy denies exactly this access here: an ENOENT of a file that
 * simply does not exist is the command's business; one under a denied directory is a read the
 * sandbox stopped.
 */
function pathDenial(failure: PathFailure, line: string, policy: ResolvedPolicy, errnos: ReadonlySet<FsErrno>, verdictOf: (abs: string) => PathVerdict | undefined): Denial | undefined {
  if (!errnos.has(failure.errno)) return undefined;
  const abs = path.resolve(policy.cwd, expandHome(failure.path, policy.home));
  const verdict = verdictOf(abs);
  if (verdict === undefined) return undefined;
  const evidence = line.trim().slice(0, 300);
  const deniedRead = !verdict.read;
  // A denied directory shows as missing, so a failed create below it is ENOENT too.
  if (failure.errno === 'ENOENT') {
    // A secret that does not exist on the host either (no ~/.aws at all) was not hidden from
    // the command: it would have failed the same way unsandboxed.
    if (!deniedRead || verdict.rule.startsWith('denied (does not exist now')) return undefined;
    return { kind: failure.access === 'write' ? 'write' : 'read', path: abs, rule: verdict.rule, certainty: 'inferred', evidence };
  }
  // `mv .git x`: .git is writable inside but pinned as a mount point, so it cannot be renamed.
  const pinned = failure.errno === 'EBUSY' && /cannot be renamed|pinned/.test(verdict.rule);
  const deniedWrite = !verdict.write || pinned;
  const kind = failure.access === 'read' ? (deniedRead ? 'read' : undefined) : failure.access === 'write' ? (deniedWrite ? 'write' : undefined) : deniedRead ? 'read' : deniedWrite && failure.errno !== 'EACCES' ? 'write' : undefined;
  if (kind === undefined) return undefined;
  return { kind, path: abs, rule: ruleText(verdict.rule, kind), certainty: 'inferred', evidence };
}

/** The base rule in words a reader of one line understands. */
function ruleText(rule: string, kind: 'read' | 'write'): string {
  return kind === 'write' && rule.startsWith('read anywhere, write nowhere (base)') ? 'outside the writable roots' : rule;
}

function safeExplain(ctx: DenialContext, abs: string): PathVerdict | undefined {
  try {
    return ctx.explain(abs);
  } catch {
    // A report is advice: a path explain cannot answer for is left out, never fails the command's result.
    return undefined;
  }
}

/**
 * Descriptors this process holds WITHOUT close-on-exec reach bwrap, and bwrap hands every one
 * of them to the command (it closes none). A directory descriptor is a full escape:
 * `/proc/self/fd/N/x` and `openat(N, ...)` resolve on the host, outside every mount rule.
 * Node marks only fds 0..15 and the run right after them close-on-exec at start-up
 * (uv_disable_stdio_inheritance), and everything Node and libuv open later is close-on-exec;
 * so what is left is a descriptor the harness was started with after a gap (fd 20 from its
 * parent), or one a native addon opened without O_CLOEXEC.
 *
 * Node cannot change another descriptor's flags, and bwrap cannot close them. What libuv does
 * in the forked child can: each stdio entry that is an fd number is dup2()ed onto its index
 * before exec, while an 'ignore' entry at index >= 3 leaves that fd as it is. So before each
 * launch the inheritable descriptors are read from /proc/self, and the stdio array gets a
 * close-on-exec `/dev/null` at each of their numbers: bwrap, its init and the command see
 * /dev/null there, and the harness's own descriptor is untouched.
 *
 * The scan runs in the same synchronous step as the spawn, every time: a number seen
 * close-on-exec before may since have been closed and reused by native code without the flag,
 * and no listing or identity check tells those apart without reading the flags again.
 */
import { closeSync, openSync, readdirSync, readlinkSync, readSync } from 'node:fs';
import { SandboxSetupError } from '../../errors.js';

/** O_CLOEXEC as /proc/PID/fdinfo reports it in `flags:` (octal). */
const O_CLOEXEC = 0o2000000;

/**
 * The highest descriptor number covered through the stdio array. execa handles stdio
 * entries in quadratic time (measured: ~0.4 ms for 21 entries, ~25-60 ms for 256, >1 s for
 * 1024), so a descriptor above this is refused rather than made into a very slow sandbox.
 */
export const MAX_COVERED_FD = 255;

/** What goes at stdio[from], stdio[from + 1], ... to cover the leaked descriptors. */
export type CoverEntry = number | 'ignore';

/**
 * Whether an fdinfo text says close-on-exec; undefined when it has no readable `flags:` line
 * (the caller then treats the descriptor as inheritable: covering a harmless one costs little).
 */
export function closesOnExec(fdinfo: string): boolean | undefined {
  const match = /^flags:\s*([0-7]+)\s*$/m.exec(fdinfo);
  if (match === null) return undefined;
  return (Number.parseInt(match[1]!, 8) & O_CLOEXEC) !== 0;
}

/**
 * stdio entries for indices `from`..max(leaked): the cover descriptor at each leaked number,
 * 'ignore' (left as it is, which for a close-on-exec or closed number is: absent) between.
 */
export function coverEntries(from: number, leaked: readonly number[], cover: number): CoverEntry[] {
  const wanted = leaked.filter((fd) => fd >= from);
  if (wanted.length === 0) return [];
  const entries: CoverEntry[] = Array.from({ length: Math.max(...wanted) - from + 1 }, () => 'ignore');
  for (const fd of wanted) entries[fd - from] = cover;
  return entries;
}

/** One fdinfo is ~60 bytes; `flags:` is its second line. */
const FDINFO_BYTES = 256;

/**
 * Every descriptor number >= `from` this process has open without close-on-exec, read from
 * `${proc}/fd` and `${proc}/fdinfo` (`proc` is a parameter for tests). A descriptor gone
 * between the listing and its fdinfo (the listing's own) is skipped; an unreadable listing
 * fails closed.
 */
export function inheritableFds(from: number, proc = '/proc/self'): number[] {
  let names: string[];
  try {
    names = readdirSync(`${proc}/fd`);
  } catch (error) {
    throw new SandboxSetupError(`cannot list this process's open descriptors (${proc}/fd), so cannot keep them from the sandbox`, '', {
      hint: 'cordon needs /proc mounted to run commands; check `ls /proc/self/fd`',
      cause: error,
    });
  }
  const buffer = Buffer.alloc(FDINFO_BYTES);
  const leaked: number[] = [];
  for (const name of names) {
    const fd = Number(name);
    if (!Number.isInteger(fd) || fd < from) continue;
    const info = readFdinfo(`${proc}/fdinfo/${name}`, buffer);
    if (info !== undefined && closesOnExec(info) !== true) leaked.push(fd);
  }
  return leaked.sort((a, b) => a - b);
}

/** Three syscalls (open, read, close): about half the time of readFileSync here. */
function readFdinfo(file: string, buffer: Buffer): string | undefined {
  let handle: number;
  try {
    handle = openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return buffer.toString('latin1', 0, readSync(handle, buffer, 0, buffer.length, 0));
  } finally {
    closeSync(handle);
  }
}

/** The stdio tail that hides inherited descriptors, and the /dev/null to close once spawned. */
export interface InheritedCover {
  /** Entries for stdio[from], stdio[from + 1], ... (empty when nothing leaks). */
  stdio: CoverEntry[];
  /** Closes the cover descriptor: the child holds its own copy once spawn() has returned. */
  close(): void;
}

/**
 * Scans and builds the cover for a launch whose stdio array is already fixed below `from`.
 * Refuses (fail closed, nothing spawned) when a leaked descriptor is above MAX_COVERED_FD.
 */
export function coverInheritedFds(from: number, proc = '/proc/self'): InheritedCover {
  const leaked = inheritableFds(from, proc);
  if (leaked.length === 0) return { stdio: [], close: () => {} };
  const tooHigh = leaked.filter((fd) => fd > MAX_COVERED_FD);
  if (tooHigh.length > 0) {
    const named = tooHigh.map((fd) => `fd ${fd} -> ${describeFd(proc, fd)}`).join(', ');
    throw new SandboxSetupError(`this process holds descriptors without close-on-exec that the sandbox would inherit: ${named}`, '', {
      hint: `start the harness without them (in a shell: \`${tooHigh.map((fd) => `${fd}>&-`).join(' ')}\` on its command line), or open them with O_CLOEXEC; cordon hides such descriptors up to fd ${MAX_COVERED_FD} only`,
    });
  }
  // Read-only and close-on-exec itself: what the command finds at those numbers is an empty,
  // unwritable /dev/null.
  const cover = openSync('/dev/null', 'r');
  let open = true;
  return {
    stdio: coverEntries(from, leaked, cover),
    close: () => {
      if (open) closeSync(cover);
      open = false;
    },
  };
}

function describeFd(proc: string, fd: number): string {
  try {
    return readlinkSync(`${proc}/fd/${fd}`);
  } catch {
    return '(closed)';
  }
}

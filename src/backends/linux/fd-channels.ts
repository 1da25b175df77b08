import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ExtraFd } from '../types.js';

/**
 * Extra descriptors for the launcher (bwrap's seccomp input, its status output) as unlinked
 * files rather than pipes. Measured here: handing execa two pipes beyond stdio cost ~1.4 ms per
 * command in stream plumbing; two plain file descriptors cost next to nothing. The files live
 * on tmpfs (/dev/shm) when it is there, are unlinked the moment they are opened, and their
 * descriptors are closed as soon as the command ends. bwrap reads the filter from offset 0
 * (written with pwrite, so the shared offset stays at 0) and appends its status, which is
 * read back with pread.
 */
export interface OpenedFds {
  /** Descriptor numbers for stdio[3], stdio[4], ... in the order of the plan's extraFds. */
  stdio: number[];
  /** bwrap's status JSON written so far. */
  readStatus(): string;
  /** Close everything (idempotent). */
  close(): void;
}

const SHM = '/dev/shm';

function openAnonymous(dir: string): number {
  const file = path.join(dir, `cordon-${process.pid}-${randomBytes(6).toString('hex')}`);
  const fd = openSync(file, 'wx+', 0o600);
  unlinkSync(file);
  return fd;
}

function anonymousFile(): number {
  try {
    return openAnonymous(SHM);
  } catch {
    return openAnonymous(os.tmpdir()); // no tmpfs at /dev/shm: same thing on disk
  }
}

export function openExtraFds(extraFds: readonly ExtraFd[]): OpenedFds {
  const opened: number[] = [];
  let statusFd: number | undefined;
  const close = () => {
    for (const fd of opened.splice(0)) closeSync(fd);
  };
  try {
    for (const extra of extraFds) {
      const fd = anonymousFile();
      opened.push(fd);
      if (extra.direction === 'in') writeSync(fd, extra.data, 0, extra.data.length, 0);
      else statusFd = fd;
    }
  } catch (error) {
    close();
    throw error;
  }
  const stdio = [...opened];
  return {
    stdio,
    readStatus: () => {
      if (statusFd === undefined || !opened.includes(statusFd)) return '';
      const size = fstatSync(statusFd).size;
      const buffer = Buffer.alloc(size);
      readSync(statusFd, buffer, 0, size, 0);
      return buffer.toString('utf8');
    },
    close,
  };
}

import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { seccompBinding } from '../../native/seccomp.js';
import type { ExtraFd, ProxyDoor } from '../types.js';

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
  /** Right after the spawn: closes our copy of the door's end and waits for its listener. */
  launched(): void;
  /** Present when the plan has a proxy door (network allowlist). */
  proxyDoor?: ProxyDoor;
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
  let door: DoorChannel | undefined;
  const close = () => {
    for (const fd of opened.splice(0)) closeSync(fd);
    door?.close();
  };
  const stdio: number[] = [];
  try {
    for (const extra of extraFds) {
      if (extra.direction === 'both') {
        door = doorChannel();
        stdio.push(door.childEnd);
        continue;
      }
      const fd = anonymousFile();
      opened.push(fd);
      stdio.push(fd);
      if (extra.direction === 'in') writeSync(fd, extra.data, 0, extra.data.length, 0);
      else statusFd = fd;
    }
  } catch (error) {
    close();
    throw error;
  }
  return {
    stdio,
    launched: () => door?.launched(),
    ...(door === undefined ? {} : { proxyDoor: door.door }),
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

interface DoorChannel {
  childEnd: number;
  door: ProxyDoor;
  launched(): void;
  close(): void;
}

/**
 * The host's end of the hand-over with cordon-proxy-door (native/proxy_door.c): a socketpair
 * whose child end becomes the door's CHANNEL_FD. The door sends its listener, then blocks until
 * `answer`: 'Y' lets it exec the command; closing without it makes it exit 125. Our end stays
 * open while the receive waits (its poll watches that descriptor), whatever order the command's
 * end and the receive's callback come in.
 */
function doorChannel(): DoorChannel {
  const binding = seccompBinding();
  const [hostEnd, childEnd] = binding.socketPair();
  let childOpen = true;
  let hostOpen = true;
  let receiving = false;
  let closeRequested = false;
  let answered = false;
  let settle: { resolve(fd: number | undefined): void; reject(error: Error): void } | undefined;
  const listener = new Promise<number | undefined>((resolve, reject) => (settle = { resolve, reject }));
  // A rejection nobody awaits (the spawn itself failed) must not crash the process.
  listener.catch(() => undefined);
  const closeHost = () => {
    if (hostOpen && !receiving) {
      hostOpen = false;
      closeSync(hostEnd);
    }
  };
  const closeChild = () => {
    if (childOpen) {
      childOpen = false;
      closeSync(childEnd);
    }
  };
  return {
    childEnd,
    door: {
      listener,
      answer(ready) {
        if (!hostOpen || closeRequested || answered) return;
        answered = true;
        // One byte into an empty socket buffer: never blocks. EPIPE: the sandbox was killed
        // after the hand-over (a cancel, a timeout); there is no one left to tell.
        if (ready) {
          try {
            writeSync(hostEnd, 'Y');
          } catch {
            // the door is gone
          }
        }
        // Still receiving (an answer before the listener arrived): the callback closes it.
        closeHost();
      },
    },
    launched() {
      // Only the sandbox holds the child end now: if the door dies before sending, we see EOF.
      closeChild();
      receiving = true;
      binding.receiveDescriptor(hostEnd, (fd, errno) => {
        receiving = false;
        if (fd >= 0) settle?.resolve(fd);
        else if (errno === 0) settle?.resolve(undefined); // the sandbox ended first
        else settle?.reject(new Error(`receiving the proxy listener failed (errno ${errno})`));
        if (closeRequested || answered) closeHost();
      });
    },
    close() {
      closeChild();
      closeRequested = true;
      settle?.resolve(undefined);
      closeHost();
    },
  };
}

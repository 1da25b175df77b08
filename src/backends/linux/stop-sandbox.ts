/**
 * Ending a bwrap sandbox from the host at ANY moment of its life, including the first
 * milliseconds, when killing bwrap alone is not enough.
 *
 * bwrap (0.8, read in its source and measured here) runs as two processes on the host: the
 * one we spawned (the "monitor") clone()s the sandbox's pid 1 ("init") into new namespaces,
 * writes the uid map, reports `child-pid` on the status fd, releases init through an eventfd
 * and then waits for it. Init mounts the sandbox, forks the command and only THEN arms
 * PR_SET_PDEATHSIG (--die-with-parent). Killed before that point, the monitor leaves init
 * behind under pid 1: either blocked forever on the eventfd (holding the command's stdout, so
 * the caller's promise never settles) or going on to run the whole command, orphaned, while
 * the caller's result says "canceled". Measured on the old code: 22 of 50 aborts at 0-5 ms and
 * 28 of 50 timeouts of 1-5 ms let the command run to its end; 13 of those 100 left a sandbox
 * orphaned under pid 1 with a promise that never settled.
 *
 * So cordon ends the sandbox itself, in an order that leaves no window:
 *  1. SIGSTOP the monitor and wait until the kernel shows it stopped. A stopped process
 *     cannot clone, and cannot reap: its children's pids stay theirs (no pid-reuse race).
 *  2. If bwrap already reported the command's exit ("exit-code" on the status fd), the command
 *     ended on its own: resume the monitor and touch nothing ('finished').
 *  3. SIGKILL every child of the monitor. Its only child is the sandbox's init, and when a pid
 *     namespace's init dies the kernel kills everything in that namespace.
 *  4. No child yet means bwrap has not cloned: killing the stopped monitor is then enough.
 *  5. Wait until init is a zombie. The kernel makes a namespace's init a zombie only after
 *     every other process of the namespace is gone, so after that not even a syscall that was
 *     in flight at the kill can land: whatever runs after the result sees the final state.
 * The monitor is left stopped: the caller sends the kill signal it wants the result to show,
 * then {@link releaseBwrap} resumes the monitor so that signal is delivered (a stopped process
 * keeps even SIGTERM pending). Resuming is safe: its sandbox is dead, or it was killed.
 *
 * The waits poll /proc asynchronously (the stop takes ~1 ms, a namespace's teardown 5-10 ms
 * here, more on a loaded machine) rather than blocking the event loop.
 */
import { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StopOutcome } from '../../termination.js';

/** Upper bound for the monitor to show as stopped (measured: about a millisecond). */
const HALT_WAIT_MS = 2000;
/** Upper bound for a killed sandbox to be torn down (measured: 5-10 ms). */
const TEARDOWN_WAIT_MS = 2000;

/**
 * Signals through the ChildProcess handle rather than process.kill(pid): once Node has reaped
 * the monitor the handle refuses, so a recycled pid can never be hit. The prototype's kill,
 * not the instance's: execa (and src/termination.ts) wrap the instance's.
 */
function signalMonitor(monitor: ChildProcess, signal: NodeJS.Signals): boolean {
  try {
    return ChildProcess.prototype.kill.call(monitor, signal);
  } catch {
    return false;
  }
}

/** Node has reaped the monitor: its pid may already belong to someone else. */
const reaped = (monitor: ChildProcess) => monitor.exitCode !== null || monitor.signalCode !== null;

/** The one-letter state from /proc/PID/stat, or undefined once the process is gone. */
function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.charAt(stat.lastIndexOf(')') + 2);
  } catch {
    return undefined;
  }
}

/** Polls until `done()` or the deadline; false on timeout. */
async function until(done: () => boolean, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (!done()) {
    if (performance.now() > deadline) return false;
    await sleep(1);
  }
  return true;
}

/** Children of a stopped process: /proc's children list, or a scan of /proc where the kernel lacks it. */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number);
  } catch {
    const children: number[] = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (ppid === pid) children.push(Number(entry));
      } catch {
        // gone meanwhile
      }
    }
    return children;
  }
}

/**
 * Stops the sandbox run by `monitor` (a spawned bwrap), see the file comment. `readStatus`
 * returns what bwrap wrote to its --json-status-fd so far.
 */
export async function stopBwrapSandbox(monitor: ChildProcess, readStatus: () => string): Promise<StopOutcome> {
  const pid = monitor.pid;
  const exited = (): StopOutcome => (readStatus().includes('"exit-code"') ? 'finished' : 'gone');
  if (pid === undefined || !signalMonitor(monitor, 'SIGSTOP')) return exited();
  // SIGSTOP is delivered asynchronously: wait until the monitor is really halted (or dead).
  // Every /proc read below happens in the same tick as a check that Node has not reaped it.
  const halted = await until(() => reaped(monitor) || 'TtZX'.includes(processState(pid) ?? 'X'), HALT_WAIT_MS);
  if (reaped(monitor) || 'ZX'.includes(processState(pid) ?? 'X')) return exited();
  if (readStatus().includes('"exit-code"')) {
    signalMonitor(monitor, 'SIGCONT');
    return 'finished';
  }
  const children = childrenOf(pid);
  for (const child of children) {
    try {
      process.kill(child, 'SIGKILL'); // pinned: the stopped monitor cannot reap it
    } catch {
      // already dead, or not ours to signal (a setuid bwrap): the monitor's kill below is all we have
    }
  }
  // Not halted in time (never seen in measurements): kill the monitor too, so at worst the old
  // behaviour remains.
  if (!halted || children.length === 0) signalMonitor(monitor, 'SIGKILL');
  await until(() => children.every((child) => 'ZX'.includes(processState(child) ?? 'X')), TEARDOWN_WAIT_MS);
  return 'stopped';
}

/**
 * After 'stopped' and the caller's own kill signal: resume the monitor. A fatal signal is then
 * delivered before it runs another instruction; otherwise it finds its sandbox dead and exits.
 */
export function releaseBwrap(monitor: ChildProcess): void {
  signalMonitor(monitor, 'SIGCONT');
}

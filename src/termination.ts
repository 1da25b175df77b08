/**
 * Cancellation, timeouts and `.kill()` for a sandboxed command, decided by cordon instead of
 * execa. Left to execa, a cancel during bwrap's first milliseconds only killed bwrap's outer
 * process and the sandbox ran on orphaned (see src/backends/linux/stop-sandbox.ts).
 *
 * execa never sees the caller's `cancelSignal` or `timeout`. It gets a signal of ours, which
 * is aborted only after the sandbox is really stopped, so its result flags stay truthful:
 *
 * - `isCanceled` / `timedOut` mean: cordon killed the sandbox before bwrap had reported the
 *   command's exit. Nothing in the sandbox runs after that: its pid namespace is gone before
 *   the result exists. Effects the command had made before the kill remain, as with any kill.
 * - If bwrap had already reported the exit, the cancel or timeout came too late: nothing is
 *   killed and the command's real result (exit code, output) is returned, not marked.
 *   The one window this cannot see is the few microseconds between the command's exit and
 *   bwrap's report of it; a cancel landing there is reported as a cancellation.
 *
 * The same stop runs when the caller calls `.kill()` with a signal that ends bwrap.
 */
import { constants } from 'node:os';
import type { ResultPromise } from 'execa';

export type StopOutcome =
  /** The sandbox was killed before the command had ended, and is gone: a real cancellation. */
  | 'stopped'
  /** The launcher had already reported the command's exit: nothing was killed, the result is real. */
  | 'finished'
  /** The launcher had already exited (setup failure, or ended); nothing left to stop. */
  | 'gone';

export interface TerminationOptions {
  cancelSignal?: unknown;
  /** Milliseconds; 0 or undefined means none (execa's convention). */
  timeout?: number;
  /** The signal execa sends when it kills (execa's `killSignal` option). */
  killSignal?: NodeJS.Signals | number;
}

/**
 * How the sandbox is ended: `stop` kills it and resolves once it is gone, leaving the launcher
 * stopped (Linux: stopBwrapSandbox); `release` resumes the launcher after its kill signal.
 */
export interface SandboxStopper {
  stop(): Promise<StopOutcome>;
  release(): void;
}

export interface Termination {
  /** What execa gets as `cancelSignal` (undefined when there is nothing to watch). */
  readonly execaSignal: AbortSignal | undefined;
  /** Starts the timer and the cancel listener, and guards `.kill()`. Call once the subprocess exists. */
  start(subprocess: ResultPromise, stopper: SandboxStopper): void;
  /** execa can only say "canceled": turns that into "timed out" when it was our timeout. */
  relabel<T>(resultOrError: T): T;
  /** The command has ended: drop the timer and listener. */
  dispose(): void;
}

/** Aborts execa's signal for a timeout; an empty message keeps execa's text free of it. */
class TimeoutReached extends Error {
  constructor() {
    super('');
    this.name = 'TimeoutReached';
  }
}

/** The checks execa would have made on the options it no longer sees. */
export function validateTermination({ cancelSignal, timeout }: TerminationOptions): void {
  if (cancelSignal !== undefined && Object.prototype.toString.call(cancelSignal) !== '[object AbortSignal]') {
    throw new TypeError(`The \`cancelSignal\` option must be an AbortSignal: ${String(cancelSignal)}`);
  }
  if (timeout !== undefined && (!Number.isFinite(timeout) || timeout < 0)) {
    throw new TypeError(`Expected the \`timeout\` option to be a non-negative integer, got \`${timeout}\` (${typeof timeout})`);
  }
}

/** Signals whose default action leaves bwrap's launcher alive (it installs no handlers). */
const HARMLESS_TO_BWRAP = new Set(['SIGCHLD', 'SIGCONT', 'SIGURG', 'SIGWINCH', 'SIGSTOP', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU'].map((s) => constants.signals[s as NodeJS.Signals]));

function endsBwrap(signal: NodeJS.Signals | number): boolean {
  const number = typeof signal === 'number' ? signal : constants.signals[signal];
  return number !== undefined && number !== 0 && !HARMLESS_TO_BWRAP.has(number);
}

export function createTermination(options: TerminationOptions): Termination {
  validateTermination(options);
  const cancelSignal = options.cancelSignal as AbortSignal | undefined;
  const timeout = options.timeout !== undefined && options.timeout > 0 ? options.timeout : undefined;
  const inner = cancelSignal !== undefined || timeout !== undefined ? new AbortController() : undefined;
  let reason: 'cancel' | 'timeout' | undefined;
  let ending = false;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;

  const dispose = () => {
    if (timer !== undefined) clearTimeout(timer);
    if (onAbort !== undefined) cancelSignal?.removeEventListener('abort', onAbort);
    timer = onAbort = undefined;
  };

  const end = (why: 'cancel' | 'timeout', abortReason: unknown, stopper: SandboxStopper) => {
    if (inner === undefined || ending) return;
    ending = true;
    dispose();
    void stopper.stop().then((outcome) => {
      // 'finished' / 'gone': the command ended on its own, so its real result stands.
      if (outcome !== 'stopped') return;
      reason = why;
      // The sandbox is gone; its stopped launcher keeps the result from settling until execa
      // has marked it and killed the launcher through the guarded .kill() below (which then
      // resumes it). The setImmediate is only a backstop.
      inner.abort(abortReason);
      setImmediate(() => stopper.release());
    });
  };

  return {
    execaSignal: inner?.signal,
    start(subprocess, sandbox) {
      const stopper = stopOnce(sandbox);
      guardKill(subprocess, stopper, options.killSignal ?? 'SIGTERM');
      if (timeout !== undefined) timer = setTimeout(() => end('timeout', new TimeoutReached(), stopper), timeout);
      if (cancelSignal !== undefined) {
        onAbort = () => end('cancel', cancelSignal.reason, stopper);
        if (cancelSignal.aborted) onAbort();
        else cancelSignal.addEventListener('abort', onAbort, { once: true });
      }
    },
    relabel(value) {
      const r = value as { isCanceled?: boolean; timedOut?: boolean; shortMessage?: string; message?: string; cause?: unknown } | undefined;
      if (reason !== 'timeout' || r === undefined || r === null || typeof r !== 'object' || r.isCanceled !== true) return value;
      const said = `Command timed out after ${timeout} milliseconds`;
      r.isCanceled = false;
      r.timedOut = true;
      if (typeof r.shortMessage === 'string') r.shortMessage = r.shortMessage.replace(/^Command was canceled/, said);
      if (typeof r.message === 'string') r.message = r.message.replace(/^Command was canceled/, said);
      if (r.cause instanceof TimeoutReached) delete r.cause;
      return value;
    },
    dispose,
  };
}

/** The first outcome is final (a stopped sandbox stays stopped), so execa's own kill after our abort costs nothing. */
function stopOnce(sandbox: SandboxStopper): SandboxStopper {
  let outcome: Promise<StopOutcome> | undefined;
  return { stop: () => (outcome ??= sandbox.stop()), release: () => sandbox.release() };
}

/**
 * `.kill()` from the caller goes through the same stop when its signal would end bwrap, and
 * the signal reaches bwrap's launcher once the sandbox is gone. If the command had already
 * ended on its own, the kill is not sent, so the result cannot claim a termination that did
 * not happen. It returns true: the kill was accepted (as Node does for a live process).
 */
function guardKill(subprocess: ResultPromise, stopper: SandboxStopper, killSignal: NodeJS.Signals | number): void {
  const execaKill = subprocess.kill.bind(subprocess) as (...args: unknown[]) => boolean;
  const kill = (...args: unknown[]): boolean => {
    const [first] = args;
    const signal = typeof first === 'string' || typeof first === 'number' ? (first as NodeJS.Signals | number) : killSignal;
    if (!endsBwrap(signal)) return execaKill(...args);
    void stopper.stop().then((outcome) => {
      if (outcome === 'finished') return;
      execaKill(...args);
      if (outcome === 'stopped') stopper.release();
    });
    return true;
  };
  Object.defineProperty(subprocess, 'kill', { value: kill, configurable: true, writable: true });
}

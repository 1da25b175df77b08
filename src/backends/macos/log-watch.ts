import { spawn, type ChildProcess } from 'node:child_process';
import type { Denial } from '../../sandbox-report.js';
import { parseSandboxViolations, type Violation } from './violations.js';

/** Always this binary: a `log` found on PATH could be the workspace's. */
export const LOG_BINARY = '/usr/bin/log';

/** How long a failed command waits for its denials to reach the log (delivery is asynchronous). */
export const FAILED_SETTLE_MS = 150;
/** Violations kept per run at most (a command looping on a denied path would otherwise grow this). */
const PER_TAG_CAP = 200;

/**
 * Seatbelt's own account of what it denied: every cordon rule carries
 * `(with message "cordon:<tag>:<kind>")`, and the kernel logs each denial with that message. One
 * `log stream` per runtime, started with the first command and kept while the runtime lives
 * (as sandbox-runtime does), collects the lines by tag; a run takes its own when it ends. The
 * watcher is unref'd: it never keeps the harness alive, and it is stopped by `close()`.
 * Delivery lags the denial: a failed command waits up to FAILED_SETTLE_MS for its lines, a
 * successful one takes what has arrived. Denials in the stream's first moments (before `log`
 * subscribed) are not seen.
 */
export class SeatbeltLogWatch {
  readonly #byTag = new Map<string, Violation[]>();
  readonly #waiters = new Set<() => void>();
  readonly #child: ChildProcess;
  #partial = '';

  constructor(logBinary: string = LOG_BINARY) {
    this.#child = spawn(logBinary, ['stream', '--style', 'ndjson', '--predicate', 'eventMessage CONTAINS "cordon:"'], {
      stdio: ['ignore', 'pipe', 'ignore'],
      env: { PATH: '/usr/bin:/bin' },
    });
    // A log that cannot start costs observed denials, never the command: inference still runs.
    this.#child.on('error', () => {});
    this.#child.stdout?.setEncoding('utf8');
    this.#child.stdout?.on('data', (chunk: string) => this.#take(chunk));
    this.#child.unref();
    (this.#child.stdout as unknown as { unref?: () => void } | null)?.unref?.();
  }

  /** This run's violations so far, removed from the store. */
  drain(tag: string): Violation[] {
    const found = this.#byTag.get(tag) ?? [];
    this.#byTag.delete(tag);
    return found;
  }

  /** Resolves when a new line arrived or after `ms`, whichever is first. */
  async settle(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      const waiters = this.#waiters;
      function done() {
        clearTimeout(timer);
        waiters.delete(done);
        resolve();
      }
      waiters.add(done);
    });
  }

  close(): void {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGKILL');
  }

  #take(chunk: string): void {
    const text = this.#partial + chunk;
    const cut = text.lastIndexOf('\n');
    this.#partial = cut < 0 ? text : text.slice(cut + 1);
    if (cut < 0) return;
    for (const v of parseSandboxViolations(text.slice(0, cut))) {
      if (v.tag === undefined) continue;
      const list = this.#byTag.get(v.tag) ?? [];
      if (list.length < PER_TAG_CAP) list.push(v);
      this.#byTag.set(v.tag, list);
    }
    for (const wake of [...this.#waiters]) wake();
  }
}

/** Seatbelt operations by the kind of access a harness asks about. */
export function violationToDenial(v: Violation): Denial {
  const op = v.operation;
  const kind: Denial['kind'] = op.startsWith('file-read') ? 'read' : op.startsWith('file-') ? 'write' : op.startsWith('network') ? (v.target?.startsWith('/') ? 'socket' : 'network') : 'syscall';
  const rule = `Seatbelt ${op}${v.rule ? ` (cordon ${v.rule} rule)` : ''}`;
  const denial: Denial = { kind, rule, certainty: 'observed', evidence: `${v.process}(${v.pid}) deny ${op}${v.target ? ` ${v.target}` : ''}` };
  if (kind === 'network' && v.target) {
    // `*:443`, `1.2.3.4:443`, `[::1]:443`, `example.com:443`
    const m = /^\[?([^\]\s]+?)\]?:(\d+)$/.exec(v.target);
    if (m) {
      if (m[1] !== '*') denial.host = m[1]!;
      denial.port = Number(m[2]);
    } else denial.host = v.target;
  } else if (v.path !== undefined) denial.path = v.path;
  return denial;
}

/** The watch for one run: nothing to wait for on success, a short settle on failure. */
export async function observedDenials(watch: SeatbeltLogWatch, tag: string, failed: boolean): Promise<Denial[]> {
  let found = watch.drain(tag);
  if (failed && found.length === 0) {
    await watch.settle(FAILED_SETTLE_MS);
    found = watch.drain(tag);
  }
  const seen = new Set<string>();
  const out: Denial[] = [];
  for (const v of found) {
    const d = violationToDenial(v);
    const key = `${d.kind}\0${d.path ?? d.host ?? d.evidence}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(d);
    }
  }
  return out;
}

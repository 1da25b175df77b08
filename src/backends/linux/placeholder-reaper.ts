import { spawn, type ChildProcess } from 'node:child_process';
import { placeholderRegistry } from './placeholder-registry.js';

/**
 * The reaper removes a harness's placeholders when the harness cannot: after a SIGKILL (or
 * any death that skips the 'exit' hook), empty `.envrc`, `.mcp.json`, `.vscode` ... would
 * otherwise stay in the user's repository until the next cordon command there.
 *
 * It is a `/bin/sh` blocked in `read` on a pipe whose write end only the harness holds
 * (close-on-exec, so no sandbox inherits it). It costs one fork+exec (about one bare spawn)
 * per active period of a runtime (see REAPER_LINGER_MS) and ~1 MB while it waits; node starts
 * only if the harness died:
 * - the runtime goes idle, is closed, or the process exits normally: the harness SIGKILLs the
 *   idle shell (synchronous, so it works in an 'exit' handler too) and nothing else runs;
 * - the harness dies: the kernel closes the pipe, `read` returns, and the shell execs node
 *   with the registry's own release code (placeholder-registry.ts), which waits until the
 *   harness is gone, drops its registrations and removes what no live process uses, with the
 *   usual lock, identity and emptiness checks.
 * The reaper lives in its own session (`detached`), so the terminal's Ctrl-C or hang-up to the
 * harness's process group does not reach it, and it ignores SIGINT/SIGHUP besides. It gets an
 * empty environment (no secrets, no NODE_OPTIONS) and `/` as cwd (it pins no mount).
 * Neither the child nor its pipe keeps the harness's event loop alive. Like bwrap, it inherits
 * descriptors the harness itself inherited without close-on-exec, and holds them ~0.3 s longer
 * than a dying harness would.
 */

// $1 node, $2 registry base, $3 harness pid; the script comes in the environment, so `ps` shows a
// short line while the shell waits. `read` returns only at EOF: nothing is written to the pipe.
const SHELL = `trap '' INT HUP; read -r _; exec "$1" -e "$CORDON_REAPER_SCRIPT" "$2" "$3"`;

/** PR_SET_PDEATHSIG teardown of the sandboxes is in-kernel and immediate; this is a margin. */
const SANDBOX_TEARDOWN_GRACE_MS = 100;
/** The pipe closes early in the kernel's exit path; the pid turns zombie microseconds later. */
const HARNESS_EXIT_WAIT_MS = 2_000;

/**
 * Run by the fresh node. Waits (bounded) until the harness pid is gone or a zombie — EOF can
 * only mean it exited, but we do not act on a live process's registrations on that word alone —
 * then gives its sandboxes, which die by --die-with-parent a few microseconds after it, a
 * moment more before any placeholder (their mount point) is removed.
 */
function reaperScript(): string {
  return `'use strict';
process.on('SIGINT', () => {}); process.on('SIGHUP', () => {});
const registry = (${placeholderRegistry.toString()})(require('node:fs'), require('node:path'), require('node:crypto'), (message) => new Error(message));
const [base, pidText] = process.argv.slice(1);
const pid = Number(pidText);
const wait = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const deadline = Date.now() + ${HARNESS_EXIT_WAIT_MS};
while (registry.isAlive(pid)) {
  if (Date.now() > deadline) process.exit(0);
  wait(10);
}
wait(${SANDBOX_TEARDOWN_GRACE_MS});
registry.reapDeadProcess(base, pid);
`;
}

/** Exported for the test that runs it in a plain node, as transformed and as bundled. */
export const REAPER_SCRIPT = reaperScript();

export interface ReaperOptions {
  /** The registry base (`$TMPDIR/cordon-$UID`) to clean up in, as the harness sees it. */
  registryBase: string;
  /** The node binary to run the cleanup with; default this process's (Electron-safe, see env). */
  nodePath?: string;
}

/** One armed reaper: start before placeholders exist, disarm once they are all released for good. */
export class PlaceholderReaper {
  readonly #child: ChildProcess;

  constructor(options: ReaperOptions) {
    this.#child = spawn('/bin/sh', ['-c', SHELL, 'cordon-placeholder-reaper', options.nodePath ?? process.execPath, options.registryBase, String(process.pid)], {
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
      cwd: '/',
      // ELECTRON_RUN_AS_NODE: in an Electron host (an editor extension) execPath is Electron itself.
      env: { ELECTRON_RUN_AS_NODE: '1', CORDON_REAPER_SCRIPT: REAPER_SCRIPT },
    });
    // A reaper that cannot start costs litter after a crash, never protection: do not fail the command.
    this.#child.on('error', () => {});
    this.#child.stdin?.on('error', () => {});
    this.#child.unref();
    (this.#child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  }

  /** The placeholders were released normally: end the waiting shell before it could ever act. */
  disarm(): void {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGKILL');
    this.#child.stdin?.destroy();
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }
}

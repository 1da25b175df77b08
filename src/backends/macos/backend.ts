import { ChildProcess } from 'node:child_process';
import type { ResultPromise } from 'execa';
import { SandboxSetupError } from '../../errors.js';
import type { FilteringProxyServer } from '../../network/types.js';
import type { ResolvedPolicy } from '../../policy/resolved.js';
import type { SandboxStopper, StopOutcome } from '../../termination.js';
import { failedCheck } from '../failed-check.js';
import type { Backend, Command, DenialWatch, DoctorCheck, Entered, LaunchChannels, LaunchPlan, PathVerdict, ProxyAccess } from '../types.js';
import { LOG_BINARY, observedDenials, SeatbeltLogWatch } from './log-watch.js';
import { macosExplainer } from './explain.js';
import { classifySeatbeltFailure, seatbeltCommandStarted } from './launch-failure.js';
import { planMacos, SANDBOX_EXEC, type MacosHost } from './plan.js';
import { probeSeatbelt, type SeatbeltProbe } from './probe.js';
import { makeRunDirs, newRunDir, removeRunDirs } from './run-dirs.js';
import { randomBytes } from 'node:crypto';

/**
 * Seatbelt through /usr/bin/sandbox-exec. Holds this runtime's probe (sandbox-exec works here,
 * where the user's temp dir is); each command gets a fresh run dir (its TMPDIR) on top.
 *
 * What Seatbelt does not give, unlike Linux's namespaces: no pid namespace, so a cancel or
 * timeout kills the command's process and the processes a command left behind live on (still
 * under the same profile, which they inherit); no private /tmp (hence the run dir).
 */
export interface MacosBackendOptions {
  /** The `log` binary whose stream of Seatbelt denials is read (default /usr/bin/log; tests pass a stand-in). */
  logBinary?: string;
}

export class MacosBackend implements Backend<MacosHost> {
  readonly name = 'macos' as const;
  readonly endsWithParent = false;
  /** The proxy listens on the host's loopback, which every local process can reach. */
  readonly proxyNeedsCredential = true;
  readonly #logBinary: string;
  #probe: SeatbeltProbe | undefined;
  #watch: SeatbeltLogWatch | undefined;

  constructor(options: MacosBackendOptions = {}) {
    this.#logBinary = options.logBinary ?? LOG_BINARY;
  }

  /** Cached facts, plus a fresh run dir and a fresh tag (so this run's log lines are its own). */
  probe(_env: NodeJS.ProcessEnv, untrustedDirs: readonly string[]): MacosHost {
    this.#probe ??= probeSeatbelt(untrustedDirs);
    return freshRunFacts(this.#probe.tempRoot);
  }

  /** Seatbelt's log lines for this run's tag (log-watch.ts); one `log stream` per runtime. */
  observe(plan: LaunchPlan): DenialWatch {
    const tag = plan.tag;
    if (tag === undefined) return { end: async () => [] };
    const watch = (this.#watch ??= new SeatbeltLogWatch(this.#logBinary));
    return { end: (failed) => observedDenials(watch, tag, failed) };
  }

  /** No run dir: a plan to read, which grants no temp location. */
  reviewHost(): MacosHost {
    return {};
  }

  /**
   * Seatbelt shares the host's network stack (no private loopback as on Linux), so the proxy
   * listens on the host's 127.0.0.1 now, before planning: the profile must name its port. Any
   * local process can connect there, so a proxy that asks for no credential is refused before
   * it listens.
   */
  proxyAccess(proxy: FilteringProxyServer): ProxyAccess {
    const credential = proxy.credential;
    if (credential === null) {
      throw new SandboxSetupError("the network proxy asks for no credential, but on macOS it listens on the host's loopback, where any local process could use it", '', {
        hint: "create the proxy with a credential (the default): cordon's own run path does",
      });
    }
    return { port: proxy.listenOnLoopback(), credential };
  }

  plan(policy: ResolvedPolicy, command: Command, host: MacosHost, proxy?: ProxyAccess): LaunchPlan {
    return planMacos(policy, command, host, proxy);
  }

  explainer(policy: ResolvedPolicy): (path: string) => PathVerdict {
    return macosExplainer(policy);
  }

  /** sandbox-exec takes nothing beside stdio and reports nothing: no channels. */
  openChannels(): LaunchChannels {
    return { stdio: [], readStatus: () => '', launched: () => {}, close: () => {} };
  }

  enter(_policy: ResolvedPolicy, plan: LaunchPlan): Entered {
    makeRunDirs(plan.runDirs);
    return { leave: () => removeRunDirs(plan.runDirs), replan: false };
  }

  stopper(subprocess: ResultPromise): SandboxStopper {
    return { stop: () => killCommand(subprocess), release: () => {} };
  }

  commandStarted(_readStatus: () => string, result: { exitCode?: number; stderr?: unknown }): boolean {
    return seatbeltCommandStarted(result);
  }

  classifyFailure(error: unknown, commandStarted: boolean): unknown {
    return classifySeatbeltFailure(error, commandStarted);
  }

  doctorChecks(): DoctorCheck[] {
    try {
      const host = this.probe(process.env, []);
      return [{ name: 'seatbelt', ok: true, detail: `${SANDBOX_EXEC} applied a trial profile; run dirs (TMPDIR) go under ${host.runDir === undefined ? '?' : host.runDir.slice(0, host.runDir.lastIndexOf('/'))}` }];
    } catch (error) {
      return [failedCheck('seatbelt', error)];
    }
  }

  close(): void {
    this.#watch?.close();
    this.#watch = undefined;
  }
}

/** What is new for every run: its own directory under the temp root, and its own log tag. */
export function freshRunFacts(tempRoot: string): MacosHost {
  return { runDir: newRunDir(tempRoot), sessionTag: randomBytes(6).toString('hex') };
}

/** sandbox-exec execs the command: its pid is the command's. 'finished' if it had already ended. */
async function killCommand(subprocess: ResultPromise): Promise<StopOutcome> {
  if (subprocess.exitCode !== null || subprocess.signalCode !== null) return 'finished';
  const exited = new Promise<void>((resolve) => subprocess.once('exit', () => resolve()));
  // The prototype's kill, not execa's wrapper (src/termination.ts guards that one).
  ChildProcess.prototype.kill.call(subprocess, 'SIGKILL');
  await exited;
  return 'stopped';
}

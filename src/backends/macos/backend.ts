import { ChildProcess } from 'node:child_process';
import type { ResultPromise } from 'execa';
import type { ResolvedPolicy } from '../../policy/resolved.js';
import type { SandboxStopper, StopOutcome } from '../../termination.js';
import { failedCheck } from '../failed-check.js';
import type { Backend, Command, DoctorCheck, Entered, LaunchChannels, LaunchPlan, PathVerdict } from '../types.js';
import { explainMacos } from './explain.js';
import { classifySeatbeltFailure, seatbeltCommandStarted } from './launch-failure.js';
import { planMacos, SANDBOX_EXEC, type MacosHost } from './plan.js';
import { probeSeatbelt, type SeatbeltProbe } from './probe.js';
import { makeRunDirs, newRunDir, removeRunDirs } from './run-dirs.js';

/**
 * Seatbelt through /usr/bin/sandbox-exec. Holds this runtime's probe (sandbox-exec works here,
 * where the user's temp dir is); each command gets a fresh run dir (its TMPDIR) on top.
 *
 * What Seatbelt does not give, unlike Linux's namespaces: no pid namespace, so a cancel or
 * timeout kills the command's process and the processes a command left behind live on (still
 * under the same profile, which they inherit); no private /tmp (hence the run dir).
 */
export class MacosBackend implements Backend<MacosHost> {
  readonly name = 'macos' as const;
  readonly endsWithParent = false;
  #probe: SeatbeltProbe | undefined;

  probe(_env: NodeJS.ProcessEnv, untrustedDirs: readonly string[]): MacosHost {
    this.#probe ??= probeSeatbelt(untrustedDirs);
    return { runDir: newRunDir(this.#probe.tempRoot) };
  }

  /** No run dir: a plan to read, which grants no temp location. */
  reviewHost(): MacosHost {
    return {};
  }

  plan(policy: ResolvedPolicy, command: Command, host: MacosHost): LaunchPlan {
    return planMacos(policy, command, host);
  }

  explain(policy: ResolvedPolicy, path: string): PathVerdict {
    return explainMacos(policy, path);
  }

  /** sandbox-exec takes nothing beside stdio and reports nothing: no channels. */
  openChannels(): LaunchChannels {
    return { stdio: [], readStatus: () => '', close: () => {} };
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

  close(): void {}
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

import { execa, type Options, type ResultPromise } from 'execa';
import { closeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CordonError, PolicyError, SandboxSetupError } from './errors.js';
import type { Backend, Command, DenialWatch, FdCover, LaunchChannels, LaunchPlan, PathVerdict } from './backends/types.js';
import { commandText, relabelCommand } from './command-text.js';
import { failedSubprocess } from './failed-subprocess.js';
import { createTermination, type Termination } from './termination.js';
import { loadProfile } from './policy/presets.js';
import { resolvePolicy } from './policy/resolve.js';
import type { Policy, PolicyInput } from './policy/schema.js';
import type { ResolvedPolicy } from './policy/resolved.js';
import { SandboxRuntime } from './runtime.js';
import { inferDenials } from './denials/infer.js';
import { mergeDenials } from './denials/merge.js';
import { withSuggestions } from './denials/suggestions.js';
import { attachReport, type Denial, type SandboxReport } from './sandbox-report.js';
import { createFilteringProxy, type FilteringProxyServer } from './network/proxy.js';
import { networkDecider } from './policy/network/decide.js';

export interface SandboxOptions {
  /** Absolute path of the directory the command may write. Default: process.cwd(). */
  workspace?: string;
  /** A policy object (validated strictly). Mutually exclusive with `profile`. */
  policy?: PolicyInput;
  /** A preset from profiles/ by name (`default`, `read-only`, `strict`). */
  profile?: string;
  /** Host facts and caches; defaults to one shared per process. */
  runtime?: SandboxRuntime;
}

export type SandboxedSpawnOptions = Options & SandboxOptions;

/**
 * The process-wide runtime holds only host facts (the backend's probe; on Linux where bwrap
 * is and the compiled filter): never a policy, so any number of policies can be used at once.
 */
const defaultRuntime = new SandboxRuntime();

/** stdio[0..2] are the caller's; the plan's extra descriptors follow from here. */
const FIRST_EXTRA_FD = 3;

/** Options that would bypass the sandbox or the argv discipline; refused, never ignored. */
const REFUSED_OPTIONS = ['shell', 'node', 'detached', 'uid', 'gid', 'ipc', 'ipcInput', 'serialization'] as const;

/**
 * Runs `file args` inside the sandbox and returns execa's result promise (awaitable, with
 * streams and `.kill()`). A policy or setup problem rejects with a CordonError subclass;
 * the command's own failure stays an execa error.
 *
 * Platform-neutral: select (the runtime's backend), resolve, probe, plan, enter, launch. What
 * differs per OS is behind the Backend interface (src/backends/types.ts).
 */
export function sandboxedSpawn<O extends SandboxedSpawnOptions = {}>(file: string, args?: readonly string[], options?: O): ResultPromise<O>;
export function sandboxedSpawn<O extends SandboxedSpawnOptions = {}>(file: string, options?: O): ResultPromise<O>;
// Generic over the options as execa is: `stdout` is a string with default options, a Uint8Array
// with `encoding: 'buffer'`, and so on.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the implementation signature is invisible; callers see the overloads.
export function sandboxedSpawn(file: string, args?: readonly string[] | SandboxedSpawnOptions, options?: SandboxedSpawnOptions): ResultPromise<any> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return sandboxedSpawnWith(PROTECTED, file, args, options) as unknown as ResultPromise<any>;
}

/**
 * Protections of the launch itself that a test may switch off, to show the attack it stops
 * works without it. Not exported from the package.
 */
export interface LaunchInternals {
  /** Hide descriptors this process holds without close-on-exec, where the backend can (Linux: src/backends/linux/inherited-fds.ts). */
  readonly coverInheritedFds: boolean;
}

const PROTECTED: LaunchInternals = { coverInheritedFds: true };

/** sandboxedSpawn with explicit launch internals; for tests only. */
export function sandboxedSpawnWith(internals: LaunchInternals, file: string, args?: readonly string[] | SandboxedSpawnOptions, options?: SandboxedSpawnOptions): ResultPromise {
  const argv = Array.isArray(args) ? (args as readonly string[]) : [];
  const opts = (Array.isArray(args) ? options : (args as SandboxedSpawnOptions | undefined)) ?? {};
  const runtime = opts.runtime ?? defaultRuntime;
  let prepared: Prepared | undefined;
  let leave: () => void;
  try {
    prepared = prepareLaunch(file, argv, opts);
    let entered = prepared.backend.enter(prepared.policy, prepared.plan);
    if (entered.replan) {
      // The host changed between planning and entering (see Entered.replan): once more.
      entered.leave();
      void prepared.proxy?.close();
      prepared = prepareLaunch(file, argv, opts);
      entered = prepared.backend.enter(prepared.policy, prepared.plan);
    }
    leave = () => entered.leave();
  } catch (error) {
    void prepared?.proxy?.close();
    return failedSubprocess(error);
  }
  // Taken after placeholders exist, so they count as the user's, not as planted.
  const endCheck = runtime.hostGuard?.begin(prepared.policy.writableRoots) ?? (() => []);
  const { policy, backend } = prepared;
  return launch(prepared, opts, internals, (outcome, observed) => {
    leave();
    // Built only if the output names a path: most commands' output names none.
    let explain: ((p: string) => PathVerdict) | undefined;
    const inferred = inferDenials(outcome, { policy, platform: backend.name, explain: (p) => (explain ??= backend.explainer(policy))(p) });
    return { policy: policy.policy, denials: mergeDenials(withSuggestions(observed, policy), inferred), quarantined: endCheck() };
  });
}

export interface Prepared {
  policy: ResolvedPolicy;
  plan: LaunchPlan;
  backend: Backend;
  /** What the caller asked to run (the plan runs the launcher). */
  command: Command;
  /** Network allowlist: this command's filtering proxy (the caller closes it). */
  proxy?: FilteringProxyServer;
}

/**
 * Validate, resolve, probe and plan; throws before anything is touched. `cordon run` and
 * `cordon print` both come through here, so print shows exactly what run executes. For review:
 * a network allowlist's proxy is closed again before this returns (the plan names its port).
 */
export function prepare(file: string, args: readonly string[], opts: SandboxedSpawnOptions): Omit<Prepared, 'proxy'> {
  const { proxy, ...prepared } = prepareLaunch(file, args, opts);
  void proxy?.close();
  return prepared;
}

/** prepare(), keeping the network allowlist's proxy for the launch; it is closed if planning throws. */
function prepareLaunch(file: string, args: readonly string[], opts: SandboxedSpawnOptions): Prepared {
  if (typeof file !== 'string' || file.length === 0 || file.includes('\0')) {
    throw new PolicyError('ERR_CORDON_POLICY_INVALID', [{ path: 'file', message: 'the command must be a non-empty string without NUL bytes' }]);
  }
  args.forEach((arg, i) => {
    if (typeof arg !== 'string' || arg.includes('\0')) throw new PolicyError('ERR_CORDON_POLICY_INVALID', [{ path: `args.${i}`, message: 'arguments must be strings without NUL bytes' }]);
  });
  for (const name of REFUSED_OPTIONS) {
    if ((opts as Record<string, unknown>)[name] !== undefined && (opts as Record<string, unknown>)[name] !== false) {
      throw new PolicyError('ERR_CORDON_POLICY_INVALID', [{ path: name, message: `the execa option "${name}" cannot be used inside the sandbox` }], {
        hint: name === 'shell' ? 'pass argv, or run ["sh", ["-c", script]] explicitly' : 'remove it',
      });
    }
  }
  const runtime = opts.runtime ?? defaultRuntime;
  const backend = runtime.backend;
  const policyInput = choosePolicy(opts);
  const parentEnv = opts.extendEnv === false ? { ...(opts.env ?? {}) } : { ...process.env, ...(opts.env ?? {}) };
  const policy = resolvePolicy(policyInput, {
    workspace: opts.workspace ?? process.cwd(),
    ...(opts.cwd === undefined ? {} : { cwd: opts.cwd instanceof URL ? fileURLToPath(opts.cwd) : opts.cwd }),
    env: parentEnv,
    scanCache: runtime.scanCache,
  });
  if (policy.network.allow.length === 0) {
    // A launcher found inside a writable root could be replaced by the command it sandboxes.
    const host = backend.probe(process.env, policy.writableRoots);
    return { policy, plan: backend.plan(policy, { file, args }, host), backend, command: { file, args } };
  }
  const proxy = proxyFor(backend, policy);
  try {
    const access = backend.proxyAccess(proxy);
    const host = backend.probe(process.env, policy.writableRoots);
    return { policy, plan: backend.plan(policy, { file, args }, host, access), backend, command: { file, args }, proxy };
  } catch (error) {
    void proxy.close();
    throw error;
  }
}

/** Network allowlist: a proxy of its own for one command, judging by this policy's rules, not yet listening. */
export function proxyFor(backend: Pick<Backend, 'proxyNeedsCredential'>, policy: ResolvedPolicy): FilteringProxyServer {
  return createFilteringProxy({ decide: networkDecider(policy.network), ...(backend.proxyNeedsCredential ? {} : { credential: null }) });
}

function choosePolicy(opts: SandboxOptions): PolicyInput | Policy | undefined {
  if (opts.policy !== undefined && opts.profile !== undefined) {
    throw new PolicyError('ERR_CORDON_POLICY_INVALID', [{ path: 'profile', message: 'pass either policy or profile, not both' }]);
  }
  return opts.profile !== undefined ? loadProfile(opts.profile) : opts.policy;
}

/**
 * `finish` runs once the command has ended (or could not start): it releases the placeholders
 * and runs the host check, whose report is attached to the result or error as `sandbox`.
 */
function launch({ policy, plan, backend, command, proxy }: Prepared, opts: SandboxedSpawnOptions, internals: LaunchInternals, finish: (outcome: unknown, observed: readonly Denial[]) => SandboxReport): ResultPromise {
  const { workspace: _w, policy: _p, profile: _pr, runtime: _r, cwd: _c, env: _e, extendEnv: _x, stdin, stdout, stderr, stdio, cancelSignal, timeout: _t, ...rest } = opts;
  const timeout = minDefined(opts.timeout, policy.limits.timeoutMs);
  const maxBuffer = capMaxBuffer(policy.limits.maxOutputBytes, rest.maxBuffer);
  let fds: LaunchChannels | undefined;
  let cover: FdCover | undefined;
  let watch: DenialWatch | undefined;
  let subprocess: ResultPromise;
  let termination: Termination;
  try {
    // Cancel and timeout are cordon's, not execa's: see src/termination.ts.
    termination = createTermination({ cancelSignal, timeout, killSignal: rest.killSignal });
    fds = backend.openChannels(plan);
    // Before the spawn, so no denial the sandbox reports can precede the watch.
    watch = backend.observe?.(plan);
    // Scanned in the same synchronous step as the spawn below; execa forks before returning.
    cover = internals.coverInheritedFds ? backend.coverInheritedFds?.(FIRST_EXTRA_FD + fds.stdio.length) : undefined;
    subprocess = execa(plan.file, plan.args, {
      // Linux: bwrap's --die-with-parent already takes the sandbox down with this process; execa's
      // own exit hook would only repeat that, at ~0.6 ms per command. A caller may still ask for it.
      cleanup: !backend.endsWithParent,
      ...rest,
      ...(termination.execaSignal === undefined ? {} : { cancelSignal: termination.execaSignal }),
      ...(maxBuffer === undefined ? {} : { maxBuffer }),
      cwd: plan.cwd,
      env: plan.env,
      extendEnv: false,
      stdio: [...baseStdio(stdio, stdin, stdout, stderr), ...fds.stdio, ...(cover?.stdio ?? [])],
    } as unknown as Options) as ResultPromise;
  } catch (error) {
    fds?.close();
    void proxy?.close();
    return failedSubprocess(attachReport(error, finish(error, [])));
  } finally {
    cover?.close();
  }
  const channels = fds;
  const sandbox = subprocess;
  channels.launched();
  const network = proxy === undefined ? undefined : connectProxy(proxy, channels);
  termination.start(subprocess, backend.stopper(sandbox, channels.readStatus));

  const commandStarted = (result: { exitCode?: number; stderr?: unknown }) => network?.failure() === undefined && backend.commandStarted(channels.readStatus, result);
  const classify = (error: unknown, started: boolean) => network?.failure() ?? (error instanceof CordonError ? error : backend.classifyFailure(error, started));

  const mapped = (subprocess as Promise<unknown>).then(
    (result) => {
      termination.relabel(result);
      // With `reject: false` a failed launch still resolves; a setup failure must not pass as the command's result.
      const r = result as { failed?: boolean; exitCode?: number; stderr?: unknown };
      if (r.failed && !commandStarted(r)) {
        const mapped = classify(result, false);
        if (mapped !== result) throw mapped;
      }
      return result;
    },
    (error: unknown) => {
      const relabeled = termination.relabel(error) as { exitCode?: number; stderr?: unknown };
      throw classify(relabeled, commandStarted(relabeled));
    },
  );
  // The command has ended (Linux: the sandbox's pid namespace is gone, even after a cancel
  // during setup), so what runs here sees the command's final effects.
  const done = async (outcome: unknown) => {
    termination.dispose();
    channels.close();
    const o = outcome as { failed?: boolean } | null;
    const observed = watch === undefined ? [] : await watch.end(o === null || typeof o !== 'object' || o.failed !== false);
    // The proxy's refusals are certain: each is a request it was asked to make and would not.
    const refused = proxy === undefined ? [] : proxy.denials();
    await proxy?.close();
    return finish(outcome, [...observed, ...refused]);
  };
  // The caller's command and cwd on what they get back, not the launcher's argv (a cordon
  // setup error keeps the launcher's in its `cause`: that is what failed there).
  const user = commandText(command.file, command.args);
  const relabel = <T>(value: T): T => (value instanceof CordonError ? value : relabelCommand(value, user, policy.cwd));
  const cleaned = mapped.then(
    async (result) => attachReport(relabel(result), await done(result)),
    async (error: unknown) => {
      throw attachReport(relabel(error), await done(error));
    },
  );
  for (const method of ['then', 'catch', 'finally'] as const) {
    Object.defineProperty(subprocess, method, { value: cleaned[method].bind(cleaned), configurable: true, writable: true });
  }
  return subprocess;
}

/** The network allowlist's hand-over, as it went: `failure()` is set when the proxy never came up. */
interface ProxyConnection {
  failure(): SandboxSetupError | undefined;
}

/**
 * Brings the proxy up for a launched command. Linux: the door's listener arrives, the proxy
 * accepts on it, then the door is told to exec the command (or, if anything failed, it is not
 * told and exits 125: the command never runs). macOS: the proxy already listens (proxyAccess).
 */
function connectProxy(proxy: FilteringProxyServer, channels: LaunchChannels): ProxyConnection {
  let failure: SandboxSetupError | undefined;
  const door = channels.proxyDoor;
  if (door !== undefined) {
    door.listener
      .then(async (fd) => {
        if (fd === undefined) return false; // the sandbox ended before the hand-over: not the proxy's failure
        try {
          await proxy.acceptOn(fd);
        } catch (error) {
          closeQuietly(fd);
          throw error;
        }
        return true;
      })
      .then(
        (ready) => door.answer(ready),
        (error: unknown) => {
          failure = new SandboxSetupError(`the network proxy could not come up, so the command was not run: ${error instanceof Error ? error.message : String(error)}`, '', {
            hint: 'run the command again; if it persists, run `cordon doctor`',
            cause: error,
          });
          door.answer(false);
        },
      )
      // Nothing above may become an unhandled rejection in the caller's process.
      .catch(() => undefined);
  }
  return { failure: () => failure };
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed by the failed listen
  }
}

function baseStdio(stdio: Options['stdio'], stdin: Options['stdin'], stdout: Options['stdout'], stderr: Options['stderr']): unknown[] {
  if (Array.isArray(stdio)) {
    if (stdio.length > 3) throw new PolicyError('ERR_CORDON_POLICY_INVALID', [{ path: 'stdio', message: 'file descriptors above 2 are reserved for the sandbox' }]);
    return [stdio[0] ?? 'pipe', stdio[1] ?? 'pipe', stdio[2] ?? 'pipe'];
  }
  if (typeof stdio === 'string') return [stdio, stdio, stdio];
  return [stdin ?? 'pipe', stdout ?? 'pipe', stderr ?? 'pipe'];
}

/**
 * The smaller of the policy's cap and the caller's own `maxBuffer`, whichever is stricter; a
 * per-stream object from the caller is capped stream by stream (execa applies its own default,
 * far above any policy cap, to the streams it does not name, so those get the cap).
 */
function capMaxBuffer(cap: number | undefined, caller: Options['maxBuffer']): Options['maxBuffer'] {
  if (cap === undefined) return caller;
  if (caller === undefined || typeof caller === 'number') return minDefined(cap, caller);
  const perStream = caller as Record<string, number | undefined>;
  const capped: Record<string, number> = { stdout: cap, stderr: cap, all: cap };
  for (const [stream, value] of Object.entries(perStream)) capped[stream] = minDefined(cap, value)!;
  return capped as Options['maxBuffer'];
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}


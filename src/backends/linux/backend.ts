import { lstatSync } from 'node:fs';
import type { ResultPromise } from 'execa';
import type { FilteringProxyServer } from '../../network/types.js';
import { findProxyDoor } from '../../native/proxy-door.js';
import { compileSeccompFilter } from '../../native/seccomp.js';
import type { ResolvedPolicy } from '../../policy/resolved.js';
import type { SandboxStopper } from '../../termination.js';
import { failedCheck } from '../failed-check.js';
import type { Backend, Command, DoctorCheck, Entered, FdCover, LaunchChannels, LaunchPlan, PathVerdict, ProxyAccess } from '../types.js';
import { openExtraFds } from './fd-channels.js';
import { linuxExplainer } from './explain.js';
import { coverInheritedFds } from './inherited-fds.js';
import { bwrapCommandStarted, classifyBwrapFailure } from './launch-failure.js';
import { PlaceholderSessions, type PlaceholderSessionsOptions } from './placeholder-sessions.js';
import { ensurePrivateRegistryBase } from './placeholders.js';
import { planLinux, SANDBOX_PROXY_PORT, type LinuxHost } from './plan.js';
import { bwrapVersion, findBwrap, probeBwrap, readUsernsFacts, type BwrapProbe } from './probe.js';
import { linuxSeccompSpec } from './seccomp-rules.js';
import { releaseBwrap, stopBwrapSandbox } from './stop-sandbox.js';

export interface LinuxBackendOptions {
  /** How placeholders for missing protected paths are kept (see PlaceholderSessions). */
  placeholders?: PlaceholderSessionsOptions;
}

/**
 * bubblewrap + seccomp. Holds this runtime's Linux host caches: the bwrap probe per binary
 * and the compiled filter (the same for every command, so computed once, never per command),
 * and the placeholder sessions for missing protected paths.
 */
export class LinuxBackend implements Backend<LinuxHost> {
  readonly name = 'linux' as const;
  readonly endsWithParent = true;
  /** The proxy's listener lives in the sandbox's own network namespace: nothing else can connect. */
  readonly proxyNeedsCredential = false;
  /** Placeholders for missing protected paths, kept per root while commands run there. */
  readonly placeholders: PlaceholderSessions;
  readonly #probes = new Map<string, BwrapProbe>();
  #filter: Uint8Array | undefined;
  /** cordon-proxy-door's path, found the first time a network allowlist needs it. */
  #proxyDoor: string | undefined;

  constructor(options: LinuxBackendOptions = {}) {
    this.placeholders = new PlaceholderSessions(options.placeholders);
  }

  probe(env: NodeJS.ProcessEnv, untrustedDirs: readonly string[]): LinuxHost {
    const found = findBwrap(env, untrustedDirs);
    let probe = found === undefined ? undefined : this.#probes.get(found);
    if (!probe) {
      probe = probeBwrap(env, untrustedDirs);
      this.#probes.set(probe.bwrapPath, probe);
    }
    const seccompFilter = (this.#filter ??= compileSeccompFilter(linuxSeccompSpec()));
    return {
      bwrapPath: probe.bwrapPath,
      supportsDisableUserns: probe.supportsDisableUserns,
      euid: probe.euid,
      seccompFilter,
      // The placeholder registry, masked in the sandbox wherever it would be visible. Made (0700)
      // and checked on every call, not cached: a tmp cleaner may have removed it, and a mask
      // needs its mount point. One lstat and one realpath, ~20 µs. untrustedDirs (the writable
      // roots) refuse a $TMPDIR reached through a symlink the command could replace.
      hostStateDirs: [ensurePrivateRegistryBase(untrustedDirs)],
      ...(this.#proxyDoor === undefined ? {} : { proxyDoor: this.#proxyDoor }),
    };
  }

  /**
   * Nothing listens yet: cordon-proxy-door opens the listener inside the sandbox at launch and
   * hands it over (openChannels). Finds the door (once), so probe() can put it in the host facts.
   */
  proxyAccess(_proxy: FilteringProxyServer): ProxyAccess {
    this.#proxyDoor ??= findProxyDoor();
    return { port: SANDBOX_PROXY_PORT };
  }

  plan(policy: ResolvedPolicy, command: Command, host: LinuxHost, proxy?: ProxyAccess): LaunchPlan {
    return planLinux(policy, command, host, proxy);
  }

  explainer(policy: ResolvedPolicy): (path: string) => PathVerdict {
    return linuxExplainer(policy);
  }

  openChannels(plan: LaunchPlan): LaunchChannels {
    return openExtraFds(plan.extraFds);
  }

  enter(policy: ResolvedPolicy, plan: LaunchPlan): Entered {
    const leave = this.placeholders.enter(policy.writableRoots, plan.placeholders);
    // Another process removed its placeholders between our resolution and our registration
    // (which now stops any further removal): the caller plans again from what is really there.
    return { leave, replan: !protectedSourcesExist(policy) };
  }

  coverInheritedFds(firstFree: number): FdCover {
    return coverInheritedFds(firstFree);
  }

  stopper(subprocess: ResultPromise, readStatus: () => string): SandboxStopper {
    return { stop: () => stopBwrapSandbox(subprocess, readStatus), release: () => releaseBwrap(subprocess) };
  }

  commandStarted(readStatus: () => string): boolean {
    return bwrapCommandStarted(readStatus());
  }

  classifyFailure(error: unknown, commandStarted: boolean): unknown {
    return classifyBwrapFailure(error, commandStarted);
  }

  doctorChecks(): DoctorCheck[] {
    const facts = readUsernsFacts();
    const checks: DoctorCheck[] = [
      {
        name: 'user namespaces',
        ok: facts.maxUserNamespaces !== 0 && facts.unprivilegedUsernsClone !== false && !facts.apparmorRestrictsUserns,
        detail: `max_user_namespaces=${facts.maxUserNamespaces ?? '?'}${facts.apparmorRestrictsUserns ? ', AppArmor restricts unprivileged userns' : ''}`,
      },
    ];
    try {
      const host = this.probe(process.env, []);
      checks.push({ name: 'bubblewrap', ok: true, detail: `${host.bwrapPath} ${bwrapVersion(host.bwrapPath)}, trial sandbox ok${host.supportsDisableUserns ? ', --disable-userns supported' : ', no --disable-userns (seccomp rule alone blocks nested user namespaces)'}` });
      checks.push({ name: 'seccomp filter', ok: host.seccompFilter.length > 0 && host.seccompFilter.length % 8 === 0, detail: `${host.seccompFilter.length / 8} BPF instructions compiled by the native addon` });
    } catch (error) {
      checks.push(failedCheck('bubblewrap + seccomp', error));
    }
    try {
      checks.push({ name: 'network allowlist', ok: true, detail: `cordon-proxy-door at ${findProxyDoor()}` });
    } catch (error) {
      checks.push(failedCheck('network allowlist (cordon-proxy-door)', error));
    }
    return checks;
  }

  close(): void {
    this.placeholders.releaseAll();
  }
}

/** Every protected path that resolution found existing must still exist to be bind-mounted. */
function protectedSourcesExist(policy: ResolvedPolicy): boolean {
  return policy.protect.every((rule) => rule.kind === 'missing' || lstatSync(rule.path, { throwIfNoEntry: false }) !== undefined);
}

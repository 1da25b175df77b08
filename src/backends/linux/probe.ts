import { spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import path from 'node:path';
import { SandboxUnavailableError } from '../../errors.js';
import { diagnoseBwrapFailure, type UsernsFacts } from './diagnose.js';

export interface BwrapProbe {
  bwrapPath: string;
  supportsDisableUserns: boolean;
  euid: number;
}

/** Places a distribution installs bwrap; searched before PATH. */
const TRUSTED_BWRAP_PATHS = ['/usr/bin/bwrap', '/usr/local/bin/bwrap', '/bin/bwrap'];

/**
 * Finds bwrap by absolute path. Never from a relative PATH entry or from inside the
 * workspace: a command (or a cloned repo) could otherwise plant a fake `bwrap` that runs
 * everything unsandboxed.
 */
export function findBwrap(env: NodeJS.ProcessEnv, untrustedDirs: readonly string[], trustedPaths: readonly string[] = TRUSTED_BWRAP_PATHS): string | undefined {
  const fromPath = (env.PATH ?? '')
    .split(':')
    .filter((dir) => path.isAbsolute(dir) && !untrustedDirs.some((u) => dir === u || dir.startsWith(u + '/')))
    .map((dir) => path.join(dir, 'bwrap'));
  for (const candidate of [...trustedPaths, ...fromPath]) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; try the next place
    }
  }
  return undefined;
}

function readKnob(file: string): number | undefined {
  try {
    const n = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isNaN(n) ? undefined : n;
  } catch {
    return undefined;
  }
}

export function readUsernsFacts(): UsernsFacts {
  const maxUserNamespaces = readKnob('/proc/sys/user/max_user_namespaces');
  const apparmor = readKnob('/proc/sys/kernel/apparmor_restrict_unprivileged_userns');
  const clone = readKnob('/proc/sys/kernel/unprivileged_userns_clone');
  const euid = process.geteuid?.() ?? -1;
  return {
    euid,
    ...(maxUserNamespaces === undefined ? {} : { maxUserNamespaces }),
    ...(apparmor === undefined ? {} : { apparmorRestrictsUserns: apparmor === 1 && euid !== 0 }),
    ...(clone === undefined ? {} : { unprivilegedUsernsClone: clone === 1 || euid === 0 }),
  };
}

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Synchronous on purpose: it runs once per process (runtime.ts caches it), and being sync
 * lets sandboxedSpawn() hand back execa's subprocess (streams, .kill()) synchronously.
 */
function run(file: string, args: string[]): RunResult {
  const r = spawnSync(file, args, { encoding: 'utf8', timeout: 10_000, env: { PATH: '/usr/bin:/bin' }, stdio: ['ignore', 'pipe', 'pipe'] });
  return { code: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? (r.error ? String(r.error) : '') };
}

/** The isolation flags every sandbox uses, tried once for real so failures surface at probe time. */
function trialArgs(withDisableUserns: boolean, euid: number): string[] {
  return [
    '--unshare-user', '--unshare-pid', '--unshare-net', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup',
    ...(withDisableUserns ? ['--disable-userns'] : []),
    ...(euid === 0 ? ['--cap-drop', 'ALL'] : []),
    '--new-session', '--die-with-parent',
    '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc',
    '--', '/bin/true',
  ];
}

/** `bubblewrap 0.8.0` -> `0.8.0`; for diagnostics only (the probe learns features by trying them). */
export function bwrapVersion(bwrapPath: string): string {
  return run(bwrapPath, ['--version']).stdout.trim().replace(/^bubblewrap\s*/, '') || 'unknown';
}

/**
 * Proves bwrap can build our namespaces on this machine and learns its options. Costs one
 * trial sandbox (~5 ms, a second only on a bwrap without --disable-userns); callers cache
 * the result per process (see runtime.ts).
 */
export function probeBwrap(env: NodeJS.ProcessEnv = process.env, untrustedDirs: readonly string[] = [], trustedPaths: readonly string[] = TRUSTED_BWRAP_PATHS): BwrapProbe {
  const facts = readUsernsFacts();
  const bwrapPath = findBwrap(env, untrustedDirs, trustedPaths);
  if (!bwrapPath) {
    throw new SandboxUnavailableError('ERR_CORDON_BWRAP_MISSING', 'bubblewrap (bwrap) is not installed', [`looked in ${TRUSTED_BWRAP_PATHS.join(', ')} and absolute PATH entries`], {
      hint: 'install it: sudo apt-get install -y bubblewrap (Fedora: sudo dnf install bubblewrap; Arch: sudo pacman -S bubblewrap)',
    });
  }
  let trial = run(bwrapPath, trialArgs(true, facts.euid));
  let supportsDisableUserns = true;
  if (trial.code !== 0 && /unknown option.*disable-userns/i.test(trial.stderr)) {
    supportsDisableUserns = false;
    trial = run(bwrapPath, trialArgs(false, facts.euid));
  }
  if (trial.code !== 0) throw diagnoseBwrapFailure(trial.stderr, facts);
  return { bwrapPath, supportsDisableUserns, euid: facts.euid };
}

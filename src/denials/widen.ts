import path from 'node:path';
import { PROTECTED_IN_HOME } from '../policy/defaults.js';
import { HomeLocator, type HomeLocation } from '../policy/home-locations.js';
import { isInside, kindOf, realpathLoose } from '../policy/paths.js';
import { HOME_PARENTS, isSystemDir } from '../policy/system-dirs.js';
import type { Denial } from '../sandbox-report.js';
import { widenNetwork } from './widen-network.js';

/**
 * The smallest widening that would allow one denial, or why none is offered. Only writes and
 * network connections are ever widened: a write to an existing directory the resolver would
 * accept as a writable root, a connection to exactly its host and port (widen-network.ts); so
 * a proposal can be fed straight back as the next call's policy.
 */
export type Widening =
  | { allow: string; display: string }
  /** A network.allow entry (widen-network.ts). */
  | { allowHost: string }
  | { refused: string };

/** What a proposal is checked against: whose homes are in play. */
export interface WideningFacts {
  /** The command's home (`~` in what is shown). */
  home: string;
  /** Every home in play (the resolver refuses a writable root that is or contains one). */
  homes: readonly string[];
  /** Their start-up locations, written and real (see startupLocations); looked up once per batch. */
  startup: () => readonly HomeLocation[];
}

/**
 * The facts for one batch of denials. Locating start-up files lists a few directories per home
 * (~1 ms each time): done at most once per batch, and only when a write is to be widened.
 */
export function wideningFacts(home: string, homes: readonly string[]): WideningFacts {
  let located: readonly HomeLocation[] | undefined;
  const startup = () => (located ??= new HomeLocator().locate(homes.filter((h) => h !== '/' && kindOf(h) === 'dir'), PROTECTED_IN_HOME));
  return { home, homes, startup };
}

export const SECRET_REFUSAL = 'a secret: not proposed';
export const PROTECTED_REFUSAL = 'a protected path: kept read-only so that host tools never act on what a command wrote there (not proposed)';
export const SECCOMP_REFUSAL = 'the seccomp filter is not widened by policy: unix sockets and this system call stay denied';

/**
 * Where tools keep caches under a home, as directories relative to it: a write below one is
 * allowed by that tool's own directory, not by the nearest directory that exists (which would
 * often be `~/.cache` as a whole, every tool's at once). `~/.cache/*` means the first level.
 * Left out on purpose: `~/.cargo/bin`, `~/.local/bin`, `~/go/bin` (start-up locations: on PATH).
 */
const TOOL_CACHES: readonly string[] = [
  '.cache/*',
  '.npm',
  '.cargo/registry',
  '.cargo/git',
  'go/pkg/mod',
  '.m2/repository',
  '.gradle/caches',
  '.gradle/wrapper',
  '.ivy2/cache',
  '.nuget/packages',
  '.bun/install/cache',
  '.yarn/berry/cache',
  '.local/share/pnpm/store',
];

export function widen(denial: Denial, facts: WideningFacts): Widening {
  if (denial.kind === 'network') return widenNetwork(denial);
  if (denial.kind === 'socket' || denial.kind === 'syscall') return { refused: SECCOMP_REFUSAL };
  // Every read the sandbox stops is of a secret or a read.deny path: never offered back.
  if (denial.kind === 'read' || /^denied\b|secret/.test(denial.rule)) return { refused: SECRET_REFUSAL };
  if (/^protected|pinned|cannot be renamed/.test(denial.rule)) return { refused: PROTECTED_REFUSAL };
  if (denial.path === undefined || !path.isAbsolute(denial.path)) return { refused: 'no absolute path to widen for' };

  const real = realpathLoose(denial.path);
  const cache = toolCacheDir(real, facts.home);
  let dir: string;
  if (cache !== undefined) {
    if (kindOf(cache) !== 'dir') return { refused: `${tilde(cache, facts.home)} does not exist yet: create it (mkdir -p ${tilde(cache, facts.home)}) if that tool may keep its cache there; cordon proposes only existing directories` };
    dir = cache;
  } else {
    dir = nearestDirectory(real);
  }
  const why = tooBroad(dir, facts);
  return why === undefined ? { allow: dir, display: tilde(dir, facts.home) } : { refused: why };
}

/** Why the resolver would refuse `dir` as a writable root (or it is too much to ask), or undefined. */
function tooBroad(dir: string, facts: WideningFacts): string | undefined {
  const shown = tilde(dir, facts.home);
  if (dir === '/') return '/ is never proposed';
  const home = facts.homes.find((h) => h !== '/' && isInside(h, dir));
  if (home !== undefined) return `${shown} ${home === dir ? 'is' : 'contains'} a home directory: a home as a whole is never proposed (name a project or cache directory inside it)`;
  if (HOME_PARENTS.includes(dir)) return `${shown} holds home directories: never proposed`;
  if (isSystemDir(dir)) return `${shown} is a system directory: never proposed`;
  const startup = facts.startup().find((loc) => isInside(dir, loc.written) || isInside(dir, loc.real));
  if (startup !== undefined) return `${shown} is or lies in ${tilde(startup.written, facts.home)}, a start-up location host programs run: never proposed`;
  return undefined;
}

/** The tool cache directory `p` lies in, if any (`~/.cache/pip/http/x` -> `~/.cache/pip`). */
function toolCacheDir(p: string, home: string): string | undefined {
  if (!isInside(p, home) || p === home) return undefined;
  const rel = path.relative(home, p).split('/');
  for (const entry of TOOL_CACHES) {
    const parts = entry.split('/');
    if (rel.length < parts.length || !parts.every((part, i) => part === '*' || part === rel[i])) continue;
    const dir = path.join(home, ...rel.slice(0, parts.length));
    // `~/.cache/motd.legal-displayed` is a file in ~/.cache, not a tool's directory.
    if (kindOf(dir) !== 'file') return dir;
  }
  return undefined;
}

/** `p` itself when it is a directory, else the deepest existing directory above it. */
function nearestDirectory(p: string): string {
  let cur = p;
  while (kindOf(cur) !== 'dir') {
    const parent = path.dirname(cur);
    if (parent === cur) return cur;
    cur = parent;
  }
  return cur;
}

/** `~/x` for paths in the home, for people; policies get the absolute path. */
export function tilde(p: string, home: string): string {
  if (home === '/' || !isInside(p, home)) return p;
  return p === home ? '~' : `~/${path.relative(home, p)}`;
}

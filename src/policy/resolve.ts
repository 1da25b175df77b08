import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PolicyError } from '../errors.js';
import { GLOB_ENTRY_BUDGET, HOME_SECRETS, PROTECTED_IN_HOME, SYSTEM_SECRETS, WORKSPACE_SECRETS, WORKSPACE_SECRET_EXCEPTIONS } from './defaults.js';
import { otherNamesOfSecrets, scanWorkspaceSecrets, SecretScanCache } from './secret-scan.js';
import { envNameMatcher, filterEnv } from './env.js';
import { withNetworkEnvDefaults } from './network-env.js';
import { resolveNetwork } from './network/presets.js';
import { escapeGlob, expandGlob, globRule, isGlob, joinGlob, realGlob, splitGlob } from './globs.js';
import { parsePolicy } from './parse.js';
import { expandHome, FsView, isInside } from './paths.js';
import { dedupeProtect, homeSecretNames, protectedHomePaths, protectedPathsForRoot, unprotectableLink } from './protect.js';
import { isAccountHome, ownerHomes, passwdHomes } from './homes.js';
import { HomeLocator, type HomeLocation } from './home-locations.js';
import { findPlantableLink } from './planted-links.js';
import { HOME_PARENTS, isSystemDir } from './system-dirs.js';
import type { GlobRule, PathRule, ResolvedPolicy } from './resolved.js';
import type { Policy, PolicyInput } from './schema.js';

export interface ResolveOptions {
  /** Absolute path of the workspace (must exist). */
  workspace: string;
  /** Where the command starts; absolute; defaults to the workspace. */
  cwd?: string;
  /** The parent environment to filter; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Home directory; defaults to env.HOME, then os.homedir(). */
  home?: string;
  /**
   * Other homes in play, whose secrets are hidden and whose start-up files are protected
   * too. Defaults to ownerHomes(): the owner's passwd home, this process's $HOME and, under
   * sudo, the invoking user's home. (Tests inject scratch homes here.)
   */
  otherHomes?: readonly string[];
  /**
   * Further homes whose start-up files must not become writable and which no writable root
   * may be or contain without write.allowHome (their secrets are not hidden). Defaults to
   * every passwd user's existing home when running as root (euid 0), none otherwise: only
   * root can write other users' homes. (Tests inject scratch homes here.)
   */
  passwdHomes?: readonly string[];
  /** Reuse directory listings from earlier resolutions (a SandboxRuntime keeps one). */
  scanCache?: SecretScanCache;
}

/**
 * Resolves a policy against one workspace on this machine. Reads the file system (real
 * paths, glob expansion) but changes nothing; every error is thrown before anything runs.
 */
export function resolvePolicy(input: PolicyInput | Policy | undefined, options: ResolveOptions): ResolvedPolicy {
  const policy = parsePolicy(input);
  const env = options.env ?? process.env;
  const fsv = new FsView();
  const workspace = resolveDirectory(options.workspace, 'workspace', fsv);
  const cwd = options.cwd === undefined ? workspace : resolveDirectory(options.cwd, 'cwd', fsv);
  const home = fsv.realpath(options.home ?? env.HOME ?? os.homedir());
  const homes = [home];
  for (const other of [env.HOME, ...(options.otherHomes ?? ownerHomes())]) {
    if (other === undefined || !path.isAbsolute(other)) continue;
    const real = fsv.realpath(other);
    if (!homes.includes(real)) homes.push(real);
  }

  // Start-up locations count for every home a root could reach; secret locations (item 4:
  // a missing ~/.aws must not be created with a planted link inside) for the homes in play.
  const startupHomes = [...homes];
  for (const other of options.passwdHomes ?? (process.geteuid?.() === 0 ? passwdHomes() : [])) {
    if (!path.isAbsolute(other)) continue;
    const real = fsv.realpath(other);
    if (!startupHomes.includes(real)) startupHomes.push(real);
  }
  const locator = new HomeLocator();
  const existingHomes = startupHomes.filter((h) => h !== '/' && fsv.kind(h) === 'dir');
  const startup = locator.locate(existingHomes, PROTECTED_IN_HOME);
  const secrets = policy.read.defaultSecrets ? locator.locate(homes.filter((h) => existingHomes.includes(h)), homeSecretNames(HOME_SECRETS)) : [];
  const guard: HomeGuard = { homes: startupHomes, startup, secrets };

  const writableRoots = resolveWritableRoots(policy, { given: options.workspace, real: workspace }, home, guard, fsv);
  const { tmpDirs, keepInTmp } = resolveTmpDirs(env, homes, cwd, writableRoots, fsv);
  const allowRead = resolveRules(policy.read.allow, home, 'read.allow', fsv);
  const exceptionGlobs: GlobRule[] = [];
  const denyRead = removeAllowed(resolveDenyRead(policy, homes, workspace, writableRoots, exceptionGlobs, options.scanCache, fsv), allowRead.paths);
  // In the workspace a missing protected path is made uncreatable too (a placeholder); in extra
  // writable roots (caches, a sibling checkout, a worktree's .git/objects) only what exists is
  // protected: placeholders such as .vscode or .git inside ~/.cache or .git/refs would be litter.
  const protect = dedupeProtect([
    ...writableRoots.flatMap((root) => protectedPathsForRoot(root, policy.write.protect, fsv, homes).filter((rule) => root === workspace || rule.kind !== 'missing')),
    ...writableRoots.flatMap((root) => protectedHomePaths(root, startup, fsv)),
    ...writableRoots.flatMap((root) => protectedHomePaths(root, secrets, fsv).filter((rule) => rule.kind === 'missing')),
  ]).filter((rule) => writableRoots.some((root) => isInside(rule.path, root) && rule.path !== root));
  const network = resolveNetwork(policy.network);

  return {
    workspace,
    cwd,
    home,
    homes,
    writableRoots,
    tmpDirs,
    keepInTmp,
    denyRead: denyRead.paths,
    denyReadGlobs: denyRead.globs,
    allowRead: allowRead.paths,
    allowReadGlobs: [...allowRead.globs, ...exceptionGlobs],
    protect,
    // Tools give up on their first network failure instead of retrying for minutes (network-env.ts).
    env: withNetworkEnvDefaults(network, filterEnv(env, policy.env), envNameMatcher(policy.env.pass)),
    network,
    limits: policy.limits,
    policy,
  };
}

function resolveDirectory(p: string, field: string, fsv: FsView): string {
  const fail = (message: string, hint: string): never => {
    throw new PolicyError('ERR_CORDON_WORKSPACE_INVALID', [{ path: field, message }], { hint });
  };
  if (typeof p !== 'string' || p.length === 0) fail('is empty', `pass an absolute path for ${field}`);
  if (p.includes('\0')) fail('contains a NUL byte', `pass a plain absolute path for ${field}`);
  if (!path.isAbsolute(p)) fail(`${JSON.stringify(p)} is relative`, `pass an absolute path, e.g. path.resolve(${JSON.stringify(p)})`);
  let real: string;
  try {
    real = fsv.realpath(p);
    if (!statSync(real).isDirectory()) fail(`${p} is not a directory`, `point ${field} at a directory`);
  } catch (error) {
    if (error instanceof PolicyError) throw error;
    fail(`${p} does not exist`, `create it first (mkdir -p ${p}) or pass an existing directory`);
  }
  return real!;
}

/** What the writable-root checks need to know about homes: which exist, and where their start-up and secret names lie. */
interface HomeGuard {
  homes: readonly string[];
  startup: readonly HomeLocation[];
  secrets: readonly HomeLocation[];
}

function resolveWritableRoots(policy: Policy, workspace: { given: string; real: string }, home: string, guard: HomeGuard, fsv: FsView): string[] {
  const roots: string[] = [];
  if (policy.workspaceAccess === 'write') {
    checkWritableRoot(policy, 'workspace', workspace.given, workspace.real, guard);
    roots.push(workspace.real);
  }
  policy.write.allow.forEach((raw, i) => {
    const field = `write.allow.${i}`;
    if (isGlob(raw)) throw new PolicyError('ERR_CORDON_POLICY_INVALID', [{ path: field, message: 'writable roots must be literal paths, not globs' }], { hint: 'list each directory explicitly' });
    const given = expandHome(raw, home);
    const real = fsv.realpath(given);
    if (fsv.kind(real) !== 'dir' && !isSystemDir(real)) {
      throw new PolicyError('ERR_CORDON_POLICY_INVALID', [{ path: field, message: `${raw} is not an existing directory` }], { hint: `create it first (mkdir -p ${raw})` });
    }
    checkWritableRoot(policy, field, given, real, guard);
    if (!roots.includes(real)) roots.push(real);
  });
  return roots;
}

/**
 * The checks every writable root passes, the workspace included (`--workspace /etc` must
 * fail like `--allow-write /etc`). `given` is the path as the caller wrote it (after `~`),
 * `real` its real path. Each refusal names the field and how to proceed.
 */
/** Trees no home can make writable, whoever's home it claims to be. */
const CORE_TREES: readonly string[] = ['/etc', '/usr', '/boot', '/proc', '/sys', '/dev', '/bin', '/sbin', '/lib', '/lib64', '/private/etc', '/System'];

function checkWritableRoot(policy: Policy, field: string, given: string, real: string, guard: HomeGuard): void {
  const homes = guard.homes;
  const tooBroad = (message: string, hint: string): never => {
    throw new PolicyError('ERR_CORDON_POLICY_TOO_BROAD', [{ path: field, message }], { hint });
  };
  if (real === '/') tooBroad(`${given} is /`, field === 'workspace' ? 'use a project directory as the workspace' : 'name a project or cache directory instead');
  // A project inside an account's home is the home rules' business, even when that home lies in
  // a system tree (service accounts: Jenkins' /var/lib/jenkins/workspace/<job>). The home must
  // be in play and an account's home in /etc/passwd, so HOME=/var/lib cannot open /var/lib/dpkg.
  const strictlyInHome = homes.some((h) => h !== '/' && real !== h && isInside(real, h) && !CORE_TREES.some((t) => isInside(h, t)) && isAccountHome(h));
  if (isSystemDir(real) && !strictlyInHome) tooBroad(`${given} would make a system directory writable${given === real ? '' : ` (${real})`}`, 'name a project or cache directory instead');
  if (!policy.write.allowHome) {
    const home = homes.find((h) => h !== '/' && isInside(h, real));
    if (home !== undefined || HOME_PARENTS.includes(real)) {
      tooBroad(
        home === undefined
          ? `${given} holds other users' home directories`
          : `${given} ${home === real ? 'is' : 'contains'} the home directory ${home}: a command could plant shell start-up files, PATH entries or autostart entries that run outside the sandbox`,
        'use a project directory inside the home as the workspace; to let commands write a whole home anyway, set write.allowHome: true (CLI: --allow-home), which keeps its start-up files read-only',
      );
    }
  }
  // A root that is or lies in a start-up location (~/.config/nvim, ~/.local/bin, ~/.ssh, the
  // ~/dotfiles/vim that ~/.vim links to) is refused even with write.allowHome: everything in
  // it is read by a host program as configuration or code, so no part of it can be both
  // writable and safe. (A root that merely contains some, like ~/.config, gets those protected.)
  const inside = guard.startup.find((loc) => isInside(real, loc.written) || isInside(real, loc.real));
  if (inside !== undefined) {
    const where = isInside(real, inside.written) ? inside.written : `${inside.real} (the real path of ${inside.written})`;
    tooBroad(
      `${given} ${real === inside.written || real === inside.real ? 'is' : 'lies inside'} ${where}, a start-up location of the home ${inside.home}: programs on the host read it and run what it says (shells, git, ssh, editors, PATH lookups, session autostart)`,
      `work on a copy outside it (e.g. a clone in a project directory) and install the result yourself; write.allowHome does not lift this`,
    );
  }
  // A mount can keep a file read-only, never a symlink: a link on the way to a start-up or
  // secret name inside this root could be replaced (rm ~/.bashrc; echo evil > ~/.bashrc).
  const link = unprotectableLink(real, [...guard.startup, ...guard.secrets]);
  if (link !== undefined) {
    tooBroad(
      `${given} contains the symlink ${link.link} on the way to ${link.location.written} of the home ${link.location.home}: a command could replace the link itself, which no mount can prevent`,
      `use a narrower writable root that does not contain ${link.link}, or replace the link by the file it points to`,
    );
  }
  if (!policy.write.allowSymlinkedRoots) {
    const link = findPlantableLink(given, process.geteuid?.() ?? -1);
    if (link !== undefined) {
      throw new PolicyError(
        field === 'workspace' ? 'ERR_CORDON_WORKSPACE_INVALID' : 'ERR_CORDON_POLICY_INVALID',
        [{ path: field, message: `${given} goes through the symlink ${link.link} -> ${link.target}, which a sandboxed command could have planted to redirect writes` }],
        { hint: `pass the real path ${real} if that is the directory you mean, or set write.allowSymlinkedRoots: true (CLI: --allow-symlinked-roots)` },
      );
    }
  }
}

/**
 * /tmp, /var/tmp and $TMPDIR each get a fresh private tmpfs, even when a home or the
 * starting directory lies below one (containers often run with HOME=/tmp/home): without a
 * writable tmp, mktemp and every tool built on it fail. What must stay visible below a tmp
 * dir is bound back on top, read-only (keepInTmp); writable roots there are bound back
 * writable as always, and denials and protections below are applied after both.
 *
 * Two cases keep the host's directory instead:
 *  - a home equal to a tmp dir (HOME=/tmp): the private tmpfs wins, so the command's home is
 *    the empty private tmp. Its host content is hidden, nothing of it can be changed, and
 *    tools that write caches or dotfiles into HOME still work (the writes vanish afterwards);
 *  - a starting directory equal to a tmp dir and outside every writable root: the command
 *    must start where it was asked to, in the host's directory, so that one is not made
 *    private (the others still are).
 */
function resolveTmpDirs(env: NodeJS.ProcessEnv, homes: readonly string[], cwd: string, writableRoots: readonly string[], fsv: FsView): { tmpDirs: string[]; keepInTmp: string[] } {
  const candidates = ['/tmp', '/var/tmp'];
  if (env.TMPDIR && path.isAbsolute(env.TMPDIR)) candidates.push(env.TMPDIR);
  const cwdInRoot = writableRoots.some((root) => isInside(cwd, root));
  const tmpDirs: string[] = [];
  for (const candidate of candidates) {
    const real = fsv.realpath(candidate);
    if (fsv.kind(real) !== 'dir' || real === '/') continue;
    if (!cwdInRoot && cwd === real) continue;
    if (!tmpDirs.includes(real)) tmpDirs.push(real);
  }
  const mustStayVisible = cwdInRoot ? [...homes] : [...homes, cwd];
  const keepInTmp = mustStayVisible.filter(
    (p, i) =>
      mustStayVisible.indexOf(p) === i &&
      fsv.kind(p) === 'dir' &&
      tmpDirs.some((tmp) => p !== tmp && isInside(p, tmp)) &&
      !writableRoots.some((root) => isInside(p, root)),
  );
  return { tmpDirs, keepInTmp };
}

interface RuleSet {
  paths: PathRule[];
  globs: GlobRule[];
}

/**
 * Literal paths become real paths (kept even when missing); globs are split once (base and
 * wildcard rest, see ./globs.ts), their base made real, expanded and kept. Whether a rule is
 * a glob is read from the rule as written: a home named `a[1]` is spliced in escaped, so it
 * neither turns `~/.ssh` into a pattern nor becomes a character class in `~/x/*.pem`.
 */
function resolveRules(patterns: readonly string[], home: string, field: string, fsv: FsView): RuleSet {
  const set: RuleSet = { paths: [], globs: [] };
  patterns.forEach((raw, i) => {
    if (isGlob(raw)) {
      const written = raw.startsWith('~/') ? path.join(escapeGlob(home), raw.slice(2)) : raw;
      const split = realGlob(splitGlob(written, `${field}.${i}`), (p) => fsv.realpath(p));
      set.globs.push({ pattern: joinGlob(split), ...split, rule: `${field}: ${raw}` });
      for (const match of expandGlob(split, { skipDirs: [], budget: GLOB_ENTRY_BUDGET, field: `${field}.${i}` })) {
        addPath(set.paths, match, `${field}: ${raw}`, fsv);
      }
    } else {
      addPath(set.paths, expandHome(raw, home), `${field}: ${raw}`, fsv);
    }
  });
  return set;
}

/** A symlinked rule path protects its target; both the lexical and real path are recorded. */
function addPath(rules: PathRule[], p: string, rule: string, fsv: FsView): void {
  const real = fsv.realpath(p);
  if (!rules.some((r) => r.path === real)) rules.push({ path: real, kind: fsv.kind(real), rule });
}

/** `homes[0]` is the command's home; secrets are hidden under every other home in play too. */
function resolveDenyRead(policy: Policy, homes: readonly string[], workspace: string, writableRoots: string[], exceptionGlobs: GlobRule[], scanCache: SecretScanCache | undefined, fsv: FsView): RuleSet {
  const [home, ...otherHomes] = homes as [string, ...string[]];
  const sets: RuleSet[] = [resolveRules(policy.read.deny, home, 'read.deny', fsv)];
  // A `~/x` denial names a secret of whoever's home it is: hide it under each home.
  const homeDenials = policy.read.deny.filter((raw) => raw === '~' || raw.startsWith('~/'));
  for (const other of otherHomes) sets.push(resolveRules(homeDenials, other, 'read.deny', fsv));
  const roots = writableRoots.includes(workspace) ? writableRoots : [workspace, ...writableRoots];
  const cache = scanCache ?? new SecretScanCache();
  const scanned = new Set<string>();
  if (policy.read.defaultSecrets) {
    for (const h of homes) sets.push(resolveRules(HOME_SECRETS, h, 'default secret', fsv));
    // A system secret this user cannot reach is unreachable inside too (same uid, no
    // capabilities): masking it would only cost a mount per command (5 on Debian as non-root).
    const system = resolveRules(SYSTEM_SECRETS, home, 'default system secret', fsv);
    sets.push({ paths: system.paths.filter(reachable), globs: system.globs });
    for (const root of roots) {
      // Linux needs the files themselves (a name test per entry, cached per directory; real
      // paths, symlinked directories into the roots followed); pattern backends (Seatbelt) get the globs.
      const found = scanWorkspaceSecrets(root, cache, roots);
      for (const p of found) scanned.add(p);
      const paths = found.map((p) => ({ path: p, kind: 'file' as const, rule: `default workspace secret: ${WORKSPACE_SECRETS.join(', ')}` }));
      sets.push({ paths, globs: WORKSPACE_SECRETS.map((g) => globRule(`${escapeGlob(root)}/${g}`, 'default workspace secret')) });
      const exceptions = WORKSPACE_SECRET_EXCEPTIONS.map((g) => `${escapeGlob(root)}/${g}`);
      // Pattern-matching backends (Seatbelt) need the exceptions as globs too.
      exceptionGlobs.push(...exceptions.map((pattern) => globRule(pattern, 'default workspace secret exception')));
    }
  }
  for (const h of policy.read.denyHome ? homes : []) {
    // HOME=/ (system accounts) is no home to hide: it would hide the whole file system.
    if (h !== '/') sets.push({ paths: [{ path: h, kind: fsv.kind(h), rule: 'read.denyHome' }], globs: [globRule(`${escapeGlob(h)}/**`, 'read.denyHome')] });
  }
  const merged: RuleSet = { paths: [], globs: [] };
  for (const set of sets) {
    for (const rule of set.paths) if (!merged.paths.some((r) => r.path === rule.path)) merged.paths.push(rule);
    merged.globs.push(...set.globs);
  }
  // A secret with more than one hard link must not be readable by any name: its other names
  // are masked too, or resolution fails closed when one cannot be found. Checked for the
  // workspace secrets and every denied file in a writable root, where a command could have
  // planted the link before the user filled the file.
  const files = merged.paths.filter((r) => r.kind === 'file');
  const mustBeAlone = files.filter((r) => scanned.has(r.path) || roots.some((root) => isInside(r.path, root))).map((r) => r.path);
  for (const p of otherNamesOfSecrets(mustBeAlone, roots, files.map((r) => r.path), cache)) {
    if (!merged.paths.some((r) => r.path === p)) merged.paths.push({ path: p, kind: 'file', rule: 'another name (hard link) of a denied file' });
  }
  return merged;
}

/** An allow rule equal to or above a deny rule cancels it; one below it is re-exposed later. */
function removeAllowed(deny: RuleSet, allow: PathRule[]): RuleSet {
  return { paths: deny.paths.filter((d) => !allow.some((a) => isInside(d.path, a.path))), globs: deny.globs };
}

/** Whether this process could read a file (or look inside a directory) at `rule.path`. */
function reachable(rule: PathRule): boolean {
  if (rule.kind === 'missing') return false;
  try {
    accessSync(rule.path, rule.kind === 'dir' ? fsConstants.X_OK : fsConstants.R_OK);
    return true;
  } catch {
    return false;
  }
}

import { statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PolicyError } from '../errors.js';
import { GLOB_ENTRY_BUDGET, HOME_SECRETS, WORKSPACE_SECRETS, WORKSPACE_SECRET_EXCEPTIONS } from './defaults.js';
import { scanWorkspaceSecrets, type SecretScanCache } from './secret-scan.js';
import { filterEnv } from './env.js';
import { escapeGlob, expandGlob, isGlob, realGlob } from './globs.js';
import { parsePolicy } from './parse.js';
import { expandHome, FsView, isInside } from './paths.js';
import { dedupeProtect, protectedPathsForRoot } from './protect.js';
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
  /** Reuse directory listings from earlier resolutions (a SandboxRuntime keeps one). */
  scanCache?: SecretScanCache;
}

/** Writable roots that would make "write only the workspace" meaningless. */
const FORBIDDEN_WRITABLE = ['/', '/bin', '/boot', '/dev', '/etc', '/lib', '/lib32', '/lib64', '/proc', '/sbin', '/sys', '/usr', '/var', '/private', '/System', '/Library'];
const FORBIDDEN_WRITABLE_TREES = ['/proc', '/sys', '/dev', '/boot', '/etc', '/usr'];

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

  const writableRoots = resolveWritableRoots(policy, workspace, home, fsv);
  const tmpDirs = resolveTmpDirs(env, isInside(cwd, workspace) ? [home] : [home, cwd], fsv);
  const allowRead = resolveRules(policy.read.allow, home, 'read.allow', fsv);
  const exceptionGlobs: GlobRule[] = [];
  const denyRead = removeAllowed(resolveDenyRead(policy, home, workspace, writableRoots, exceptionGlobs, options.scanCache, fsv), allowRead.paths);
  // In the workspace a missing protected path is made uncreatable too (a placeholder); in extra
  // writable roots (caches, a sibling checkout, a worktree's .git/objects) only what exists is
  // protected: placeholders such as .vscode or .git inside ~/.cache or .git/refs would be litter.
  const protect = dedupeProtect(
    writableRoots.flatMap((root) => protectedPathsForRoot(root, home, policy.write.protect, fsv).filter((rule) => root === workspace || rule.kind !== 'missing')),
  ).filter((rule) => writableRoots.some((root) => isInside(rule.path, root) && rule.path !== root));

  return {
    workspace,
    cwd,
    home,
    writableRoots,
    tmpDirs,
    denyRead: denyRead.paths,
    denyReadGlobs: denyRead.globs,
    allowRead: allowRead.paths,
    allowReadGlobs: [...allowRead.globs, ...exceptionGlobs],
    protect,
    env: filterEnv(env, policy.env),
    network: policy.network,
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

function resolveWritableRoots(policy: Policy, workspace: string, home: string, fsv: FsView): string[] {
  const roots: string[] = policy.workspaceAccess === 'write' ? [workspace] : [];
  policy.write.allow.forEach((raw, i) => {
    const field = `write.allow.${i}`;
    if (isGlob(raw)) throw new PolicyError('ERR_CORDON_POLICY_INVALID', [{ path: field, message: 'writable roots must be literal paths, not globs' }], { hint: 'list each directory explicitly' });
    const real = fsv.realpath(expandHome(raw, home));
    if (FORBIDDEN_WRITABLE.includes(real) || FORBIDDEN_WRITABLE_TREES.some((tree) => isInside(real, tree))) {
      throw new PolicyError('ERR_CORDON_POLICY_TOO_BROAD', [{ path: field, message: `${raw} would make a system directory writable` }], {
        hint: 'name a project or cache directory instead',
      });
    }
    if (fsv.kind(real) !== 'dir') throw new PolicyError('ERR_CORDON_POLICY_INVALID', [{ path: field, message: `${raw} is not an existing directory` }], { hint: `create it first (mkdir -p ${raw})` });
    if (!roots.includes(real)) roots.push(real);
  });
  if (roots.includes('/')) throw new PolicyError('ERR_CORDON_POLICY_TOO_BROAD', [{ path: 'workspace', message: 'the workspace is /' }], { hint: 'use a project directory as the workspace' });
  return roots;
}

/**
 * /tmp, /var/tmp and $TMPDIR get a fresh private tmpfs, unless that would hide home or the
 * starting directory. A workspace below a tmp dir is fine: it is bound again on top.
 */
function resolveTmpDirs(env: NodeJS.ProcessEnv, mustStayVisible: string[], fsv: FsView): string[] {
  const candidates = ['/tmp', '/var/tmp'];
  if (env.TMPDIR && path.isAbsolute(env.TMPDIR)) candidates.push(env.TMPDIR);
  const dirs: string[] = [];
  for (const candidate of candidates) {
    const real = fsv.realpath(candidate);
    if (fsv.kind(real) !== 'dir' || real === '/') continue;
    if (mustStayVisible.some((p) => isInside(p, real))) continue;
    if (!dirs.includes(real)) dirs.push(real);
  }
  return dirs;
}

interface RuleSet {
  paths: PathRule[];
  globs: GlobRule[];
}

/** Literal paths become real paths (kept even when missing); globs are expanded and kept. */
function resolveRules(patterns: readonly string[], home: string, field: string, fsv: FsView): RuleSet {
  const set: RuleSet = { paths: [], globs: [] };
  patterns.forEach((raw, i) => {
    const expanded = expandHome(raw, home);
    if (isGlob(expanded)) {
      const real = realGlob(expanded, (p) => fsv.realpath(p));
      set.globs.push({ pattern: real, rule: `${field}: ${raw}` });
      for (const match of expandGlob(real, { skipDirs: [], budget: GLOB_ENTRY_BUDGET, field: `${field}.${i}` })) {
        addPath(set.paths, match, `${field}: ${raw}`, fsv);
      }
    } else {
      addPath(set.paths, expanded, `${field}: ${raw}`, fsv);
    }
  });
  return set;
}

/** A symlinked rule path protects its target; both the lexical and real path are recorded. */
function addPath(rules: PathRule[], p: string, rule: string, fsv: FsView): void {
  const real = fsv.realpath(p);
  if (!rules.some((r) => r.path === real)) rules.push({ path: real, kind: fsv.kind(real), rule });
}

function resolveDenyRead(policy: Policy, home: string, workspace: string, writableRoots: string[], exceptionGlobs: GlobRule[], scanCache: SecretScanCache | undefined, fsv: FsView): RuleSet {
  const sets: RuleSet[] = [resolveRules(policy.read.deny, home, 'read.deny', fsv)];
  if (policy.read.defaultSecrets) {
    sets.push(resolveRules(HOME_SECRETS, home, 'default secret', fsv));
    const roots = writableRoots.includes(workspace) ? writableRoots : [workspace, ...writableRoots];
    for (const root of roots) {
      // Linux needs the files themselves (a name test per entry, cached per directory);
      // pattern backends (Seatbelt) get the globs.
      const paths = scanWorkspaceSecrets(root, scanCache).map((p) => ({ path: p, kind: 'file' as const, rule: `default workspace secret: ${WORKSPACE_SECRETS.join(', ')}` }));
      sets.push({ paths, globs: WORKSPACE_SECRETS.map((g) => ({ pattern: `${escapeGlob(root)}/${g}`, rule: 'default workspace secret' })) });
      const exceptions = WORKSPACE_SECRET_EXCEPTIONS.map((g) => `${escapeGlob(root)}/${g}`);
      // Pattern-matching backends (Seatbelt) need the exceptions as globs too.
      exceptionGlobs.push(...exceptions.map((pattern) => ({ pattern, rule: 'default workspace secret exception' })));
    }
  }
  if (policy.read.denyHome) sets.push({ paths: [{ path: home, kind: fsv.kind(home), rule: 'read.denyHome' }], globs: [{ pattern: `${escapeGlob(home)}/**`, rule: 'read.denyHome' }] });
  const merged: RuleSet = { paths: [], globs: [] };
  for (const set of sets) {
    for (const rule of set.paths) if (!merged.paths.some((r) => r.path === rule.path)) merged.paths.push(rule);
    merged.globs.push(...set.globs);
  }
  return merged;
}

/** An allow rule equal to or above a deny rule cancels it; one below it is re-exposed later. */
function removeAllowed(deny: RuleSet, allow: PathRule[]): RuleSet {
  return { paths: deny.paths.filter((d) => !allow.some((a) => isInside(d.path, a.path))), globs: deny.globs };
}

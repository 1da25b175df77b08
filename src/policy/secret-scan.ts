import { readdirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { GLOB_ENTRY_BUDGET, SCAN_SKIP_DIRS, WORKSPACE_SECRET_EXCEPTIONS } from './defaults.js';
import { PolicyError } from '../errors.js';
import { isInside } from './paths.js';
import { largestScannedDirs, type ScanTrail } from './secret-scan-report.js';

/**
 * Most entries (directories, secrets, symlinks) one scan of a writable root may visit. Not
 * raised when the cache arrived: a cached scan still stats every directory (~5-7 us each on
 * the reference VM), so this budget already allows ~0.7 s per command; past it the error
 * names where the entries are, never suggests turning the secret defaults off.
 */
export const SECRET_SCAN_BUDGET = GLOB_ENTRY_BUDGET * 4;

/**
 * Real targets of symlinked secrets in these trees are never masked: no user secret lives
 * there, every command needs them, and masking one (`.env -> /usr/lib/.../libc.so.6`,
 * `.env -> /dev/null`) would let a command break every later command.
 */
const UNMASKABLE_TREES = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/boot', '/dev', '/proc', '/sys'];

/** Base names of the templates in WORKSPACE_SECRET_EXCEPTIONS (the part after the last slash). */
const EXCEPTION_NAMES: readonly string[] = WORKSPACE_SECRET_EXCEPTIONS.map((glob) => glob.slice(glob.lastIndexOf('/') + 1));

/** `.env` and `.env.*`, except the templates meant to be read: the name test behind WORKSPACE_SECRETS. */
export function isWorkspaceSecretName(name: string): boolean {
  if (name !== '.env' && !name.startsWith('.env.')) return false;
  return !EXCEPTION_NAMES.includes(name);
}

/**
 * What the scan does beyond listing names. All on by default; each switch exists so a test
 * can turn one off and show the attack it stops (nothing else should ever turn them off).
 */
export interface SecretScanRules {
  /** Follow symlinks to directories whose real target lies in a writable root, even a skipped one (`app -> node_modules/.app`). */
  followSymlinkedDirs: boolean;
  /** A symlinked secret masks its real target; a dangling one masks nothing. Off: the link path itself is reported (bwrap then fails on a dangling one). */
  resolveSecretLinks: boolean;
  /** A secret with more than one hard link gets every other name masked too (secret-links.ts). */
  findOtherNames: boolean;
}

const ALL_RULES: SecretScanRules = { followSymlinkedDirs: true, resolveSecretLinks: true, findOtherNames: true };

interface DirEntry {
  /** ino, mtime and ctime in ns: any entry added, removed or renamed in the directory changes them. */
  stamp: string;
  subdirs: string[];
  /** Non-directory, non-symlink entries with a secret's name. */
  secrets: string[];
  /** Symlinks (any name but a skipped one): their targets can change without this directory changing, so they are resolved at every scan. */
  links: string[];
}

/** One directory's names and inode numbers, for the hard-link search (secret-links.ts). */
export interface NameIndexEntry {
  stamp: string;
  dev: number;
  subdirs: string[];
  names: string[];
  inos: number[];
}

/**
 * Remembers each directory's listing with its timestamps, so the next scan of the same
 * workspace re-reads only directories that changed (a new `.env` anywhere changes its parent's
 * mtime). Exact, not time-based: nothing created since the last command is missed. Belongs
 * to a SandboxRuntime; without one every scan starts cold.
 */
export class SecretScanCache {
  readonly dirs = new Map<string, DirEntry>();
  /** Filled only when a secret has more than one hard link (rare): every directory of the writable roots, skipped ones included. */
  readonly names = new Map<string, NameIndexEntry>();
  readonly rules: SecretScanRules;

  constructor(rules: Partial<SecretScanRules> = {}) {
    this.rules = { ...ALL_RULES, ...rules };
  }
}

/**
 * Every workspace secret file under `root`, by real path, skipping dependency trees. Symlinks
 * are resolved at each scan: a symlinked secret yields its real target (a dangling one
 * nothing: reading it fails anyway, and the next scan masks the target once it exists); a
 * symlink to a directory inside one of `roots` is followed (deduplicated by real path, so
 * loops end), since bwrap masks by real path and a skipped directory can be given a
 * scanned name (`app -> node_modules/.app`). Cost: one stat per directory when cached, a
 * readdir per changed directory, a stat (+ realpath) per symlink.
 */
export function scanWorkspaceSecrets(root: string, cache: SecretScanCache = new SecretScanCache(), roots: readonly string[] = [root], budget = SECRET_SCAN_BUDGET): string[] {
  const found = new Set<string>();
  const trail: ScanTrail = { root, roots, visited: new Set<string>(), via: new Map<string, string>() };
  const stack = [root];
  let count = 0;
  while (stack.length > 0) {
    const dir = stack.pop()!;
    if (trail.visited.has(dir)) continue;
    trail.visited.add(dir);
    const entry = listing(dir, cache);
    if (!entry) continue;
    count += entry.subdirs.length + entry.secrets.length + entry.links.length + 1;
    if (count > budget) throw tooLarge(trail, budget);
    for (const secret of entry.secrets) found.add(secret);
    for (const link of entry.links) {
      const target = resolveLink(link, roots, cache.rules);
      if (target?.kind === 'secret') found.add(target.path);
      if (target?.kind === 'dir' && !trail.visited.has(target.path)) {
        if (!trail.via.has(target.path)) trail.via.set(target.path, link);
        stack.push(target.path);
      }
    }
    stack.push(...entry.subdirs);
  }
  return [...found].sort();
}

/** The cached listing of `dir`, re-read when its stamp changed; undefined when it is gone. */
function listing(dir: string, cache: SecretScanCache): DirEntry | undefined {
  let stamp: string;
  try {
    const st = statSync(dir, { bigint: true });
    stamp = `${st.ino}:${st.mtimeNs}:${st.ctimeNs}`;
  } catch {
    cache.dirs.delete(dir);
    return undefined;
  }
  let entry = cache.dirs.get(dir);
  if (!entry || entry.stamp !== stamp) {
    entry = { stamp, ...readDir(dir) };
    cache.dirs.set(dir, entry);
  }
  return entry;
}

type LinkTarget = { kind: 'secret'; path: string } | { kind: 'dir'; path: string };

/** What a symlink met in a scanned directory adds to the scan, under the rules in force. */
function resolveLink(link: string, roots: readonly string[], rules: SecretScanRules): LinkTarget | undefined {
  const secretName = isWorkspaceSecretName(path.basename(link));
  // The behaviour before links were resolved: a secret-named link was masked where it stood.
  if (secretName && !rules.resolveSecretLinks) return { kind: 'secret', path: link };
  if (!secretName && !rules.followSymlinkedDirs) return undefined;
  let real: string;
  let isDir: boolean;
  try {
    const st = statSync(link, { throwIfNoEntry: false });
    if (st === undefined) return undefined; // dangling: nothing to read, so nothing to mask
    isDir = st.isDirectory();
    real = realpathSync.native(link);
  } catch {
    return undefined; // ELOOP, EACCES: the command cannot read through it either
  }
  if (isDir) {
    // A directory named `.env.d` is not a secret (a real one is descended, not masked); a link to one is treated alike.
    if (!rules.followSymlinkedDirs || !roots.some((r) => isInside(real, r))) return undefined;
    return { kind: 'dir', path: real };
  }
  if (!secretName || UNMASKABLE_TREES.some((tree) => isInside(real, tree))) return undefined;
  return { kind: 'secret', path: real };
}

function readDir(dir: string): Omit<DirEntry, 'stamp'> {
  const subdirs: string[] = [];
  const secrets: string[] = [];
  const links: string[] = [];
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return { subdirs, secrets, links };
  }
  for (const e of entries) {
    // A symlink named like a dependency tree (`node_modules -> ../../node_modules`) is skipped
    // as that tree would be: a secret put there is outside the scan either way.
    if (SCAN_SKIP_DIRS.includes(e.name) && (e.isDirectory() || e.isSymbolicLink())) continue;
    if (e.isDirectory()) subdirs.push(path.join(dir, e.name));
    else if (e.isSymbolicLink()) links.push(path.join(dir, e.name));
    else if (isWorkspaceSecretName(e.name)) secrets.push(path.join(dir, e.name));
  }
  return { subdirs, secrets, links };
}

/** The too-large error names where the entries are, so the user can remove what a command made. */
function tooLarge(trail: ScanTrail, budget: number): PolicyError {
  const largest = largestScannedDirs(trail);
  const where = largest.map((d) => `${d.path} (${d.dirs} directories${d.via ? `, reached through the symlink ${d.via}` : ''})`).join(', ');
  const first = largest[0];
  const remove = first ? `if a command created ${first.via ?? first.path}, remove it (rm -rf ${shellQuote(first.via ?? first.path)}); otherwise ` : '';
  return new PolicyError(
    'ERR_CORDON_POLICY_TOO_BROAD',
    [{ path: 'read.defaultSecrets', message: `the workspace ${trail.root} has more than ${budget} entries to scan for .env files${where ? `; most are under ${where}` : ''}` }],
    { hint: `${remove}run in a narrower workspace (a subdirectory of ${trail.root}). Dependency trees (${SCAN_SKIP_DIRS.join(', ')}) are not scanned.` },
  );
}

function shellQuote(p: string): string {
  return `'${p.replaceAll("'", `'\\''`)}'`;
}

// The hard-link half of the scan lives in its own file; resolution takes both from here.
export { otherNamesOfSecrets, SecretLinkError } from './secret-links.js';

import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { GLOB_ENTRY_BUDGET, SCAN_SKIP_DIRS, WORKSPACE_SECRET_EXCEPTIONS } from './defaults.js';
import { PolicyError } from '../errors.js';

/** Base names of the templates in WORKSPACE_SECRET_EXCEPTIONS (the part after the last slash). */
const EXCEPTION_NAMES: readonly string[] = WORKSPACE_SECRET_EXCEPTIONS.map((glob) => glob.slice(glob.lastIndexOf('/') + 1));

/** `.env` and `.env.*`, except the templates meant to be read: the name test behind WORKSPACE_SECRETS. */
export function isWorkspaceSecretName(name: string): boolean {
  if (name !== '.env' && !name.startsWith('.env.')) return false;
  return !EXCEPTION_NAMES.includes(name);
}

interface DirEntry {
  /** mtime and ctime in ns: any entry added, removed or renamed in the directory changes them. */
  stamp: string;
  subdirs: string[];
  secrets: string[];
}

/**
 * Remembers each directory's listing with its timestamps, so the next scan of the same
 * workspace re-reads only directories that changed (a new `.env` anywhere changes its parent's
 * mtime). Exact, not time-based: nothing created since the last command is missed. Belongs
 * to a SandboxRuntime; without one every scan starts cold.
 */
export class SecretScanCache {
  readonly dirs = new Map<string, DirEntry>();
}

/**
 * Every workspace secret file under `root`, without following symlinked directories and
 * skipping dependency trees. Cost: one stat per directory when cached, plus a readdir for
 * each directory that changed.
 */
export function scanWorkspaceSecrets(root: string, cache: SecretScanCache = new SecretScanCache()): string[] {
  const found: string[] = [];
  const stack = [root];
  let visited = 0;
  while (stack.length > 0) {
    const dir = stack.pop()!;
    let stamp: string;
    try {
      const st = statSync(dir, { bigint: true });
      stamp = `${st.ino}:${st.mtimeNs}:${st.ctimeNs}`;
    } catch {
      cache.dirs.delete(dir);
      continue;
    }
    let entry = cache.dirs.get(dir);
    if (!entry || entry.stamp !== stamp) {
      entry = { stamp, ...readDir(dir) };
      cache.dirs.set(dir, entry);
    }
    visited += entry.subdirs.length + entry.secrets.length + 1;
    if (visited > GLOB_ENTRY_BUDGET * 4) {
      throw new PolicyError('ERR_CORDON_POLICY_TOO_BROAD', [{ path: 'read.defaultSecrets', message: `the workspace ${root} has too many directories to scan for .env files` }], {
        hint: 'use a narrower workspace, or set read.defaultSecrets to false and list secrets in read.deny',
      });
    }
    found.push(...entry.secrets);
    stack.push(...entry.subdirs);
  }
  return found.sort();
}

function readDir(dir: string): Omit<DirEntry, 'stamp'> {
  const subdirs: string[] = [];
  const secrets: string[] = [];
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return { subdirs, secrets };
  }
  for (const e of entries) {
    if (e.isDirectory()) {
      if (!SCAN_SKIP_DIRS.includes(e.name)) subdirs.push(path.join(dir, e.name));
    } else if (isWorkspaceSecretName(e.name)) {
      secrets.push(path.join(dir, e.name));
    }
  }
  return { subdirs, secrets };
}

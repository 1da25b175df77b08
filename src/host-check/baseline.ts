import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { hostStateBase } from '../host-state.js';

/**
 * What the previous host check of a workspace left trusted: each item's identity (ino and
 * ctime) and when that check ran. A later check flags a trusted item that is older than that
 * check but was not among its items: it was there, but somewhere git would not trust it, and a
 * command moved it into place (renaming a parent keeps the children's ctimes).
 *
 * Kept on the host beside the placeholder registry (`$TMPDIR/cordon-$UID/host-check/`), which
 * no sandbox can see, in a directory that must be ours alone: anything else (a symlink, another
 * owner, group or other access) means no baseline, i.e. the ctime rule alone.
 */
export interface Baseline {
  time: number;
  items: Record<string, string>;
}

function baseDir(): string {
  return path.join(hostStateBase(), 'host-check');
}

function fileFor(root: string): string {
  return path.join(baseDir(), `${createHash('sha256').update(root).digest('hex').slice(0, 32)}.json`);
}

/** Creates the directory if needed and says whether it is private to this user. */
function privateDir(): boolean {
  const dir = baseDir();
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const p of [path.dirname(dir), dir]) {
      const st = lstatSync(p);
      if (!st.isDirectory() || (process.getuid !== undefined && st.uid !== process.getuid()) || (st.mode & 0o077) !== 0) return false;
    }
    return true;
  } catch {
    return false;
  }
}

export function loadBaseline(root: string): Baseline | undefined {
  if (!privateDir()) return undefined;
  try {
    const file = fileFor(root);
    const st = lstatSync(file);
    if (!st.isFile() || (process.getuid !== undefined && st.uid !== process.getuid())) return undefined;
    const data = JSON.parse(readFileSync(file, 'utf8')) as Baseline;
    return typeof data.time === 'number' && data.items !== null && typeof data.items === 'object' ? data : undefined;
  } catch {
    return undefined;
  }
}

export function saveBaseline(root: string, baseline: Baseline): void {
  if (!privateDir()) return;
  const file = fileFor(root);
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, JSON.stringify(baseline), { mode: 0o600 });
    renameSync(tmp, file);
  } catch {
    // no baseline next time: the ctime rule alone still applies
  }
}

/** When the stored baseline was last written (ms), to tell whether another process wrote one since. */
export function baselineStamp(root: string): number | undefined {
  try {
    return lstatSync(fileFor(root)).mtimeMs;
  } catch {
    return undefined;
  }
}

import { lstatSync, readlinkSync, type Stats } from 'node:fs';
import path from 'node:path';
import { isSystemDir } from './system-dirs.js';

export interface PlantableLink {
  /** The symlink as it was met while resolving (its own parent already resolved). */
  link: string;
  /** What it points to, as stored. */
  target: string;
}

/** Linux's own limit on symlinks followed in one lookup; past it realpath fails anyway. */
const MAX_HOPS = 40;

/**
 * The first symlink on the way to `p` that a sandboxed command could have planted, or
 * undefined. A command in workspace P can turn P/pkg into a link to any directory; a later
 * command given `P/pkg` as its workspace would then write wherever the link points. The
 * path is resolved the way the kernel does (component by component, `..` against the
 * resolved parent), and each link met is judged:
 *  - a link owned by another user cannot be this user's command's doing: only a process of
 *    this uid creates links owned by it (changing a link's owner needs CAP_CHOWN, which the
 *    sandbox drops even for root);
 *  - a link in a system directory (/, /usr, /etc, ...) cannot have been planted either: no
 *    writable root may be or contain such a directory. This is what admits root-owned system
 *    links for root (/lib -> usr/lib, /var/run -> /run, macOS's /tmp -> /private/tmp).
 * Everything else is plantable. Whether the parent is writable now is deliberately not asked:
 * the command that planted the link could also have made its directory read-only afterwards.
 */
export function findPlantableLink(p: string, uid: number): PlantableLink | undefined {
  const pending = p.split('/').filter(Boolean);
  let cur = '/';
  let hops = 0;
  while (pending.length > 0) {
    const segment = pending.shift()!;
    if (segment === '.') continue;
    if (segment === '..') {
      cur = path.dirname(cur);
      continue;
    }
    const next = path.join(cur, segment);
    let st: Stats | undefined;
    try {
      st = lstatSync(next, { throwIfNoEntry: false });
    } catch {
      return undefined; // ENOTDIR, EACCES: realpath fails too and reports the path as invalid
    }
    if (st === undefined) return undefined;
    if (!st.isSymbolicLink()) {
      cur = next;
      continue;
    }
    const target = readlinkSync(next);
    if (st.uid === uid && !isSystemDir(cur)) return { link: next, target };
    hops += 1;
    if (hops > MAX_HOPS) return undefined;
    pending.unshift(...target.split('/').filter(Boolean));
    if (target.startsWith('/')) cur = '/';
  }
  return undefined;
}

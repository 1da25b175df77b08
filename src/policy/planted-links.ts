import { lstatSync, readlinkSync, type Stats } from 'node:fs';
import { walkPath, type Step } from './path-walk.js';
import { isSystemDir } from './system-dirs.js';

export interface PlantableLink {
  /** The symlink as it was met while resolving (its own parent already resolved). */
  link: string;
  /** What it points to, as stored. */
  target: string;
}

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
  let found: PlantableLink | undefined;
  walkPath('/', p, (next, cur): Step => {
    let st: Stats | undefined;
    try {
      st = lstatSync(next, { throwIfNoEntry: false });
    } catch {
      return { kind: 'end' }; // ENOTDIR, EACCES: realpath fails too and reports the path as invalid
    }
    if (st === undefined) return { kind: 'end' };
    if (!st.isSymbolicLink()) return { kind: 'dir' };
    const target = readlinkSync(next);
    if (st.uid === uid && !isSystemDir(cur)) {
      found = { link: next, target };
      return { kind: 'stop' };
    }
    return { kind: 'link', target };
  });
  return found;
}

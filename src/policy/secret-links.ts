import { lstatSync, readdirSync, statSync, type Dirent } from 'node:fs';
import path from 'node:path';
import { SecretLinkError } from '../errors.js';

export { SecretLinkError } from '../errors.js';
import { GLOB_ENTRY_BUDGET } from './defaults.js';
import type { NameIndexEntry, SecretScanCache } from './secret-scan.js';

/**
 * Most entries the hard-link search may visit. It walks everything, dependency trees
 * included, and only when a secret has more than one link; past this it cannot vouch that
 * every name was found, so it fails closed like any other unfound name.
 */
export const NAME_SEARCH_BUDGET = GLOB_ENTRY_BUDGET * 8;

/**
 * Every other name of each secret in `secrets` that has more than one hard link, so that
 * it can be masked too. A command can plant the link ahead (`: > .env.local; ln .env.local
 * notes.txt`, then the user fills `.env.local`). Hard links cannot cross file systems, and
 * one a command makes cannot leave its writable root, so the names are searched in
 * `roots` (dependency trees included) and in `alsoMasked` (paths masked by other rules).
 * If fewer names are found than st_nlink counts, one is elsewhere and would stay readable:
 * throws SecretLinkError rather than run. The walk is cached per directory like the scan,
 * and happens only while some secret has more than one link.
 */
export function otherNamesOfSecrets(secrets: readonly string[], roots: readonly string[], alsoMasked: readonly string[], cache: SecretScanCache): string[] {
  if (!cache.rules.findOtherNames) return [];
  const wanted: Wanted = new Map();
  for (const secret of secrets) {
    const st = statSync(secret, { throwIfNoEntry: false });
    if (!st || st.isDirectory() || st.nlink <= 1) continue;
    if (!wanted.has(st.dev)) wanted.set(st.dev, new Map());
    wanted.get(st.dev)!.set(st.ino, { secret, links: st.nlink, names: new Set() });
  }
  if (wanted.size === 0) {
    cache.names.clear(); // the rare case is over: free the index (a new one starts cold)
    return [];
  }

  let complete = true;
  try {
    for (const root of roots) searchNames(root, wanted, cache);
  } catch (error) {
    if (!(error instanceof SearchTooLarge)) throw error;
    complete = false;
  }
  for (const p of alsoMasked) {
    // lstat: a symlink is not another name of the file, and must not count as one.
    const st = lstatSync(p, { throwIfNoEntry: false });
    if (st && !st.isSymbolicLink()) wanted.get(st.dev)?.get(st.ino)?.names.add(p);
  }

  const others = new Set<string>();
  for (const { secret, links, names } of [...wanted.values()].flatMap((byIno) => [...byIno.values()])) {
    const found = [...names].sort();
    if (!complete || found.length < links) {
      const reason = complete ? 'another name lies outside the writable roots or in a directory that cannot be read' : `the writable roots hold more than ${NAME_SEARCH_BUDGET} entries to search`;
      throw new SecretLinkError(secret, links, found, reason, {
        hint: `find the names with \`find / -xdev -samefile ${shellQuote(secret)}\`; delete any you did not make, or break the link so the secret has one name: cp -p ${shellQuote(secret)} ${shellQuote(`${secret}.tmp`)} && mv ${shellQuote(`${secret}.tmp`)} ${shellQuote(secret)}; or list the other names in read.deny`,
      });
    }
    for (const name of found) if (name !== secret) others.add(name);
  }
  return [...others].sort();
}

class SearchTooLarge extends Error {}

/** The secrets searched for, by st_dev then st_ino. */
type Wanted = Map<number, Map<number, { secret: string; links: number; names: Set<string> }>>;

/** Walks `root` without following symlinks, adding to `wanted` each name whose dev:ino it lists. */
function searchNames(root: string, wanted: Wanted, cache: SecretScanCache): void {
  const stack = [root];
  let count = 0;
  while (stack.length > 0) {
    const dir = stack.pop()!;
    const entry = nameListing(dir, cache);
    if (!entry) continue;
    count += entry.names.length + entry.subdirs.length + 1;
    if (count > NAME_SEARCH_BUDGET) throw new SearchTooLarge();
    const byIno = wanted.get(entry.dev);
    if (byIno) entry.inos.forEach((ino, i) => byIno.get(ino)?.names.add(path.join(dir, entry.names[i]!)));
    stack.push(...entry.subdirs);
  }
}

/**
 * Names and inode numbers of the non-directories in `dir`. A name's inode changes only
 * through the directory (unlink, rename, link), which changes its stamp: the cache is exact.
 */
function nameListing(dir: string, cache: SecretScanCache): NameIndexEntry | undefined {
  let stamp: string;
  let dev: number;
  try {
    const st = lstatSync(dir, { bigint: true });
    if (!st.isDirectory()) return undefined;
    stamp = `${st.ino}:${st.mtimeNs}:${st.ctimeNs}`;
    dev = Number(st.dev);
  } catch {
    cache.names.delete(dir);
    return undefined;
  }
  const cached = cache.names.get(dir);
  if (cached && cached.stamp === stamp) return cached;
  const entry: NameIndexEntry = { stamp, dev, subdirs: [], names: [], inos: [] };
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    entries = []; // unreadable: its names stay unfound, and the count check fails closed
  }
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) {
      entry.subdirs.push(full);
      continue;
    }
    const st = lstatSync(full, { throwIfNoEntry: false });
    if (!st || st.isDirectory()) continue;
    entry.names.push(e.name);
    entry.inos.push(st.ino);
    // A file bind-mounted from another file system would show another dev; such a name is
    // not a hard link of anything here, and keying by the directory's dev ignores it.
    if (st.dev !== dev) entry.inos[entry.inos.length - 1] = -1;
  }
  cache.names.set(dir, entry);
  return entry;
}

function shellQuote(p: string): string {
  return `'${p.replaceAll("'", `'\\''`)}'`;
}

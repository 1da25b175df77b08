import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Mode bits of a gitlink (a submodule commit) in the index: S_IFGITLINK, 0160000. */
const GITLINK_TYPE = 0o160000;
const TYPE_MASK = 0o170000;
/** ctime, mtime (8 bytes each), dev, ino, mode, uid, gid, size (4 bytes each). */
const STAT_BYTES = 40;
const FLAG_EXTENDED = 0x4000;
const NAME_MASK = 0x0fff;

/**
 * Paths of the gitlinks staged in a git index file (`.git/index`, versions 2 to 4). Host
 * `git status` runs a nested `git status` in each of them, reading that repository's config,
 * whether or not the user ever enters it and whether or not it is ignored.
 *
 * Returns undefined when the file is not an index this parser understands; the caller treats
 * that as "cannot tell" and checks more widely, never as "no gitlinks".
 */
export function indexGitlinks(indexPath: string, hashBytes: 20 | 32 = 20): string[] | undefined {
  let buf: Buffer;
  try {
    buf = readFileSync(indexPath);
  } catch {
    return [];
  }
  if (buf.length < 12 || buf.toString('latin1', 0, 4) !== 'DIRC') return undefined;
  const version = buf.readUInt32BE(4);
  if (version < 2 || version > 4) return undefined;
  const count = buf.readUInt32BE(8);
  const links: string[] = [];
  let offset = 12;
  let previous = '';
  for (let i = 0; i < count; i += 1) {
    const start = offset;
    if (offset + STAT_BYTES + hashBytes + 2 > buf.length) return undefined;
    const mode = buf.readUInt32BE(offset + 24);
    offset += STAT_BYTES + hashBytes;
    const flags = buf.readUInt16BE(offset);
    offset += 2;
    if (version >= 3 && flags & FLAG_EXTENDED) offset += 2;
    let name: string;
    if (version === 4) {
      // Prefix compression: strip N bytes from the previous name, then a NUL-terminated suffix.
      let strip = 0;
      let byte: number;
      let shift = 0;
      do {
        if (offset >= buf.length) return undefined;
        byte = buf[offset++]!;
        // git's varint: each continuation adds one before shifting (offset-encoding).
        strip = shift === 0 ? byte & 0x7f : ((strip + 1) << 7) | (byte & 0x7f);
        shift += 7;
      } while (byte & 0x80);
      const end = buf.indexOf(0, offset);
      if (end < 0 || strip > previous.length) return undefined;
      name = previous.slice(0, previous.length - strip) + buf.toString('utf8', offset, end);
      offset = end + 1;
    } else {
      const length = flags & NAME_MASK;
      const end = length < NAME_MASK ? offset + length : buf.indexOf(0, offset);
      if (end < 0 || end > buf.length) return undefined;
      name = buf.toString('utf8', offset, end);
      // Entries are NUL-padded to a multiple of 8 bytes (1 to 8 NULs).
      offset = start + ((end - start + 8) & ~7);
    }
    previous = name;
    // A split index stores a changed entry of the shared index as a nameless replacement, placed
    // by an EWAH bitmap this parser does not decode: cannot tell which path it is.
    if (name === '') return undefined;
    if ((mode & TYPE_MASK) === GITLINK_TYPE) links.push(name);
  }
  // A split index (`git update-index --split-index`) keeps most entries in
  // `sharedindex.<hash>` beside it, named by its `link` extension: read that one too.
  const shared = sharedIndexName(buf, offset, hashBytes);
  if (shared === null) return undefined;
  if (shared !== undefined) {
    const more = indexGitlinks(path.join(path.dirname(indexPath), shared), hashBytes);
    if (more === undefined || more.length === 0 && !existsSync(path.join(path.dirname(indexPath), shared))) return undefined;
    links.push(...more);
  }
  return links;
}

/**
 * The `sharedindex.<hash>` a split index links to (undefined: not split; null: the extension
 * table is malformed, so what git reads cannot be told).
 */
function sharedIndexName(buf: Buffer, start: number, hashBytes: number): string | undefined | null {
  let offset = start;
  const end = buf.length - hashBytes; // the trailing checksum
  while (offset + 8 <= end) {
    const signature = buf.toString('latin1', offset, offset + 4);
    const size = buf.readUInt32BE(offset + 4);
    if (offset + 8 + size > end) return null;
    if (signature === 'link') return size >= hashBytes ? `sharedindex.${buf.toString('hex', offset + 8, offset + 8 + hashBytes)}` : null;
    offset += 8 + size;
  }
  return undefined;
}

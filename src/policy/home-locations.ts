import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import type { ProtectedName } from './defaults.js';
import { walkPath, type Step } from './path-walk.js';

/**
 * Where a name under a home really lies. A home's start-up file is read by the host's
 * programs under its written name (`~/.bashrc`), but with a dotfile manager (stow, yadm,
 * chezmoi's symlink mode, home-manager) that name is a symlink and the bytes live elsewhere
 * (`~/dotfiles/bashrc`). Writing either changes what the user's next shell runs, so both
 * count: the written path, and the real path reached by following every link on the way,
 * dangling ones included (a link to a missing `~/dotfiles/bash_aliases` is exactly what a
 * command would fill in). The links met are kept too: a mount can make a file read-only but
 * never a symlink itself, so a link inside a writable root can be replaced by the command.
 */
export interface HomeLocation {
  home: string;
  /** The entry relative to the home, with the kind a placeholder for it gets. */
  name: ProtectedName;
  /** `home/entry`, as host programs name it. */
  written: string;
  /** The same after following every symlink on the way (missing tails appended). */
  real: string;
  /** Every symlink met on the way (each named with its real parent). */
  links: string[];
}

type EntryType = 'dir' | 'link' | 'other' | 'missing';

/**
 * Resolves names under homes for one resolution, with each directory listed at most once:
 * ~55 start-up entries per home share a few parents (~, ~/.config, ~/.local), and one
 * readdir answers every "is it there, is it a link" question about its children, where an
 * lstat per entry would cost ~55 system calls per home, mostly for missing names.
 */
export class HomeLocator {
  readonly #listings = new Map<string, Map<string, EntryType> | undefined>();
  readonly #links = new Map<string, string>();

  locate(homes: readonly string[], names: readonly ProtectedName[]): HomeLocation[] {
    const out: HomeLocation[] = [];
    for (const home of homes) {
      for (const name of names) {
        const written = path.join(home, name.path);
        const { real, links } = this.#follow(home, name.path);
        out.push({ home, name, written, real, links });
      }
    }
    return out;
  }

  /** `home` is a real path; walks `rel` the way the kernel does, without requiring it to exist. */
  #follow(home: string, rel: string): { real: string; links: string[] } {
    const end = walkPath(home, rel, (next, cur): Step => {
      const type = this.#type(cur, path.basename(next));
      if (type === 'link') return { kind: 'link', target: this.#readlink(next) };
      // Missing, or a file with more path below it: nothing further exists to follow.
      return type === 'dir' ? { kind: 'dir' } : { kind: 'end' };
    });
    return { real: end.how === 'done' ? end.cur : path.join(end.next, ...end.pending), links: end.links };
  }

  #type(dir: string, name: string): EntryType {
    let listing = this.#listings.get(dir);
    if (!this.#listings.has(dir)) {
      listing = list(dir);
      this.#listings.set(dir, listing);
    }
    if (listing === undefined) return 'missing';
    return listing.get(name) ?? 'missing';
  }

  #readlink(p: string): string | undefined {
    let target = this.#links.get(p);
    if (target === undefined) {
      try {
        target = readlinkSync(p);
      } catch {
        return undefined;
      }
      this.#links.set(p, target);
    }
    return target;
  }
}

/** Children of `dir` by type, or undefined when it cannot be listed (missing, no permission). */
function list(dir: string): Map<string, EntryType> | undefined {
  try {
    const entries = new Map<string, EntryType>();
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isSymbolicLink()) entries.set(e.name, 'link');
      else if (e.isDirectory()) entries.set(e.name, 'dir');
      else if (e.isFile() || e.isFIFO() || e.isSocket() || e.isCharacterDevice() || e.isBlockDevice()) entries.set(e.name, 'other');
      else entries.set(e.name, lstatType(path.join(dir, e.name))); // DT_UNKNOWN on some file systems
    }
    return entries;
  } catch {
    return undefined;
  }
}

function lstatType(p: string): EntryType {
  try {
    const st = lstatSync(p, { throwIfNoEntry: false });
    if (st === undefined) return 'missing';
    return st.isSymbolicLink() ? 'link' : st.isDirectory() ? 'dir' : 'other';
  } catch {
    return 'missing';
  }
}

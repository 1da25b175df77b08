import { readdirSync } from 'node:fs';
import path from 'node:path';
import micromatch from 'micromatch';
import { PolicyError } from '../errors.js';

/** Characters without which nothing is a glob: a cheap test before micromatch's parser. */
const GLOB_CHARS = /[*?[\]{}()!+@]/;

/** A literal path made safe to prefix a glob: a workspace named `a[1]` must not become a pattern. */
export function escapeGlob(literal: string): string {
  return literal.replace(/[*?[\]{}()!+@\\]/g, '\\$&');
}

/**
 * The glob with its literal base directory made real, so a glob under a symlinked directory
 * names the same files a real-path matcher (Seatbelt, the mount plan) sees.
 */
export function realGlob(pattern: string, realpath: (p: string) => string): string {
  const { base, glob } = micromatch.scan(pattern, { unescape: true });
  if (!base || base === '/') return pattern;
  const realBase = realpath(base);
  return realBase === base ? pattern : `${escapeGlob(realBase)}/${glob}`;
}

export function isGlob(pattern: string): boolean {
  return GLOB_CHARS.test(pattern) && micromatch.scan(pattern).isGlob;
}

export interface GlobWalkOptions {
  /** Directory names never descended into. */
  skipDirs: readonly string[];
  /** Entries the walk may visit before the pattern is rejected as over-broad. */
  budget: number;
  /** Field name for the error message. */
  field: string;
}

/**
 * Existing paths matching an absolute glob. The walk starts at the glob's literal base,
 * never follows symlinked directories (a link loop or a link to / must not explode it),
 * and stops with ERR_CORDON_POLICY_TOO_BROAD past a budget instead of silently truncating:
 * a deny list that was only partly expanded would be a silent hole.
 */
export function expandGlob(pattern: string, options: GlobWalkOptions): string[] {
  const { base } = micromatch.scan(pattern, { unescape: true });
  const root = base === '' ? '/' : base;
  if (root === '/') {
    throw new PolicyError('ERR_CORDON_POLICY_TOO_BROAD', [{ path: options.field, message: `glob ${JSON.stringify(pattern)} has no literal directory to start from` }], {
      hint: 'anchor the glob under a specific directory, e.g. ~/projects/**/*.pem',
    });
  }
  const isMatch = micromatch.matcher(pattern, { dot: true });
  const matches: string[] = [];
  let visited = 0;
  const stack = [root];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      continue; // unreadable or vanished: nothing there can be read by the command either
    }
    for (const entry of entries) {
      visited += 1;
      if (visited > options.budget) {
        throw new PolicyError('ERR_CORDON_POLICY_TOO_BROAD', [{ path: options.field, message: `glob ${JSON.stringify(pattern)} visits more than ${options.budget} entries` }], {
          hint: 'narrow the glob (a deeper literal directory, fewer **), or list the paths explicitly',
        });
      }
      const full = path.join(dir, entry.name);
      if (isMatch(full)) matches.push(full);
      if (entry.isDirectory() && !options.skipDirs.includes(entry.name)) stack.push(full);
    }
  }
  return matches.sort();
}

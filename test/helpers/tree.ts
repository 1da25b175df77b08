import { afterEach } from 'vitest';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A throwaway directory tree on the real file system. `spec` maps relative paths to content; a trailing `/` makes a directory, `-> target` a symlink. */
export interface Tree {
  root: string;
  path(rel: string): string;
  cleanup(): void;
}

export function makeTree(spec: Record<string, string> = {}, base = os.tmpdir()): Tree {
  const root = realpathSync(mkdtempSync(path.join(base, 'cordon-test-')));
  for (const [rel, content] of Object.entries(spec)) {
    const full = path.join(root, rel);
    if (rel.endsWith('/')) {
      mkdirSync(full, { recursive: true });
    } else if (content.startsWith('-> ')) {
      mkdirSync(path.dirname(full), { recursive: true });
      const target = content.slice(3);
      symlinkSync(target.startsWith('/') ? target : path.join(root, target), full);
    } else {
      mkdirSync(path.dirname(full), { recursive: true });
      writeFileSync(full, content);
    }
  }
  return { root, path: (rel) => path.join(root, rel), cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/**
 * A `tree(spec)` maker for one test file: every tree it made is removed after each test
 * (under the system tmp dir unless `base` says otherwise). Integration tests use
 * scratchTrees() from their harness instead, which puts trees under $HOME.
 */
export function tempTrees(base?: string): (spec?: Record<string, string>) => Tree {
  const trees: Tree[] = [];
  afterEach(() => {
    for (const t of trees.splice(0)) t.cleanup();
  });
  return (spec = {}) => {
    const t = makeTree(spec, base);
    trees.push(t);
    return t;
  };
}

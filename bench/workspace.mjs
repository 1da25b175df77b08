/** Throwaway workspaces: a small git-repo-like tree, and a large one for scaling checks. */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

function write(root, rel, text = '') {
  const file = path.join(root, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

/** A fresh temp dir shaped like a small repository: .git (with hooks and config), sources, tests. */
export function makeWorkspace(prefix = 'cordon-bench-') {
  const root = mkdtempSync(path.join(os.tmpdir(), prefix));
  write(root, '.git/HEAD', 'ref: refs/heads/main\n');
  write(root, '.git/config', '[core]\n\trepositoryformatversion = 0\n\tbare = false\n');
  write(root, '.git/hooks/pre-commit.sample', '#!/bin/sh\nexit 0\n');
  write(root, '.git/refs/heads/main', '0000000000000000000000000000000000000000\n');
  mkdirSync(path.join(root, '.git/objects/pack'), { recursive: true });
  write(root, 'package.json', '{ "name": "bench-fixture", "version": "1.0.0" }\n');
  write(root, 'README.md', '# fixture\n');
  write(root, '.gitignore', 'node_modules\n');
  write(root, '.env.example', 'API_URL=http://localhost\n');
  for (let d = 0; d < 4; d++) {
    for (let f = 0; f < 5; f++) write(root, `src/mod${d}/file${f}.js`, `export const x${f} = ${f};\n`);
  }
  for (let f = 0; f < 5; f++) write(root, `test/t${f}.test.js`, '// test\n');
  return root;
}

/** The small workspace plus `dirs` x `filesPerDir` extra files, to show per-call costs that grow with the tree. */
export function makeLargeWorkspace(dirs = 200, filesPerDir = 25) {
  const root = makeWorkspace('cordon-bench-large-');
  for (let d = 0; d < dirs; d++) {
    const dir = path.join(root, 'pkg', `d${d}`);
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < filesPerDir; f++) writeFileSync(path.join(dir, `f${f}.ts`), '');
  }
  return root;
}

/** Top-level names in the workspace, to spot litter (placeholders left behind). */
export function listTop(root) {
  return readdirSync(root).sort();
}

export function removeWorkspace(root) {
  rmSync(root, { recursive: true, force: true });
}

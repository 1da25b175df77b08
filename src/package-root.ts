import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package root (package.json, profiles/, prebuilds/), found by walking up from this
 * module: it sits two levels down in the compiled tree (dist/policy/x.js) but one level down
 * in the bundles the package ships (dist/cordon.mjs), and in src/ when tests run.
 */
function findPackageRoot(start: string): string {
  let dir = start;
  for (;;) {
    try {
      if ((JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string }).name === 'cordon') return dir;
    } catch {
      // no package.json here; keep climbing
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cordon: cannot find its package root above ${start}`);
    dir = parent;
  }
}

export const PACKAGE_ROOT: string = findPackageRoot(path.dirname(fileURLToPath(import.meta.url)));

import { afterEach } from 'vitest';
import { tempTrees } from './tree.js';

/**
 * Scratch trees for tests that point the placeholder registry somewhere of their own by
 * setting TMPDIR (os.tmpdir() reads it on every call): TMPDIR is put back and the trees removed
 * after each test.
 */
export function registryTrees(): ReturnType<typeof tempTrees> {
  const savedTmp = process.env.TMPDIR;
  afterEach(() => {
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
  });
  return tempTrees();
}

import type { Dirent } from 'node:fs';
import path from 'node:path';

/**
 * The gitdirs of a repository's submodules, under `gitdir/modules` at any depth (a module's
 * name may contain slashes, and modules nest their own `modules/`). `list` reads a directory
 * (callers differ in what they do with one they cannot read).
 */
export function submoduleGitdirs(gitdir: string, list: (dir: string) => Dirent[] | undefined): string[] {
  const found: string[] = [];
  const stack = [path.join(gitdir, 'modules')];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    const entries = list(dir);
    if (!entries) continue;
    if (entries.some((e) => e.name === 'HEAD')) {
      found.push(dir);
      stack.push(path.join(dir, 'modules'));
      continue;
    }
    for (const e of entries) if (e.isDirectory()) stack.push(path.join(dir, e.name));
  }
  return found;
}

/**
 * What the host-side checks cost per command on a large repository (issue 7): the end-of-command
 * host check for planted git metadata (src/host-check/) and the start-of-command `.env` scan,
 * each cached as a runtime keeps them, on a git repository of 100,000 files in 4,000
 * directories; then sandboxedSpawn('true') end to end on that repository with the host check on
 * and off, interleaved with the small workspace, so the check's share of a command is visible.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { closeRuntime, createRuntime, resolvePolicy, sandboxedSpawn } from '../dist/index.js';
import { findPlanted } from '../dist/host-check/find-planted.js';
import { RepoWalkCache } from '../dist/host-check/repo-walk.js';
import { interleave } from './interleave.mjs';
import { loopMicros } from './stats.mjs';
import { removeWorkspace } from './workspace.mjs';

/** A real git repository with `dirs` x `files` small files, all committed (a 100k-entry index). */
export function makeHugeRepo(dirs = 4000, files = 25) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'cordon-bench-100k-'));
  execFileSync('git', ['init', '-q'], { cwd: root });
  for (let d = 0; d < dirs; d++) {
    const dir = path.join(root, 'src', `a${Math.floor(d / 100)}`, `b${d % 100}`);
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < files; f++) writeFileSync(path.join(dir, `f${f}.ts`), `export const f${f} = ${d};\n`);
  }
  const git = (...args) => execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.invalid', ...args], { cwd: root, stdio: 'ignore' });
  git('add', '-A');
  git('commit', '-q', '-m', 'bench');
  return { root, files: dirs * files, dirs };
}

export async function hostCheckCost(runs) {
  const huge = makeHugeRepo();
  const runtimeOn = createRuntime();
  const runtimeOff = createRuntime({ hostCheck: false });
  try {
    const env = { ...process.env };
    const cache = new RepoWalkCache();
    findPlanted(huge.root, Date.now(), cache); // fill the cache, as the first command does
    resolvePolicy(undefined, { workspace: huge.root, env, scanCache: runtimeOn.scanCache });
    const micro = [
      [`host check, cached (findPlanted on ${huge.files.toLocaleString('en')} files, ${huge.dirs.toLocaleString('en')} dirs)`, 30, () => findPlanted(huge.root, Date.now(), cache)],
      ['host check, cold (first command in a fresh runtime)', 3, () => findPlanted(huge.root, Date.now(), new RepoWalkCache())],
      ['resolvePolicy with the .env scan, cached (same repository)', 30, () => resolvePolicy(undefined, { workspace: huge.root, env, scanCache: runtimeOn.scanCache })],
    ].map(([name, iterations, fn]) => ({ name, iterations, ...loopMicros(iterations, fn) }));
    const subject = (key, name, runtime) => ({
      key,
      name,
      run: () => sandboxedSpawn('true', [], { workspace: huge.root, runtime }),
    });
    const perCommand = await interleave([subject('on', 'sandboxedSpawn, 100k-file repo, host check on', runtimeOn), subject('off', 'same, host check off', runtimeOff)], Math.max(20, Math.floor(runs / 2)), 3);
    return { files: huge.files, dirs: huge.dirs, micro, perCommand };
  } finally {
    closeRuntime(runtimeOn);
    closeRuntime(runtimeOff);
    removeWorkspace(huge.root);
  }
}

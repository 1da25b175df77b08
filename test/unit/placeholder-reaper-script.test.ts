import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { REAPER_SCRIPT } from '../../src/backends/linux/placeholder-reaper.js';
import { acquirePlaceholders, placeholderRegistryBase } from '../../src/backends/linux/placeholders.js';
import type { Tree } from '../helpers/tree.js';
import { registryTrees } from '../helpers/registry.js';

/**
 * The reaper runs placeholderRegistry's SOURCE TEXT in a fresh node. That only works while the
 * function stays self-contained, so run the script as the tests see it (vite's transform) and
 * as the package ships it (esbuild, bundled and minified like scripts/bundle.mjs does).
 */

const tree = registryTrees();

async function bundledScript(t: Tree): Promise<string> {
  const entry = new URL('../../src/backends/linux/placeholder-reaper.ts', import.meta.url).pathname;
  const out = t.path('bundle/reaper.mjs');
  await build({ entryPoints: [entry], outfile: out, bundle: true, minify: true, format: 'esm', platform: 'node', target: 'node20', logLevel: 'silent' });
  const mod = (await import(pathToFileURL(out).href)) as { REAPER_SCRIPT: string };
  return mod.REAPER_SCRIPT;
}

/** A registry that looks exactly like a SIGKILLed harness's: placeholders, and a registration of a dead pid. */
function crashedHarnessState(t: Tree): { ws: string; dead: number } {
  process.env.TMPDIR = t.path('reg');
  const ws = t.path('ws');
  acquirePlaceholders([
    { path: path.join(ws, '.envrc'), kind: 'dir', root: ws },
    { path: path.join(ws, '.git'), kind: 'dir', root: ws },
    { path: path.join(ws, '.vscode'), kind: 'dir', root: ws },
  ]); // never released: as if this process had been killed
  const dead = Number(String(spawnSync('sh', ['-c', 'echo $$']).stdout).trim());
  const users = path.join(placeholderRegistryBase(), 'placeholders', readdirSync(path.join(placeholderRegistryBase(), 'placeholders'))[0]!, 'users');
  const [mine] = readdirSync(users);
  renameSync(path.join(users, mine!), path.join(users, `${dead}-${mine!.split('-')[1]}`));
  return { ws, dead };
}

function runScript(script: string, base: string, pid: number) {
  return spawnSync(process.execPath, ['-e', script, base, String(pid)], { encoding: 'utf8', env: {}, timeout: 10_000 });
}

describe('the reaper script', () => {
  for (const variant of ['as transformed for tests', 'as bundled and minified by esbuild'] as const) {
    it(`removes a dead harness's placeholders and keeps what the user put there (${variant})`, async () => {
      const t = tree({ 'reg/': '', 'ws/': '' });
      const script = variant === 'as transformed for tests' ? REAPER_SCRIPT : await bundledScript(t);
      const { ws, dead } = crashedHarnessState(t);
      writeFileSync(path.join(ws, '.vscode', 'settings.json'), '{}'); // the user's, written meanwhile
      expect(readdirSync(ws).sort()).toEqual(['.envrc', '.git', '.vscode']);
      const r = runScript(script, placeholderRegistryBase(), dead);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(readdirSync(ws)).toEqual(['.vscode']);
      expect(existsSync(path.join(ws, '.vscode', 'settings.json'))).toBe(true);
    });
  }

  it('does nothing for a harness that is still alive (its registration is not dropped on EOF alone)', () => {
    const t = tree({ 'reg/': '', 'ws/': '' });
    const { ws } = crashedHarnessState(t);
    const users = path.join(placeholderRegistryBase(), 'placeholders', readdirSync(path.join(placeholderRegistryBase(), 'placeholders'))[0]!, 'users');
    const [registration] = readdirSync(users);
    // Say our own (live) pid owns it: the script waits a while for it to die, then gives up.
    renameSync(path.join(users, registration!), path.join(users, `${process.pid}-x`));
    const r = runScript(REAPER_SCRIPT, placeholderRegistryBase(), process.pid);
    expect(r.status).toBe(0);
    expect(readdirSync(ws).sort()).toEqual(['.envrc', '.git', '.vscode']);
    expect(readdirSync(users)).toEqual([`${process.pid}-x`]);
  }, 15_000);
});

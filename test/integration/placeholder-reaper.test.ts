import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { closeRuntime, createRuntime } from '../../src/runtime.js';
import { sandboxedSpawn } from '../../src/spawn.js';
import { describeSandbox, scratchTrees } from './harness.js';

/**
 * Item 10 of issue 7: a harness SIGKILLed while it holds placeholders must not leave empty
 * `.envrc`, `.mcp.json`, `.vscode`, ... in the user's repository. The harness is a real child
 * process (src/ through vite-node), the sandbox real bwrap, and the host is checked afterwards.
 */

const tree = scratchTrees();
const viteNode = fileURLToPath(new URL('../../node_modules/vite-node/vite-node.mjs', import.meta.url));
const fixture = fileURLToPath(new URL('../fixtures/placeholder-harness.ts', import.meta.url));
/** Placeholders the default policy makes in an empty workspace (at least these). */
const EXPECTED = ['.envrc', '.git', '.gitmodules', '.mcp.json', '.vscode'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Harness {
  child: ChildProcess;
  /** The first line the harness printed (`ready <reaperPid>` / `done <reaperPid>`). */
  line: Promise<string>;
  exited: Promise<number | null>;
}

function startHarness(workspace: string, mode: 'hold' | 'hold-no-reaper' | 'once', ownGroup = false): Harness {
  // ownGroup: the harness leads its own process group, as a terminal's foreground job does.
  const child = spawn(process.execPath, [viteNode, fixture, workspace, mode], { stdio: ['ignore', 'pipe', 'pipe'], detached: ownGroup });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += String(d)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const line = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += String(d);
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    child.once('exit', () => reject(new Error(`harness exited before reporting: ${stderr}`)));
  });
  return { child, line, exited };
}

/** Polls until `check` holds, up to `ms`; returns whether it did. */
async function within(ms: number, check: () => boolean): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describeSandbox('placeholders survive no harness death (issue 7, item 10)', () => {
  it('weakened (reaper off): a SIGKILLed harness leaves its placeholders in the workspace', { timeout: 60_000 }, async () => {
    const t = tree({ 'ws/README': 'hi' });
    const ws = t.path('ws');
    const h = startHarness(ws, 'hold-no-reaper');
    expect(await h.line).toBe('ready none');
    const made = readdirSync(ws).sort();
    expect(made).toEqual(expect.arrayContaining(['README', ...EXPECTED]));
    h.child.kill('SIGKILL');
    await h.exited;
    await sleep(3_000);
    expect(readdirSync(ws).sort()).toEqual(made); // the litter the issue reports
    // Clean up as the next cordon command in that root would.
    const runtime = createRuntime({ placeholders: { reaper: false } });
    await sandboxedSpawn('true', [], { workspace: ws, runtime });
    closeRuntime(runtime);
    expect(readdirSync(ws)).toEqual(['README']);
  });

  it("a SIGKILLed harness's placeholders are removed by its reaper, and the user's own entries stay", { timeout: 60_000 }, async () => {
    const t = tree({ 'ws/README': 'hi' });
    const ws = t.path('ws');
    const h = startHarness(ws, 'hold');
    const reaperPid = Number((await h.line).split(' ')[1]);
    expect(reaperPid).toBeGreaterThan(0);
    expect(readdirSync(ws)).toEqual(expect.arrayContaining(['README', ...EXPECTED]));
    // Meanwhile the user, on the host, writes into one placeholder and replaces another with a
    // file of their own (at a path where cordon made something, so only identity tells them apart).
    writeFileSync(t.path('ws/.vscode/settings.json'), '{"user": true}');
    rmdirSync(t.path('ws/.envrc'));
    writeFileSync(t.path('ws/.envrc'), '');
    h.child.kill('SIGKILL');
    await h.exited;
    const start = Date.now();
    const cleaned = await within(3_000, () => readdirSync(ws).length === 3);
    const took = Date.now() - start;
    expect(readdirSync(ws).sort(), `after ${took} ms`).toEqual(['.envrc', '.vscode', 'README']);
    expect(cleaned).toBe(true);
    expect(readFileSync(t.path('ws/.vscode/settings.json'), 'utf8')).toBe('{"user": true}');
    expect(readFileSync(t.path('ws/.envrc'), 'utf8')).toBe('');
    expect(await within(3_000, () => !alive(reaperPid))).toBe(true); // and the reaper is gone too
  });

  it("Ctrl-C or a hang-up to the harness's process group does not take the reaper with it", { timeout: 60_000 }, async () => {
    for (const signal of ['SIGINT', 'SIGHUP'] as const) {
      const t = tree({ 'ws/': '' });
      const ws = t.path('ws');
      const h = startHarness(ws, 'hold', true);
      const reaperPid = Number((await h.line).split(' ')[1]);
      expect(readdirSync(ws)).toEqual(expect.arrayContaining(EXPECTED));
      process.kill(-h.child.pid!, signal); // what the terminal sends to its foreground job
      await h.exited;
      expect(await within(3_000, () => readdirSync(ws).length === 0), signal).toBe(true);
      expect(await within(3_000, () => !alive(reaperPid))).toBe(true);
    }
  });

  it('the reaper never removes placeholders another live process still uses', { timeout: 60_000 }, async () => {
    const t = tree({ 'ws/': '' });
    const ws = t.path('ws');
    const h = startHarness(ws, 'hold');
    await h.line;
    // This test process joins the same root with a long command of its own.
    const runtime = createRuntime();
    const mine = sandboxedSpawn('sh', ['-c', 'sleep 1.5; mkdir .vscode/x 2>/dev/null && echo created || echo blocked'], { workspace: ws, runtime, reject: false });
    await sleep(300);
    h.child.kill('SIGKILL');
    await h.exited;
    await sleep(800); // the reaper has long acted by now (it takes ~0.2 s)
    expect(existsSync(t.path('ws/.vscode'))).toBe(true);
    expect(String((await mine).stdout).trim()).toBe('blocked'); // our sandbox kept its protection
    closeRuntime(runtime);
    expect(readdirSync(ws)).toEqual([]);
  });

  it('a harness that ends normally exits promptly (the reaper holds no event loop) and leaves neither placeholders nor a reaper', { timeout: 60_000 }, async () => {
    const t = tree({ 'ws/': '' });
    const ws = t.path('ws');
    const h = startHarness(ws, 'once');
    const reaperPid = Number((await h.line).split(' ')[1]);
    expect(reaperPid).toBeGreaterThan(0); // it was armed ...
    const start = Date.now();
    expect(await h.exited).toBe(0);
    expect(Date.now() - start).toBeLessThan(1_500); // ... without waiting for the 2 s idle timer
    expect(readdirSync(ws)).toEqual([]);
    expect(await within(1_000, () => !alive(reaperPid))).toBe(true);
  });
});

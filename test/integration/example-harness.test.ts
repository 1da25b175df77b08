import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { mockModel } from '../../examples/harness-shell-tool/mock-model.js';
import { runShellTool } from '../../examples/harness-shell-tool/shell-tool.js';
import { describeSandbox, scratchTrees } from './harness.js';

/**
 * examples/harness-shell-tool run as a user would (`vite-node examples/.../main.ts`), judged on
 * the host: the ordinary write landed, the system write did not, the secret was not offered,
 * and the build-cache write lands only after the user's one "yes" (with "no" it never does: the
 * same command, denied and allowed, is its own control).
 */
const viteNode = fileURLToPath(new URL('../../node_modules/vite-node/vite-node.mjs', import.meta.url));
const main = fileURLToPath(new URL('../../examples/harness-shell-tool/main.ts', import.meta.url));
const tree = scratchTrees();

/** The example with its own HOME, holding a key it must never show (the model's `cat ~/.ssh/id_rsa`). */
function example(workspace: string, answer: 'yes' | 'no', home: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [viteNode, main, '--workspace', workspace, '--answer', answer], { encoding: 'utf8', env: { ...process.env, HOME: home } }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

describeSandbox('examples/harness-shell-tool', () => {
  it('runs offline: one question, asked once, for the only widening that may be offered', async () => {
    const t = tree({ 'ws/': '', 'home/.ssh/id_rsa': 'SECRET-KEY-MATERIAL' });
    const yes = await example(t.path('ws'), 'yes', t.path('home'));
    expect(yes.code, yes.stderr).toBe(0);
    expect(readFileSync(t.path('ws/out.txt'), 'utf8')).toBe('hi\n');
    expect(existsSync('/etc/cordon-example')).toBe(false);
    expect(yes.stdout).toContain('cordon stopped: write /etc/cordon-example');
    expect(yes.stdout).not.toContain('SECRET-KEY-MATERIAL');
    expect(yes.stdout).toMatch(/cordon stopped: read .*\.ssh\/id_rsa/);
    expect(yes.stdout).toContain('harness: not offered: a secret');
    expect(yes.stdout.match(/harness: ask user:/g)).toHaveLength(1);
    expect(yes.stdout).toContain(`harness: ask user: allow writes to`);
    expect(readFileSync(t.path('build-cache/out.txt'), 'utf8')).toBe('built\n');
  }, 90_000);

  it('"no" leaves the build cache untouched', async () => {
    const t = tree({ 'ws/': '', 'home/': '' });
    const r = await example(t.path('ws'), 'no', t.path('home'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('user> no');
    expect(r.stdout).not.toContain('retried');
    expect(existsSync(t.path('build-cache/out.txt'))).toBe(false);
  }, 90_000);

  it('the tool itself: output, exit code and the denial block for the model', async () => {
    const t = tree({ 'ws/': '', 'outside/': '' });
    const r = await runShellTool(`echo x > ${t.path('outside/f')}`, { workspace: t.path('ws') });
    expect(r.exitCode).not.toBe(0);
    expect(r.denials.map((d) => [d.kind, d.path])).toEqual([['write', t.path('outside/f')]]);
    expect(r.text).toContain(`cordon stopped: write ${t.path('outside/f')}`);
    expect(existsSync(t.path('outside/f'))).toBe(false);
    expect(mockModel([]).next()).toEqual({ type: 'text', text: 'Done: ran every command I needed.' });
  });
});

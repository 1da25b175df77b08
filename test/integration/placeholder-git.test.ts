import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { acquirePlaceholders } from '../../src/backends/linux/placeholders.js';
import { closeRuntime, createRuntime } from '../../src/runtime.js';
import { describeSandbox, scratchTrees, sh } from './harness.js';

/**
 * Item 13 of issue 7: whatever keeps a missing protected path uncreatable must never be seen by
 * git as a change to commit, inside the sandbox or on the host. Real bwrap, real git; the
 * commit and the work tree are judged with host git afterwards.
 */

const tree = scratchTrees();
const GIT_ENV = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e', GIT_CONFIG_NOSYSTEM: '1' };
/** Missing protected names that git would see if they were files. */
const FILE_NAMES = ['.envrc', '.gitmodules', '.mcp.json'];
const SCRIPT = 'echo change >> README && git status --porcelain && git submodule status && git add -A && git commit -qm x && echo committed';

/** A workspace that is a git repository with one commit, made on the host; HOME has no .gitconfig. */
function repo() {
  const t = tree({ 'ws/README': 'hi\n', 'home/': '' });
  const env = { ...GIT_ENV, HOME: t.path('home') };
  const git = (...args: string[]) => execFileSync('git', args, { cwd: t.path('ws'), env: { ...process.env, ...env }, encoding: 'utf8' });
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('commit', '-qm', 'init');
  return { t, env, git };
}

describeSandbox('placeholders are invisible to git (issue 7, item 13)', () => {
  it('weakened (empty-file placeholders, the old scheme): the command commits them, and the host then sees them deleted', async () => {
    const { t, env, git } = repo();
    const ws = t.path('ws');
    const runtime = createRuntime();
    // What cordon used to create for these names: empty files, mounted read-only in the sandbox.
    const old = acquirePlaceholders(FILE_NAMES.map((name) => ({ path: path.join(ws, name), kind: 'file' as const, root: ws })));
    const r = await sh(SCRIPT, { workspace: ws, env, runtime });
    expect(r.stdout.trim().split('\n')).toEqual(expect.arrayContaining(['?? .envrc', '?? .gitmodules', '?? .mcp.json', 'committed']));
    old.release();
    closeRuntime(runtime);
    expect(git('ls-tree', '-r', '--name-only', 'HEAD').trim().split('\n').sort()).toEqual([...FILE_NAMES, 'README'].sort());
    expect(git('status', '--porcelain').split('\n').filter(Boolean).sort()).toEqual([' D .envrc', ' D .gitmodules', ' D .mcp.json']);
  });

  it("the command's own `git add -A && git commit` commits no placeholder, and host git sees nothing, during and after", async () => {
    const { t, env, git } = repo();
    const ws = t.path('ws');
    const runtime = createRuntime();
    const r = await sh(`${SCRIPT}; for f in ${FILE_NAMES.join(' ')}; do { echo evil > $f; } 2>/dev/null && echo "wrote $f"; done; true`, { workspace: ws, env, runtime });
    expect(r.stderr).toBe(''); // no git warning about a directory .gitmodules either
    expect(r.stdout.split('\n').filter(Boolean)).toEqual([' M README', 'committed']); // inside: only the real change, and no write landed
    // The placeholders are still there (the burst may go on) ...
    for (const name of FILE_NAMES) expect(statSync(path.join(ws, name)).isDirectory()).toBe(true);
    // ... and host git, during the burst, sees nothing to commit.
    expect(git('status', '--porcelain')).toBe('');
    expect(git('ls-tree', '-r', '--name-only', 'HEAD').trim().split('\n')).toEqual(['README']);
    expect(git('show', '--stat', '--format=', 'HEAD').trim()).toMatch(/^README \| 1 \+\n 1 file changed/);
    closeRuntime(runtime);
    for (const name of FILE_NAMES) expect(existsSync(path.join(ws, name))).toBe(false);
    expect(readdirSync(ws).sort()).toEqual(['.git', 'README']);
    expect(git('status', '--porcelain')).toBe('');
  });
});

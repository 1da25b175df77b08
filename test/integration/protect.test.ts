import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { afterEach, expect, it } from 'vitest';
import type { Tree } from '../helpers/tree.js';
import { sandboxedSpawn } from '../../src/spawn.js';
import { closeRuntime, createRuntime } from '../../src/runtime.js';
import { PLACEHOLDER_IDLE_MS } from '../../src/backends/linux/placeholder-sessions.js';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describeSandbox, scratch, sh } from './harness.js';

let trees: Tree[] = [];
afterEach(() => {
  for (const t of trees) t.cleanup();
  trees = [];
});

const GIT_ENV = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e', GIT_CONFIG_NOSYSTEM: '1' };

/** A workspace that is a real git repository with one commit, made on the host. */
function repo(extra: Record<string, string> = {}) {
  const t = scratch({ 'ws/README': 'hi\n', 'home/': '', ...extra });
  trees.push(t);
  const git = (...args: string[]) => execFileSync('git', args, { cwd: t.path('ws'), env: { ...process.env, ...GIT_ENV, HOME: t.path('home') }, stdio: 'pipe' });
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('commit', '-qm', 'init');
  return { t, git, env: { ...GIT_ENV, HOME: t.path('home') } };
}

describeSandbox('protected paths inside the workspace', () => {
  it('.git/hooks and .git/config cannot be written, and the host copies are unchanged', async () => {
    const { t, env } = repo();
    const configBefore = readFileSync(t.path('ws/.git/config'), 'utf8');
    const r = await sh('echo "#!/bin/sh" > .git/hooks/pre-commit; echo $?; echo "[core] hooksPath=/x" >> .git/config; echo $?; git config core.hooksPath /x; echo $?', { workspace: t.path('ws'), env });
    const [hook, append, gitConfig] = r.stdout.trim().split('\n');
    expect([hook, append].every((code) => code !== '0')).toBe(true);
    expect(gitConfig).not.toBe('0');
    expect(existsSync(t.path('ws/.git/hooks/pre-commit'))).toBe(false);
    expect(readFileSync(t.path('ws/.git/config'), 'utf8')).toBe(configBefore);
  });

  it('rename tricks fail: moving .git or .git/hooks away, renaming onto .git/config, symlink aliases', async () => {
    const { t, env } = repo();
    const configBefore = readFileSync(t.path('ws/.git/config'), 'utf8');
    const script = [
      'mv .git moved 2>/dev/null && echo moved-git',
      'mv .git/hooks .git/h2 2>/dev/null && echo moved-hooks',
      'echo evil > evil && mv -f evil .git/config 2>/dev/null && echo replaced-config',
      'ln -s .git/config alias && echo "[x]" >> alias 2>/dev/null && echo wrote-alias',
      'ln .git/config hard 2>/dev/null && echo "[x]" >> hard 2>/dev/null && echo wrote-hardlink',
      'rm -rf .git/hooks 2>/dev/null; [ -d .git/hooks ] && echo hooks-still-there',
      'true',
    ].join('; ');
    const r = await sh(script, { workspace: t.path('ws'), env });
    expect(r.stdout.trim()).toBe('hooks-still-there');
    expect(readFileSync(t.path('ws/.git/config'), 'utf8')).toBe(configBefore);
    expect(existsSync(t.path('ws/moved'))).toBe(false);
  });

  it('missing protected paths cannot be created, and leave nothing behind once the runtime closes', async () => {
    const t = scratch({ 'ws/src/a.txt': 'a', 'home/': '' });
    trees.push(t);
    const runtime = createRuntime();
    const before = readdirSync(t.path('ws')).sort();
    const r = await sh('mkdir ordinary && echo control-ok; mkdir .vscode 2>/dev/null && echo made-vscode; echo {} > .mcp.json 2>/dev/null && echo made-mcp; echo x > .envrc 2>/dev/null && echo made-envrc; git init -q . 2>/dev/null && echo made-git; mkdir -p .claude/x 2>/dev/null && echo made-claude; true', {
      workspace: t.path('ws'),
      env: { HOME: t.path('home') },
      runtime,
    });
    expect(r.stdout.trim()).toBe('control-ok'); // the workspace is writable; only the protected names are not
    closeRuntime(runtime);
    expect(readdirSync(t.path('ws')).sort()).toEqual([...before, 'ordinary'].sort());
  });

  it('placeholders go away by themselves once the root has been idle, even after a timeout kill', async () => {
    const t = scratch({ 'ws/': '', 'home/': '' });
    trees.push(t);
    const runtime = createRuntime();
    const r = await sandboxedSpawn('sleep', ['30'], { workspace: t.path('ws'), env: { HOME: t.path('home') }, timeout: 300, reject: false, runtime });
    expect(r.timedOut).toBe(true);
    expect(readdirSync(t.path('ws'))).toContain('.vscode'); // kept for the next command of the burst ...
    await new Promise((done) => setTimeout(done, PLACEHOLDER_IDLE_MS + 500));
    expect(readdirSync(t.path('ws'))).toEqual([]); // ... and gone once idle
  });

  it('the CLI leaves nothing behind when it exits, even when its command is killed', async () => {
    const t = scratch({ 'ws/': '', 'home/': '' });
    trees.push(t);
    const cli = fileURLToPath(new URL('../../dist/cli.mjs', import.meta.url));
    const result = spawnSync(process.execPath, [cli, 'run', '--timeout', '300', '--', 'sleep', '30'], { cwd: t.path('ws'), env: { ...process.env, HOME: t.path('home') } });
    expect(result.status).not.toBe(0);
    expect(readdirSync(t.path('ws'))).toEqual([]);
  });

  it('a placeholder another sandbox still uses is not removed under it', async () => {
    const t = scratch({ 'ws/': '', 'home/': '' });
    trees.push(t);
    const first = createRuntime();
    const second = createRuntime(); // as another process would: its own leases
    const opts = { workspace: t.path('ws'), env: { HOME: t.path('home') }, reject: false } as const;
    const long = sandboxedSpawn('sh', ['-c', 'sleep 1.5; mkdir .vscode/x 2>/dev/null && echo created || echo blocked'], { ...opts, runtime: first });
    await new Promise((r) => setTimeout(r, 400));
    const short = await sandboxedSpawn('true', [], { ...opts, runtime: second });
    expect(short.exitCode).toBe(0);
    closeRuntime(second); // must not pull .vscode out from under the first sandbox
    const result = await long;
    expect(String(result.stdout).trim()).toBe('blocked');
    closeRuntime(first);
    expect(readdirSync(t.path('ws'))).toEqual([]);
  });

  it('git keeps working: add, commit, branch, stash, log', async () => {
    const { t, env, git } = repo();
    const r = await sh('echo change >> README && git add README && git commit -qm second && git branch feature && git checkout -q feature && echo wip >> README && git stash -q && git stash list | wc -l && git log --oneline | wc -l', { workspace: t.path('ws'), env });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['1', '2']);
    expect(git('branch', '--list').toString()).toContain('feature');
  });

  it('a worktree, where .git is a file, does not break the sandbox and its .git file is read-only', async () => {
    const { t, git, env } = repo();
    git('worktree', 'add', '-q', t.path('wt'), '-b', 'wt-branch');
    const gitFile = readFileSync(t.path('wt/.git'), 'utf8');
    const r = await sh('git status --short >/dev/null && echo status-ok; cat README; echo "gitdir: /evil" > .git 2>/dev/null || echo gitfile-protected', { workspace: t.path('wt'), env });
    expect(r.stdout.trim().split('\n')).toEqual(['status-ok', 'hi', 'gitfile-protected']);
    expect(readFileSync(t.path('wt/.git'), 'utf8')).toBe(gitFile);
  });

  it('caller-named protected paths hold too', async () => {
    const t = scratch({ 'ws/Makefile': 'all:\n', 'home/': '' });
    trees.push(t);
    mkdirSync(t.path('ws/ci'));
    writeFileSync(t.path('ws/ci/deploy.sh'), 'echo deploy');
    const r = await sh('echo evil > Makefile; echo evil > ci/deploy.sh; true', { workspace: t.path('ws'), env: { HOME: t.path('home') }, policy: { write: { protect: ['Makefile', 'ci/deploy.sh'] } } });
    expect(r.exitCode).toBe(0);
    expect(readFileSync(t.path('ws/Makefile'), 'utf8')).toBe('all:\n');
    expect(readFileSync(t.path('ws/ci/deploy.sh'), 'utf8')).toBe('echo deploy');
  });
});

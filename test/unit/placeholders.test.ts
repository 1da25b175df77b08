import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs, { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { placeholderRegistry } from '../../src/backends/linux/placeholder-registry.js';
import { PLACEHOLDER_IDLE_MS, PlaceholderSessions } from '../../src/backends/linux/placeholder-sessions.js';
import { acquirePlaceholders, placeholderRegistryBase } from '../../src/backends/linux/placeholders.js';
import type { Tree } from '../helpers/tree.js';
import { registryTrees } from '../helpers/registry.js';

const tree = registryTrees();

const registry = placeholderRegistry(fs, path, crypto, (message) => new Error(message));

/** A scratch tree with its own registry base (TMPDIR), so nothing here touches the real one. */
function scratchRegistry(spec: Record<string, string> = {}): Tree {
  const t = tree({ 'reg/': '', 'ws/': '', ...spec });
  process.env.TMPDIR = t.path('reg');
  return t;
}

/** The one registry directory under the scratch base (one root was used). */
function onlyRootDir(): string {
  const roots = path.join(placeholderRegistryBase(), 'placeholders');
  const [dir, ...more] = readdirSync(roots);
  expect(more).toEqual([]);
  return path.join(roots, dir!);
}

/** A pid that certainly belonged to a process that has exited (and been reaped). */
function deadPid(): number {
  const r = spawnSync('sh', ['-c', 'echo $$']);
  return Number(String(r.stdout).trim());
}

describe('placeholder registry', () => {
  it('creates placeholders and removes only the empty ones it made', () => {
    const t = scratchRegistry();
    const ws = t.path('ws');
    const lease = acquirePlaceholders([
      { path: path.join(ws, '.vscode'), kind: 'dir', root: ws },
      { path: path.join(ws, '.mcp.json'), kind: 'file', root: ws },
    ]);
    expect(existsSync(path.join(ws, '.vscode'))).toBe(true);
    mkdirSync(path.join(ws, '.vscode', 'kept-by-user')); // the host wrote into it meanwhile
    lease.release();
    expect(existsSync(path.join(ws, '.mcp.json'))).toBe(false);
    expect(existsSync(path.join(ws, '.vscode', 'kept-by-user'))).toBe(true);
  });

  it('an empty directory the user made where the placeholder was is not taken for ours, even on the same inode', () => {
    const t = scratchRegistry();
    const ws = t.path('ws');
    const target = path.join(ws, '.idea');
    const ownedFile = () => path.join(onlyRootDir(), 'owned');
    const myRegistration = () => readdirSync(path.join(onlyRootDir(), 'users'))[0]!;
    /** The user replaces our placeholder with their own empty directory; ext4 often reuses the inode. */
    const userReplaces = () => {
      const ours = fs.lstatSync(target, { bigint: true });
      rmdirSync(target);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 12); // file times tick per jiffy
      mkdirSync(target);
      return { ours, theirs: fs.lstatSync(target, { bigint: true }) };
    };
    // Inode reuse is likely but not certain (a parallel writer may take the inode), so the
    // registry record is set to what it holds when the inode IS reused: the user's dev:ino.

    // Weakened: an identity without the birth time (as before) takes the user's directory for ours.
    const noBirth = { ...fs, lstatSync: ((p: string, o?: object) => Object.assign(fs.lstatSync(p, o as never)!, { birthtimeNs: 0n })) } as unknown as typeof fs;
    const weak = placeholderRegistry(noBirth, path, crypto, (message) => new Error(message));
    acquirePlaceholders([{ path: target, kind: 'dir', root: ws }]);
    let { theirs } = userReplaces();
    writeFileSync(ownedFile(), JSON.stringify([{ path: target, id: `${theirs.dev}:${theirs.ino}:0:dir` }]));
    const mine = myRegistration();
    weak.release(onlyRootDir(), (registration) => registration === mine);
    expect(existsSync(target)).toBe(false); // the user's directory is gone

    // Fixed: the birth time differs, so it stays.
    const lease = acquirePlaceholders([{ path: target, kind: 'dir', root: ws }]);
    const replaced = userReplaces();
    theirs = replaced.theirs;
    writeFileSync(ownedFile(), JSON.stringify([{ path: target, id: `${theirs.dev}:${theirs.ino}:${replaced.ours.birthtimeNs}:dir` }]));
    lease.release();
    expect(existsSync(target)).toBe(true);
  });

  it('a placeholder that fails half-way leaves nothing: what was made is removed, the registration dropped', () => {
    const t = scratchRegistry({ 'ws/blocker': 'x' });
    const ws = t.path('ws');
    expect(() =>
      acquirePlaceholders([
        { path: path.join(ws, '.vscode'), kind: 'dir', root: ws },
        { path: path.join(ws, 'blocker', 'inside'), kind: 'dir', root: ws }, // ENOTDIR
      ]),
    ).toThrow(expect.objectContaining({ code: 'ERR_CORDON_SETUP_FAILED' }));
    expect(readdirSync(ws)).toEqual(['blocker']);
    expect(readdirSync(path.join(onlyRootDir(), 'users'))).toEqual([]);
  });

  it('refuses a registry directory that others can write (a shared /tmp squatter)', () => {
    const t = scratchRegistry();
    const base = path.join(t.path('reg'), `cordon-${process.getuid!()}`);
    mkdirSync(base);
    chmodSync(base, 0o777);
    expect(() => acquirePlaceholders([{ path: t.path('ws/.vscode'), kind: 'dir', root: t.path('ws') }])).toThrow(
      expect.objectContaining({ code: 'ERR_CORDON_SETUP_FAILED', hint: expect.stringMatching(/mode 0700/) }),
    );
    expect(existsSync(t.path('ws/.vscode'))).toBe(false);
  });

  it('a zombie counts as dead (kill(pid, 0) alone says alive)', async () => {
    // `sleep 0.05 &` exits at once, and its parent, now `sleep 5`, never waits for it: a zombie.
    const holder = spawn('sh', ['-c', 'sleep 0.05 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const zombie = await new Promise<number>((resolve) => holder.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim()))));
    try {
      await new Promise((r) => setTimeout(r, 300));
      expect(fs.readFileSync(`/proc/${zombie}/stat`, 'utf8')).toMatch(/\) Z /);
      expect(() => process.kill(zombie, 0)).not.toThrow(); // the weak check would keep its placeholders forever
      expect(registry.isAlive(zombie)).toBe(false);
      expect(registry.isAlive(process.pid)).toBe(true);
      expect(registry.isAlive(deadPid())).toBe(false);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it("reapDeadProcess removes a dead process's placeholders, but not while another live process uses them", () => {
    const t = scratchRegistry();
    const ws = t.path('ws');
    const lease = acquirePlaceholders([{ path: path.join(ws, '.envrc'), kind: 'dir', root: ws }]);
    const dir = onlyRootDir();
    const [mine] = readdirSync(path.join(dir, 'users'));
    const dead = deadPid();
    // Another process (now dead) joined this root too.
    writeFileSync(path.join(dir, 'users', `${dead}-00000000`), '');
    registry.reapDeadProcess(placeholderRegistryBase(), dead);
    expect(readdirSync(path.join(dir, 'users'))).toEqual([mine]); // the dead one's registration is gone ...
    expect(existsSync(path.join(ws, '.envrc'))).toBe(true); // ... but we still use the placeholder
    // Now the harness itself "dies": its registration goes, nobody is left, the placeholder goes.
    registry.reapDeadProcess(placeholderRegistryBase(), Number.parseInt(mine!, 10));
    expect(readdirSync(ws)).toEqual([]);
    expect(readdirSync(path.join(dir, 'users'))).toEqual([]);
    lease.release(); // a late normal release is harmless
  });

  it("reapDeadProcess leaves roots the dead process never used to their own users", () => {
    const t = scratchRegistry();
    const ws = t.path('ws');
    const lease = acquirePlaceholders([{ path: path.join(ws, '.envrc'), kind: 'dir', root: ws }]);
    const users = path.join(onlyRootDir(), 'users');
    const [mine] = readdirSync(users);
    const someoneElse = deadPid();
    renameSync(path.join(users, mine!), path.join(users, `${someoneElse}-00000000`)); // a harness that died without a reaper
    registry.reapDeadProcess(placeholderRegistryBase(), deadPid()); // another dead harness's reaper
    expect(existsSync(path.join(ws, '.envrc'))).toBe(true);
    registry.reapDeadProcess(placeholderRegistryBase(), someoneElse); // its own reaper would have
    expect(readdirSync(ws)).toEqual([]);
    lease.release();
  });

  it('reapDeadProcess does nothing in a registry base that is not private', () => {
    const t = scratchRegistry();
    const ws = t.path('ws');
    const lease = acquirePlaceholders([{ path: path.join(ws, '.envrc'), kind: 'dir', root: ws }]);
    const [mine] = readdirSync(path.join(onlyRootDir(), 'users'));
    chmodSync(placeholderRegistryBase(), 0o755);
    registry.reapDeadProcess(placeholderRegistryBase(), Number.parseInt(mine!, 10));
    expect(existsSync(path.join(ws, '.envrc'))).toBe(true);
    chmodSync(placeholderRegistryBase(), 0o700);
    lease.release();
    expect(readdirSync(ws)).toEqual([]);
  });
});

describe('placeholder sessions and their reaper', () => {
  const aliveProcess = (pid: number) => existsSync(`/proc/${pid}`) && !/\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));

  it('one reaper per active runtime: armed at the first placeholder, kept across bursts, gone after releaseAll', async () => {
    const t = scratchRegistry();
    const ws = t.path('ws');
    const sessions = new PlaceholderSessions();
    const placeholders = [{ path: path.join(ws, '.envrc'), kind: 'dir' as const, root: ws }];
    expect(sessions.reaperPid).toBeUndefined(); // nothing to reap, nothing started
    sessions.enter([ws], placeholders)();
    const first = sessions.reaperPid!;
    expect(aliveProcess(first)).toBe(true);
    await new Promise((r) => setTimeout(r, PLACEHOLDER_IDLE_MS + 300)); // the burst ends ...
    expect(readdirSync(ws)).toEqual([]); // ... its placeholders are gone ...
    sessions.enter([ws], placeholders)(); // ... and the next burst reuses the same reaper
    expect(sessions.reaperPid).toBe(first);
    sessions.releaseAll();
    expect(sessions.reaperPid).toBeUndefined();
    await new Promise((r) => setTimeout(r, 100));
    expect(aliveProcess(first)).toBe(false);
    expect(readdirSync(ws)).toEqual([]);
  });

  it('an idle runtime lets its reaper go after the linger time (an unclosed runtime leaves no process behind)', async () => {
    const t = scratchRegistry();
    const ws = t.path('ws');
    const sessions = new PlaceholderSessions({ reaperLingerMs: 200 });
    sessions.enter([ws], [{ path: path.join(ws, '.envrc'), kind: 'dir', root: ws }])();
    const reaper = sessions.reaperPid!;
    expect(aliveProcess(reaper)).toBe(true);
    await new Promise((r) => setTimeout(r, PLACEHOLDER_IDLE_MS + 500));
    expect(readdirSync(ws)).toEqual([]);
    expect(sessions.reaperPid).toBeUndefined();
    expect(aliveProcess(reaper)).toBe(false);
  });

  it('no reaper when switched off', () => {
    const t = scratchRegistry();
    const ws = t.path('ws');
    const sessions = new PlaceholderSessions({ reaper: false });
    sessions.enter([ws], [{ path: path.join(ws, '.envrc'), kind: 'dir', root: ws }])();
    expect(sessions.reaperPid).toBeUndefined();
    sessions.releaseAll();
  });
});

import crypto from 'node:crypto';
import fs, { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { planLinux, type LinuxHost } from '../../src/backends/linux/plan.js';
import { planMounts } from '../../src/backends/linux/mounts.js';
import { placeholderRegistry } from '../../src/backends/linux/placeholder-registry.js';
import { acquirePlaceholders, ensurePrivateRegistryBase, placeholderRegistryBase } from '../../src/backends/linux/placeholders.js';
import { resolvePolicy } from '../../src/policy/resolve.js';
import type { ResolvedPolicy } from '../../src/policy/resolved.js';
import { makeTree } from '../helpers/tree.js';
import { registryTrees } from '../helpers/registry.js';

/**
 * The placeholder registry ($TMPDIR/cordon-$UID) decides what the harness and the reaper
 * delete. Two lines of defence, each tested here: the sandbox never sees it (plan), and the
 * registry code refuses any level that is not exactly what it writes (registry).
 */

const host = (hostStateDirs: string[]): LinuxHost => ({ bwrapPath: '/usr/bin/bwrap', supportsDisableUserns: true, euid: 1000, seccompFilter: new Uint8Array(16), hostStateDirs });

function bare(over: Partial<ResolvedPolicy>): ResolvedPolicy {
  const policy = resolvePolicy({ workspaceAccess: 'read', read: { defaultSecrets: false } }, { workspace: '/', home: '/nonexistent', env: {} });
  return { ...policy, workspace: '/w', cwd: '/w', writableRoots: ['/w'], tmpDirs: ['/tmp'], keepInTmp: [], denyRead: [], allowRead: [], protect: [], ...over };
}

function indexOfOp(args: string[], ...op: string[]): number {
  for (let i = 0; i < args.length; i += 1) if (op.every((v, j) => args[i + j] === v)) return i;
  return -1;
}

describe('plan: cordon host state is masked wherever the sandbox would see it', () => {
  it('inside a writable root: an empty read-only tmpfs after the root is bound, its ancestors pinned', () => {
    const policy = bare({ writableRoots: ['/w', '/t'], tmpDirs: [] });
    const state = '/t/x/cordon-1000';
    // Weakened (no host fact): the registry is simply part of the writable root.
    expect(planMounts(policy).ops.filter((o) => o.path.startsWith('/t'))).toEqual([{ kind: 'write', path: '/t' }]);
    expect(planMounts(policy, [state]).ops.filter((o) => o.path.startsWith('/t'))).toEqual([
      { kind: 'write', path: '/t' },
      { kind: 'pin', path: '/t/x' },
      { kind: 'deny-dir', path: state },
    ]);
    const { args } = planLinux(policy, { file: 'true', args: [] }, host([state]));
    const bind = indexOfOp(args, '--bind', '/t', '/t');
    const pin = indexOfOp(args, '--bind', '/t/x', '/t/x');
    const mask = indexOfOp(args, '--tmpfs', state);
    const readOnly = indexOfOp(args, '--remount-ro', state);
    expect(bind).toBeGreaterThan(-1);
    expect(pin).toBeGreaterThan(bind);
    expect(mask).toBeGreaterThan(pin);
    expect(readOnly).toBeGreaterThan(mask);
    expect(readOnly).toBeLessThan(args.indexOf('--'));
  });

  it('with /tmp itself writable (write.allow: [/tmp] over the private /tmp) it is masked too', () => {
    const t = makeTree({ 'ws/': '' });
    try {
      const policy = resolvePolicy({ write: { allow: ['/tmp'] } }, { workspace: t.path('ws'), home: '/nonexistent', env: {} });
      expect(policy.writableRoots).toContain('/tmp');
      const ops = planMounts(policy, ['/tmp/cordon-1000']).ops;
      expect(ops).toContainEqual({ kind: 'deny-dir', path: '/tmp/cordon-1000' });
      expect(ops.findIndex((o) => o.kind === 'deny-dir' && o.path === '/tmp/cordon-1000')).toBeGreaterThan(ops.findIndex((o) => o.kind === 'write' && o.path === '/tmp'));
    } finally {
      t.cleanup();
    }
  });

  it('under a private tmp (the usual case) nothing is added: the argv is the same as without the fact', () => {
    const policy = bare({});
    expect(planLinux(policy, { file: 'true', args: [] }, host(['/tmp/cordon-1000'])).args).toEqual(planLinux(policy, { file: 'true', args: [] }, host([])).args);
  });

  it('visible read-only through the host root: masked, nothing pinned', () => {
    const policy = bare({ tmpDirs: [] });
    expect(planMounts(policy, ['/var/state/cordon-1000']).ops.filter((o) => o.path.startsWith('/var'))).toEqual([{ kind: 'deny-dir', path: '/var/state/cordon-1000' }]);
  });

  it('refuses a writable root at or inside the state directory (it cannot be writable and hidden)', () => {
    for (const root of ['/t/cordon-1000', '/t/cordon-1000/placeholders']) {
      const policy = bare({ writableRoots: ['/w', root], tmpDirs: [] });
      expect(() => planMounts(policy, ['/t/cordon-1000'])).toThrow(expect.objectContaining({ code: 'ERR_CORDON_POLICY_INVALID' }));
    }
  });
});

const tree = registryTrees();

const registry = placeholderRegistry(fs, path, crypto, (message) => Object.assign(new Error(message), { code: 'ERR_CORDON_SETUP_FAILED' }));
const refused = expect.objectContaining({ code: 'ERR_CORDON_SETUP_FAILED' });

/** A workspace with one placeholder held, a victim directory outside it, a scratch registry base. */
function held() {
  const t = tree({ 'reg/': '', 'ws/': '', 'victim/id_ed25519': 'KEY', 'victim/empty/': '' });
  process.env.TMPDIR = t.path('reg');
  const ws = t.path('ws');
  const lease = acquirePlaceholders([{ path: path.join(ws, '.envrc'), kind: 'dir', root: ws }]);
  const dir = registry.dirFor(placeholderRegistryBase(), ws);
  const mine = readdirSync(path.join(dir, 'users'))[0]!;
  const releaseMine = () => registry.release(dir, (r) => r === mine);
  return { t, ws, lease, dir, mine, releaseMine, victim: t.path('victim') };
}

const idOf = (p: string) => {
  const st = fs.lstatSync(p, { bigint: true });
  return `${st.dev}:${st.ino}:${st.birthtimeNs}:${st.isDirectory() ? 'dir' : 'file'}`;
};

describe('registry: nothing it did not write is trusted', () => {
  it('a symlinked users/ is refused before anything is removed (the red-team attack)', () => {
    const { ws, dir, releaseMine, victim } = held();
    renameSync(path.join(dir, 'users'), path.join(dir, 'users.old'));
    symlinkSync(victim, path.join(dir, 'users'));
    expect(releaseMine).toThrow(refused);
    expect(readdirSync(victim).sort()).toEqual(['empty', 'id_ed25519']);
    expect(existsSync(path.join(ws, '.envrc'))).toBe(true); // refusal deletes nothing, placeholders included
  });

  it('a registration name cordon never writes is refused, and nothing is removed', () => {
    const { ws, dir, releaseMine } = held();
    writeFileSync(path.join(dir, 'users', 'id_ed25519'), '');
    expect(releaseMine).toThrow(refused);
    expect(readdirSync(path.join(dir, 'users'))).toHaveLength(2);
    expect(existsSync(path.join(ws, '.envrc'))).toBe(true);
  });

  it('an owned entry outside its root is refused, although its identity matches (weakened: inside, it is removed)', () => {
    const { ws, dir, releaseMine, victim } = held();
    const outside = path.join(victim, 'empty');
    // Weakened control: a forged entry with the right identity inside the root IS acted on,
    // so only the root check below stands between a forged `owned` and the victim.
    mkdirSync(path.join(ws, 'users-empty-dir'));
    writeFileSync(path.join(dir, 'owned'), JSON.stringify([{ path: path.join(ws, 'users-empty-dir'), id: idOf(path.join(ws, 'users-empty-dir')) }]));
    releaseMine();
    expect(existsSync(path.join(ws, 'users-empty-dir'))).toBe(false);

    const again = held();
    writeFileSync(path.join(again.dir, 'owned'), JSON.stringify([{ path: path.join(again.victim, 'empty'), id: idOf(path.join(again.victim, 'empty')) }]));
    expect(again.releaseMine).toThrow(refused);
    expect(existsSync(path.join(again.victim, 'empty'))).toBe(true);
    expect(existsSync(outside)).toBe(true);
  });

  it('an owned entry reached through a symlinked directory inside the root is not removed', () => {
    const { ws, dir, releaseMine, victim } = held();
    symlinkSync(victim, path.join(ws, 'link'));
    const through = path.join(ws, 'link', 'empty');
    writeFileSync(path.join(dir, 'owned'), JSON.stringify([{ path: through, id: idOf(through) }]));
    releaseMine();
    expect(existsSync(path.join(victim, 'empty'))).toBe(true);
  });

  it('an owned file that is a symlink is refused, and acquire never writes through it', () => {
    const { ws, dir, releaseMine, victim } = held();
    const target = path.join(victim, 'id_ed25519');
    rmSync(path.join(dir, 'owned'));
    symlinkSync(target, path.join(dir, 'owned'));
    expect(() => acquirePlaceholders([{ path: path.join(ws, '.vscode'), kind: 'dir', root: ws }])).toThrow(refused);
    expect(readFileSync(target, 'utf8')).toBe('KEY');
    expect(existsSync(path.join(ws, '.vscode'))).toBe(false);
    expect(releaseMine).toThrow(refused);
  });

  it('a symlinked placeholders/ level is refused on the way in: nothing is created', () => {
    const t = tree({ 'reg/': '', 'ws/': '', 'elsewhere/': '' });
    process.env.TMPDIR = t.path('reg');
    mkdirSync(placeholderRegistryBase(), { mode: 0o700 });
    symlinkSync(t.path('elsewhere'), path.join(placeholderRegistryBase(), 'placeholders'));
    expect(() => acquirePlaceholders([{ path: t.path('ws/.envrc'), kind: 'dir', root: t.path('ws') }])).toThrow(refused);
    expect(readdirSync(t.path('ws'))).toEqual([]);
    expect(readdirSync(t.path('elsewhere'))).toEqual([]); // not even a directory made through the link
  });

  it('a $TMPDIR reached through a symlink inside a writable root is refused (the command could re-point it)', () => {
    const t = tree({ 'ws/real/': '', 'ws/link': '-> ws/real', 'outside/real/': '', 'outside/link': '-> outside/real' });
    process.env.TMPDIR = t.path('ws/link');
    expect(() => ensurePrivateRegistryBase([t.path('ws')])).toThrow(expect.objectContaining({ code: 'ERR_CORDON_SETUP_FAILED', hint: expect.stringMatching(/TMPDIR/) }));
    // Weakened control: the same link with no writable root over it is fine, planned at its real path.
    expect(ensurePrivateRegistryBase([])).toBe(path.join(t.path('ws/real'), `cordon-${process.getuid!()}`));
    process.env.TMPDIR = t.path('outside/link');
    expect(ensurePrivateRegistryBase([t.path('ws')])).toBe(path.join(t.path('outside/real'), `cordon-${process.getuid!()}`));
  });

  it('a level others can write, or a root file naming another root, is refused', () => {
    const { dir, releaseMine, lease } = held();
    chmodSync(dir, 0o777);
    expect(releaseMine).toThrow(refused);
    chmodSync(dir, 0o700);
    writeFileSync(path.join(dir, 'root'), '/');
    expect(releaseMine).toThrow(refused);
    rmSync(path.join(dir, 'root'));
    expect(releaseMine).toThrow(refused); // owned exists, so the root must be known
    lease.release(); // swallowed: a lease never throws at release
  });

  it('the reaper skips a tampered root but still cleans the sound ones', () => {
    const a = held();
    const ws2 = a.t.path('ws2');
    mkdirSync(ws2);
    acquirePlaceholders([{ path: path.join(ws2, '.envrc'), kind: 'dir', root: ws2 }]);
    const dir2 = registry.dirFor(placeholderRegistryBase(), ws2);
    const pid = Number.parseInt(a.mine, 10); // both registrations are this process's
    renameSync(path.join(a.dir, 'users'), path.join(a.dir, 'users.old'));
    symlinkSync(a.victim, path.join(a.dir, 'users'));
    // Say this process died: its registrations in sound roots go, its placeholders with them.
    const theirs = readdirSync(path.join(dir2, 'users'))[0]!;
    const dead = 999_999_999;
    renameSync(path.join(dir2, 'users', theirs), path.join(dir2, 'users', `${dead}-${theirs.split('-')[1]}`));
    registry.reapDeadProcess(placeholderRegistryBase(), dead);
    expect(readdirSync(ws2)).toEqual([]);
    registry.reapDeadProcess(placeholderRegistryBase(), pid);
    expect(readdirSync(a.victim).sort()).toEqual(['empty', 'id_ed25519']);
    expect(existsSync(path.join(a.ws, '.envrc'))).toBe(true);
  });
});

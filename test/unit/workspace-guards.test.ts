import { lchownSync, mkdirSync, realpathSync, renameSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { planMounts } from '../../src/backends/linux/mounts.js';
import { parseArgs, policyFromFlags } from '../../src/cli/args.js';
import { explainLinux as explainPath } from '../../src/backends/linux/explain.js';
import { ownerHomes } from '../../src/policy/homes.js';
import { findPlantableLink } from '../../src/policy/planted-links.js';
import { resolvePolicy, type ResolveOptions } from '../../src/policy/resolve.js';
import type { PolicyInput } from '../../src/policy/schema.js';
import { tempTrees } from '../helpers/tree.js';
import { refusalOf } from '../helpers/refusal.js';

const tree = tempTrees();
const errorOf = refusalOf;
const uid = process.geteuid?.() ?? -1;
const isRoot = uid === 0;
/** Resolve with scratch homes only, so nothing depends on the test user's real home. */
const resolve = (policy: PolicyInput, options: ResolveOptions) => resolvePolicy(policy, { otherHomes: [], env: {}, ...options });
const protectedPaths = (r: ReturnType<typeof resolvePolicy>) => r.protect.map((p) => p.path);

describe('item 3: a writable root that is or contains a home', () => {
  it('refuses a workspace equal to the home, above it, or /home, naming the field and the opt-in', () => {
    const t = tree({ 'top/alice/.bashrc': 'x', 'top/ws/': '' });
    const home = t.path('top/alice');
    const equal = errorOf(() => resolve({}, { workspace: home, home }));
    expect(equal.code).toBe('ERR_CORDON_POLICY_TOO_BROAD');
    expect(equal.issues?.[0]?.path).toBe('workspace');
    expect(equal.message).toMatch(/is the home directory/);
    expect(equal.hint).toMatch(/write\.allowHome: true \(CLI: --allow-home\)/);
    expect(errorOf(() => resolve({}, { workspace: t.path('top'), home })).message).toMatch(/contains the home directory/);
    // Also as an extra writable root.
    const extra = errorOf(() => resolve({ write: { allow: [t.path('top')] } }, { workspace: t.path('top/ws'), home }));
    expect(extra.code).toBe('ERR_CORDON_POLICY_TOO_BROAD');
    expect(extra.issues?.[0]?.path).toBe('write.allow.0');
    // /home holds other users' homes even when ours is elsewhere.
    expect(errorOf(() => resolve({ write: { allow: ['/home'] } }, { workspace: t.path('top/ws'), home })).code).toBe('ERR_CORDON_POLICY_TOO_BROAD');
    // A workspace inside the home is the normal case.
    expect(resolve({}, { workspace: t.path('top/alice'), home: t.path('top') }).writableRoots).toEqual([t.path('top/alice')]);
    expect(resolve({}, { workspace: t.path('top/ws'), home }).writableRoots).toEqual([t.path('top/ws')]);
  });

  it('considers every home in play, not only the one the command is given', () => {
    const t = tree({ 'top/owner/': '', 'top/given/': '', 'ws/': '' });
    const r = () => resolve({}, { workspace: t.path('top'), home: t.path('given'), otherHomes: [t.path('top/owner')] });
    expect(errorOf(r).message).toMatch(new RegExp(`contains the home directory ${t.path('top/owner')}`));
    // env.HOME counts too, even when options.home differs.
    expect(errorOf(() => resolve({}, { workspace: t.path('top'), home: t.path('ws'), env: { HOME: t.path('top/given') } })).code).toBe('ERR_CORDON_POLICY_TOO_BROAD');
  });

  it('reproduces the hole first: a workspace above a home nobody named gets no start-up protection', () => {
    const t = tree({ 'top/alice/.bashrc': 'x', 'top/alice/.config/': '' });
    // Weakened: the home is not in play, so the workspace above it is accepted unprotected.
    const weak = resolve({}, { workspace: t.path('top'), home: t.path('elsewhere') });
    expect(protectedPaths(weak)).not.toContain(t.path('top/alice/.bashrc'));
    expect(protectedPaths(weak)).not.toContain(t.path('top/alice/.bash_aliases'));
  });

  it('with write.allowHome, protects start-up locations relative to each home inside the root, pinning the way down', () => {
    const t = tree({ 'top/alice/.bashrc': 'x', 'top/alice/.config/': '', 'top/alice/.local/': '', 'top/bob/': '', 'top/.bashrc': 'not a home file' });
    const r = resolve({ write: { allowHome: true } }, { workspace: t.path('top'), home: t.path('top/alice'), otherHomes: [t.path('top/bob')] });
    const paths = protectedPaths(r);
    for (const rel of ['alice/.bashrc', 'alice/.bash_aliases', 'alice/.config/autostart', 'alice/.config/systemd', 'alice/.local/bin', 'bob/.bashrc', 'bob/.local']) {
      expect(paths, rel).toContain(t.path(`top/${rel}`));
    }
    expect(paths).not.toContain(t.path('top/.bashrc'));
    const bashrc = r.protect.find((p) => p.path === t.path('top/alice/.bashrc'))!;
    expect(bashrc).toMatchObject({ kind: 'file', pins: [t.path('top/alice')], rule: `protect ~/.bashrc (home ${t.path('top/alice')})` });
    expect(r.protect.find((p) => p.path === t.path('top/alice/.config/autostart'))).toMatchObject({ kind: 'missing', placeholderKind: 'dir', pins: [t.path('top/alice'), t.path('top/alice/.config')] });
    // Missing ones become placeholders in the plan (uncreatable), also in the workspace == home case.
    const same = resolve({ write: { allowHome: true } }, { workspace: t.path('top/alice'), home: t.path('top/alice') });
    const plan = planMounts(same);
    expect(plan.placeholders.map((p) => p.path)).toEqual(expect.arrayContaining([t.path('top/alice/.bash_aliases'), t.path('top/alice/.config/autostart')]));
    expect(plan.ops).toContainEqual({ kind: 'protect', path: t.path('top/alice/.bashrc') });
  });

  it('a home inside an extra writable root gets its missing start-up files protected too', () => {
    const t = tree({ 'ws/': '', 'top/alice/.profile': 'p' });
    const r = resolve({ write: { allow: [t.path('top')], allowHome: true } }, { workspace: t.path('ws'), home: t.path('top/alice') });
    expect(r.protect).toContainEqual(expect.objectContaining({ path: t.path('top/alice/.bash_aliases'), kind: 'missing' }));
    expect(planMounts(r).placeholders).toContainEqual({ path: t.path('top/alice/.bash_aliases'), kind: 'file', root: t.path('top') });
    // ... while the root's own names stay "only what exists" there (no .vscode litter).
    expect(protectedPaths(r)).not.toContain(t.path('top/.vscode'));
  });
});

describe('item 5: writable roots reached through a plantable symlink, and system directories', () => {
  it('reproduces the hole with the opt-in, then refuses the same path without it', () => {
    const t = tree({ 'P/pkg/': '', 'elsewhere/': '' });
    // A command in P swaps P/pkg for a link to any directory.
    renameSync(t.path('P/pkg'), t.path('P/pkg-old'));
    symlinkSync(t.path('elsewhere'), t.path('P/pkg'));
    const weak = resolve({ write: { allowSymlinkedRoots: true } }, { workspace: t.path('P/pkg'), home: t.path('h') });
    expect(weak.writableRoots).toEqual([t.path('elsewhere')]);
    const e = errorOf(() => resolve({}, { workspace: t.path('P/pkg'), home: t.path('h') }));
    expect(e.code).toBe('ERR_CORDON_WORKSPACE_INVALID');
    expect(e.message).toContain(`symlink ${t.path('P/pkg')} -> ${t.path('elsewhere')}`);
    expect(e.hint).toContain(`pass the real path ${t.path('elsewhere')}`);
    // The real path itself needs no opt-in.
    expect(resolve({}, { workspace: t.path('elsewhere'), home: t.path('h') }).writableRoots).toEqual([t.path('elsewhere')]);
  });

  it('finds a link in the middle, a relative one, and one reached through another link', () => {
    const t = tree({ 'real/sub/': '', 'a/': '' });
    symlinkSync('../real', t.path('a/rel'));
    expect(findPlantableLink(t.path('a/rel/sub'), uid)).toEqual({ link: t.path('a/rel'), target: '../real' });
    const e = errorOf(() => resolve({ write: { allow: [t.path('a/rel/sub')] } }, { workspace: t.path('real'), home: t.path('h') }));
    expect(e.code).toBe('ERR_CORDON_POLICY_INVALID');
    expect(e.issues?.[0]?.path).toBe('write.allow.0');
    expect(findPlantableLink(t.path('real/sub'), uid)).toBeUndefined();
    // `..` after a link is resolved against the link's target, as the kernel does.
    expect(findPlantableLink(`${t.path('real/sub')}/../sub`, uid)).toBeUndefined();
  });

  it.skipIf(realpathSync('/lib') === '/lib')('accepts system links: /lib -> usr/lib is root-owned, in a system directory (needs a merged-/usr system)', () => {
    expect(findPlantableLink('/lib/x', uid)).toBeUndefined();
    expect(findPlantableLink('/lib', 0)).toBeUndefined(); // even for root, who owns it
    expect(findPlantableLink('/lib', 12345)).toBeUndefined();
  });

  it.skipIf(!isRoot)('a link owned by another user is not this user\'s planting (needs root to chown the link)', () => {
    const t = tree({ 'real/': '' });
    symlinkSync(t.path('real'), t.path('link'));
    expect(findPlantableLink(t.path('link'), uid)).toEqual(expect.objectContaining({ link: t.path('link') }));
    lchownSync(t.path('link'), 12345, 12345);
    expect(findPlantableLink(t.path('link'), uid)).toBeUndefined();
  });

  it('applies the system-directory rules to the workspace (it is a writable root too)', () => {
    const t = tree({ 'ws/': '' });
    for (const ws of ['/', '/etc', '/usr/lib', '/var']) {
      expect(errorOf(() => resolve({}, { workspace: ws, home: t.path('h') })).code, ws).toBe('ERR_CORDON_POLICY_TOO_BROAD');
    }
    expect(errorOf(() => resolve({}, { workspace: '/etc', home: t.path('h') })).message).toMatch(/system directory/);
    // A read-only workspace grants no write, so reading /etc stays possible.
    expect(resolve({ workspaceAccess: 'read' }, { workspace: '/etc', home: t.path('h') }).writableRoots).toEqual([]);
  });
});

describe('item 9: a private tmp even when a home or the cwd lies below it', () => {
  it('keeps a home below /tmp visible on top of the private tmpfs, denials applied below it', () => {
    const t = tree({ 'home/.ssh/id': 'K', 'home/notes': 'n', 'ws/': '' });
    const r = resolve({}, { workspace: t.path('ws'), home: t.path('home'), env: { TMPDIR: '/tmp' } });
    expect(r.tmpDirs).toContain('/tmp');
    expect(r.keepInTmp).toEqual([t.path('home')]);
    const { ops } = planMounts(r);
    const at = (p: string) => ops.findIndex((o) => o.path === p);
    expect(ops[at('/tmp')]!.kind).toBe('tmp');
    expect(ops[at(t.path('home'))]!.kind).toBe('keep');
    expect(ops[at(t.path('home/.ssh'))]!.kind).toBe('deny-dir');
    expect(at('/tmp')).toBeLessThan(at(t.path('home')));
    expect(at(t.path('home'))).toBeLessThan(at(t.path('home/.ssh')));
    expect(ops[at(t.path('ws'))]!.kind).toBe('write');
    expect(explainPath(r, t.path('home/notes'))).toMatchObject({ read: true, write: false, rule: expect.stringMatching(/^kept visible, read-only/) });
    expect(explainPath(r, '/tmp/anything')).toMatchObject({ read: true, write: true, rule: expect.stringMatching(/^private tmp/) });
  });

  it('HOME=/tmp: the private tmpfs wins (nothing kept), and a denied home stays hidden', () => {
    const t = tree({ 'ws/': '', 'home/': '' });
    const r = resolve({}, { workspace: t.path('ws'), home: '/tmp' });
    expect(r.tmpDirs).toContain('/tmp');
    expect(r.keepInTmp).toEqual([]);
    const denied = resolve({ read: { denyHome: true } }, { workspace: t.path('ws'), home: t.path('home') });
    expect(planMounts(denied).ops.filter((o) => o.kind === 'keep')).toEqual([]);
  });

  it('keeps a starting directory outside the writable roots; a cwd equal to a tmp dir keeps that one host-visible', () => {
    const t = tree({ 'ws/': '', 'elsewhere/': '' });
    const r = resolve({}, { workspace: t.path('ws'), home: '/home/cordon-nobody', cwd: t.path('elsewhere') });
    expect(r.keepInTmp).toEqual([t.path('elsewhere')]);
    const atTmp = resolve({}, { workspace: t.path('ws'), home: '/home/cordon-nobody', cwd: '/tmp' });
    expect(atTmp.tmpDirs).not.toContain('/tmp');
    // A workspace below /tmp is bound writable, never kept read-only.
    expect(resolve({}, { workspace: t.path('ws'), home: '/home/cordon-nobody', cwd: t.path('ws') }).keepInTmp).toEqual([]);
  });
});

describe('item 11: every home in play', () => {
  it('reproduces the hole first: with only the overridden HOME, the owner\'s secrets are not denied', () => {
    const t = tree({ 'owner/.ssh/id': 'K', 'given/': '', 'ws/': '' });
    const weak = resolve({}, { workspace: t.path('ws'), env: { HOME: t.path('given') } });
    expect(weak.denyRead.map((d) => d.path)).not.toContain(t.path('owner/.ssh'));
    const fixed = resolve({}, { workspace: t.path('ws'), env: { HOME: t.path('given') }, otherHomes: [t.path('owner')] });
    expect(fixed.homes).toEqual([t.path('given'), t.path('owner')]);
    expect(fixed.denyRead).toContainEqual(expect.objectContaining({ path: t.path('owner/.ssh'), kind: 'dir' }));
    expect(fixed.denyRead).toContainEqual(expect.objectContaining({ path: t.path('given/.ssh'), kind: 'missing' }));
  });

  it('`~/` denials and denyHome apply under every home; `~` in other rules means the given home', () => {
    const t = tree({ 'owner/notes/k': 'K', 'given/notes/': '', 'ws/': '' });
    const r = resolve({ read: { deny: ['~/notes'], denyHome: true } }, { workspace: t.path('ws'), env: { HOME: t.path('given') }, otherHomes: [t.path('owner')] });
    const denied = r.denyRead.map((d) => d.path);
    expect(denied).toEqual(expect.arrayContaining([t.path('given/notes'), t.path('owner/notes'), t.path('given'), t.path('owner')]));
    mkdirSync(t.path('given/cache'));
    expect(resolve({ write: { allow: ['~/cache'] } }, { workspace: t.path('ws'), env: { HOME: t.path('given') }, otherHomes: [t.path('owner')] }).writableRoots).toContain(t.path('given/cache'));
  });

  it('by default the process owner\'s passwd home and $HOME are in play, whatever env.HOME says', () => {
    const homes = ownerHomes({ HOME: '/somewhere/else' });
    expect(homes).toContain(path.normalize(os.userInfo().homedir));
    expect(homes).toContain('/somewhere/else');
    const t = tree({ 'ws/': '', 'given/': '' });
    const r = resolvePolicy({}, { workspace: t.path('ws'), env: { HOME: t.path('given') } });
    expect(r.homes).toContain(realpathSync(os.userInfo().homedir));
    expect(r.denyRead.map((d) => d.path)).toContain(path.join(realpathSync(os.userInfo().homedir), '.ssh'));
  });

  it.skipIf(!isRoot)('under sudo (euid 0, SUDO_UID), the invoking user\'s passwd home is in play', () => {
    // uid 65534 (nobody) has a passwd entry on Debian; its home field is /nonexistent.
    expect(ownerHomes({ SUDO_UID: '65534' })).toContain('/nonexistent');
    expect(ownerHomes({ SUDO_UID: '65534; rm' })).not.toContain('/nonexistent');
  });
});

describe('CLI opt-ins', () => {
  it('--allow-home and --allow-symlinked-roots set the policy keys; they take no value', () => {
    const { flags } = parseArgs(['--allow-home', '--allow-symlinked-roots', '--', 'true']);
    expect(policyFromFlags(flags).write).toMatchObject({ allowHome: true, allowSymlinkedRoots: true });
    const plain = policyFromFlags(parseArgs(['--', 'true']).flags).write;
    expect(plain.allowHome ?? false).toBe(false);
    expect(plain.allowSymlinkedRoots ?? false).toBe(false);
    expect(() => parseArgs(['--allow-home=yes', '--', 'true'])).toThrow(/takes no value/);
  });

  it('the default workspace is the shell\'s logical $PWD, so a symlink it went through stays visible to the checks', () => {
    const t = tree({ 'real/': '' });
    symlinkSync(t.path('real'), t.path('link'));
    const saved = { cwd: process.cwd(), pwd: process.env.PWD };
    try {
      process.chdir(t.path('link'));
      process.env.PWD = t.path('link');
      expect(parseArgs(['--', 'true']).flags.workspace).toBe(t.path('link'));
      expect(errorOf(() => resolve(policyFromFlags(parseArgs(['--', 'true']).flags), { workspace: parseArgs(['--', 'true']).flags.workspace, home: t.path('h') })).code).toBe('ERR_CORDON_WORKSPACE_INVALID');
      process.env.PWD = '/somewhere/stale';
      expect(parseArgs(['--', 'true']).flags.workspace).toBe(t.path('real'));
    } finally {
      process.chdir(saved.cwd);
      if (saved.pwd === undefined) delete process.env.PWD;
      else process.env.PWD = saved.pwd;
    }
  });
});

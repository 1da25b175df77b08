import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { planMounts } from '../../src/backends/linux/mounts.js';
import { HOME_SECRETS } from '../../src/policy/defaults.js';
import { HomeLocator } from '../../src/policy/home-locations.js';
import { isAccountHome, passwdHomes } from '../../src/policy/homes.js';
import { homeSecretNames } from '../../src/policy/protect.js';
import { resolvePolicy, type ResolveOptions } from '../../src/policy/resolve.js';
import type { PolicyInput } from '../../src/policy/schema.js';
import { isSystemDir } from '../../src/policy/system-dirs.js';
import { makeTree, type Tree } from '../helpers/tree.js';
import { refusalOf } from '../helpers/refusal.js';

/**
 * Follow-up to issue 7 item 3 (red-team bypasses): start-up files reached by their real path,
 * roots inside a home's start-up locations, other passwd users' homes as root, system trees,
 * and missing secret directories in a writable home. Pure planning; the effects on the host
 * are shown in test/integration/homes-followup.test.ts.
 */

let trees: Tree[] = [];
afterEach(() => {
  for (const t of trees.splice(0)) t.cleanup();
});
function tree(spec: Record<string, string> = {}) {
  const t = makeTree(spec);
  trees.push(t);
  return t;
}
const errorOf = refusalOf;
const isRoot = process.geteuid?.() === 0;
/** Scratch homes only: nothing depends on the test user's real home or /etc/passwd. */
const resolve = (policy: PolicyInput, options: ResolveOptions) => resolvePolicy(policy, { otherHomes: [], passwdHomes: [], env: {}, ...options });
const protectedPaths = (r: ReturnType<typeof resolvePolicy>) => r.protect.map((p) => p.path);
const missingKinds = (r: ReturnType<typeof resolvePolicy>) => new Map(r.protect.filter((p) => p.kind === 'missing').map((p) => [p.path, p.placeholderKind]));

describe('start-up files by their real path (dotfile managers)', () => {
  it('reproduces first (home not in play: nothing protected), then protects ~/dotfiles/bashrc that ~/.bashrc links to', () => {
    const t = tree({ 'home/dotfiles/bashrc': '# rc', 'home/.bashrc': '-> home/dotfiles/bashrc', 'home/.bash_aliases': '-> home/dotfiles/aliases', 'elsewhere/': '' });
    const weak = resolve({}, { workspace: t.path('home/dotfiles'), home: t.path('elsewhere') });
    expect(protectedPaths(weak)).not.toContain(t.path('home/dotfiles/bashrc'));
    const r = resolve({}, { workspace: t.path('home/dotfiles'), home: t.path('home') });
    expect(r.protect).toContainEqual(expect.objectContaining({ path: t.path('home/dotfiles/bashrc'), kind: 'file', rule: expect.stringContaining(`real path of ${t.path('home/.bashrc')}`) }));
    // A dangling link's target is what a command would fill in: an uncreatable file placeholder.
    expect(missingKinds(r).get(t.path('home/dotfiles/aliases'))).toBe('file');
    expect(planMounts(r).placeholders).toContainEqual({ path: t.path('home/dotfiles/aliases'), kind: 'file', root: t.path('home/dotfiles') });
  });

  it('follows a linked parent (~/.config -> ~/dotfiles/config) and absolute, relative and chained links', () => {
    const t = tree({ 'home/dotfiles/config/': '', 'home/.config': '-> home/dotfiles/config', 'home/d2/': '' });
    symlinkSync('dotfiles/../d2', t.path('home/.vimrc'));
    const locs = new HomeLocator().locate([t.path('home')], [
      { path: '.config/git', kind: 'dir' },
      { path: '.vimrc', kind: 'file' },
      { path: '.profile', kind: 'file' },
    ]);
    expect(locs.map((l) => [l.real, l.links])).toEqual([
      [t.path('home/dotfiles/config/git'), [t.path('home/.config')]],
      [t.path('home/d2'), [t.path('home/.vimrc')]],
      [t.path('home/.profile'), []],
    ]);
    const r = resolve({}, { workspace: t.path('home/dotfiles'), home: t.path('home') });
    expect(missingKinds(r).get(t.path('home/dotfiles/config/git'))).toBe('dir');
    expect(missingKinds(r).get(t.path('home/dotfiles/config/autostart'))).toBe('dir');
  });

  it('a writable root holding a symlink on the way to a start-up or secret name is refused (a mount cannot protect a link)', () => {
    const t = tree({ 'home/dotfiles/bashrc': '# rc', 'home/.bashrc': '-> home/dotfiles/bashrc' });
    const e = errorOf(() => resolve({ write: { allowHome: true } }, { workspace: t.path('home'), home: t.path('home') }));
    expect(e.code).toBe('ERR_CORDON_POLICY_TOO_BROAD');
    expect(e.message).toContain(`symlink ${t.path('home/.bashrc')}`);
    expect(e.hint).toMatch(/narrower writable root/);
    const s = tree({ 'home/vault/': '', 'home/.aws': '-> home/vault' });
    expect(errorOf(() => resolve({ write: { allowHome: true } }, { workspace: s.path('home'), home: s.path('home') })).message).toContain(`symlink ${s.path('home/.aws')}`);
    // With secrets off, a linked secret name protects nothing, so it refuses nothing.
    expect(resolve({ write: { allowHome: true }, read: { defaultSecrets: false } }, { workspace: s.path('home'), home: s.path('home') }).writableRoots).toEqual([s.path('home')]);
  });
});

describe('writable roots inside a home: around and inside start-up locations', () => {
  it('a workspace of ~/.config is accepted with every start-up location under it protected, relative to the home', () => {
    const t = tree({ 'home/.config/README': 'x', 'home/.config/nvim/init.lua': '--' });
    const weak = resolve({}, { workspace: t.path('home/.config'), home: t.path('elsewhere') });
    expect(weak.protect.filter((p) => p.rule.startsWith('protect ~/'))).toEqual([]);
    const r = resolve({}, { workspace: t.path('home/.config'), home: t.path('home') });
    const kinds = missingKinds(r);
    for (const rel of ['git', 'autostart', 'systemd', 'fish', 'environment.d', 'direnv']) expect(kinds.get(t.path(`home/.config/${rel}`)), rel).toBe('dir');
    expect(kinds.get(t.path('home/.config/mimeapps.list'))).toBe('file');
    expect(r.protect).toContainEqual(expect.objectContaining({ path: t.path('home/.config/nvim'), kind: 'dir' }));
    // Secrets under it that are missing are made uncreatable too (a planted ~/.config/gh with a linked hosts.yml).
    expect(kinds.get(t.path('home/.config/gh'))).toBe('dir');
    expect(kinds.get(t.path('home/.config/git'))).toBe('dir');
    // ~/.local: its start-up children only.
    const l = tree({ 'home/.local/share/': '' });
    const local = missingKinds(resolve({}, { workspace: l.path('home/.local'), home: l.path('home') }));
    for (const rel of ['bin', 'lib', 'share/systemd', 'share/applications']) expect(local.get(l.path(`home/.local/${rel}`)), rel).toBe('dir');
  });

  it('refuses a root that is or lies inside a start-up location, even with write.allowHome, also through its real path', () => {
    const t = tree({ 'home/.config/nvim/lua/': '', 'home/.local/bin/': '', 'home/.ssh/': '', 'home/.config/git/': '', 'home/bin/': '', 'home/dotfiles/vim/': '', 'home/.vim': '-> home/dotfiles/vim', 'home/proj/': '' });
    const home = t.path('home');
    for (const rel of ['.config/nvim', '.config/nvim/lua', '.local/bin', '.ssh', '.config/git', 'bin', 'dotfiles/vim']) {
      for (const allowHome of [false, true]) {
        const e = errorOf(() => resolve({ write: { allowHome } }, { workspace: t.path(`home/${rel}`), home }));
        expect(e.code, rel).toBe('ERR_CORDON_POLICY_TOO_BROAD');
        expect(e.message, rel).toMatch(/start-up location of the home/);
        expect(e.hint, rel).toMatch(/allowHome does not lift this/);
      }
    }
    expect(errorOf(() => resolve({}, { workspace: t.path('home/dotfiles/vim'), home })).message).toContain(`real path of ${t.path('home/.vim')}`);
    expect(errorOf(() => resolve({ write: { allow: [t.path('home/.local/bin')] } }, { workspace: t.path('home/proj'), home })).issues?.[0]?.path).toBe('write.allow.0');
    // An ordinary project in the home, and ~/dotfiles itself (its vim link target protected), stay fine.
    expect(resolve({}, { workspace: t.path('home/proj'), home }).writableRoots).toEqual([t.path('home/proj')]);
    expect(resolve({}, { workspace: t.path('home/dotfiles'), home }).protect).toContainEqual(expect.objectContaining({ path: t.path('home/dotfiles/vim'), kind: 'dir' }));
  });
});

describe('as root, every passwd user\'s home', () => {
  it('reads homes from passwd text: existing directories only, never /, /nonexistent or system directories', () => {
    const t = tree({ 'alice/': '', 'file': 'x' });
    const text = [
      'root:x:0:0:root:/root:/bin/bash',
      'bin:x:2:2:bin:/bin:/usr/sbin/nologin',
      'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin',
      'net:x:998:998::/:/usr/sbin/nologin',
      'pg:x:101:101::/var/lib/postgresql:/bin/bash',
      'sshd:x:102:65534::/run/sshd:/usr/sbin/nologin',
      `alice:x:1000:1000::${t.path('alice')}/:/bin/bash`,
      `ghost:x:1001:1001::${t.path('gone')}:/bin/bash`,
      `odd:x:1002:1002::${t.path('file')}:/bin/bash`,
      'short:x:1003',
    ].join('\n');
    const homes = passwdHomes(text);
    expect(homes).toContain(t.path('alice'));
    for (const not of ['/', '/bin', '/nonexistent', '/var/lib/postgresql', '/run/sshd', t.path('gone'), t.path('file')]) expect(homes, not).not.toContain(not);
  });

  it('reproduces first (another user\'s home not in play: accepted), then refuses it and a root above it; with allowHome protects its start-up files', () => {
    const t = tree({ 'top/alice/.bashrc': 'x', 'top/me/': '' });
    const opts = { home: t.path('top/me') };
    expect(resolve({}, { ...opts, workspace: t.path('top/alice') }).writableRoots).toEqual([t.path('top/alice')]);
    const withPasswd = { ...opts, passwdHomes: [t.path('top/alice')] };
    const e = errorOf(() => resolve({}, { ...withPasswd, workspace: t.path('top/alice') }));
    expect(e.code).toBe('ERR_CORDON_POLICY_TOO_BROAD');
    expect(e.message).toMatch(/is the home directory/);
    const r = resolve({ write: { allowHome: true } }, { ...withPasswd, workspace: t.path('top'), home: t.path('top/me') });
    expect(protectedPaths(r)).toEqual(expect.arrayContaining([t.path('top/alice/.bashrc'), t.path('top/alice/.bash_aliases'), t.path('top/me/.bashrc')]));
    // Its secrets are not hidden from root (root's own business) and get no placeholders.
    expect(r.denyRead.map((d) => d.path)).not.toContain(t.path('top/alice/.ssh'));
    expect(missingKinds(r).has(t.path('top/alice/.aws'))).toBe(false);
  });

  it.skipIf(!isRoot)('by default as root, existing /home/* homes of passwd users are in play (skipped: not root)', () => {
    const homes = passwdHomes();
    const listed = readFileSync('/etc/passwd', 'utf8').split('\n').map((l) => l.split(':')[5]).filter((h): h is string => !!h && h.startsWith('/home/') && existsSync(h) && statSync(h).isDirectory());
    expect(homes).toEqual(expect.arrayContaining(listed));
    for (const h of listed) expect(errorOf(() => resolvePolicy({}, { workspace: h, otherHomes: [] })).code, h).toBe('ERR_CORDON_POLICY_TOO_BROAD');
  });
});

describe('system trees are no writable roots', () => {
  /** The rules before this change, to show what they let through. */
  const OLD = {
    exact: ['/', '/bin', '/boot', '/dev', '/etc', '/lib', '/lib32', '/lib64', '/proc', '/sbin', '/sys', '/usr', '/var', '/private', '/private/var', '/System', '/Library'],
    trees: ['/proc', '/sys', '/dev', '/boot', '/etc', '/usr', '/private/etc', '/System'],
    exceptions: [],
  };
  const REFUSED = ['/var/lib', '/var/lib/dpkg', '/var/log', '/var/spool', '/var/spool/cron/crontabs', '/var/www', '/run', '/run/user', '/run/user/1000', '/opt', '/srv', '/mnt', '/media', '/private/var/db', '/private/var/root', '/private/var/folders', '/private/var/folders/ab'];
  const ACCEPTED = ['/var/tmp', '/var/tmp/x', '/mnt/data/project', '/mnt/data', '/opt/work', '/srv/app', '/media/usb/p', '/private/var/tmp/x', '/private/var/folders/ab/cdef0123', '/private/var/folders/ab/cdef0123/T/ws', '/private/tmp/ws'];

  it('reproduces first: the old rule set accepted each of these', () => {
    for (const dir of REFUSED.filter((d) => !['/var/www'].includes(d) && !d.startsWith('/private/var/folders'))) expect(isSystemDir(dir, OLD), dir).toBe(false);
  });

  it('refuses /var (but /var/tmp), /run, and exactly /opt, /srv, /mnt, /media; keeps their subdirectories and macOS per-user tmp', () => {
    for (const dir of REFUSED) expect(isSystemDir(dir), dir).toBe(true);
    for (const dir of ACCEPTED) expect(isSystemDir(dir), dir).toBe(false);
  });

  it('resolving refuses each existing one as the workspace and as write.allow', () => {
    const t = tree({ 'ws/': '' });
    const existing = ['/var/lib', '/var/log', '/var/spool', '/run', '/run/user', '/etc', '/opt', '/srv', '/mnt', '/media'].filter((d) => existsSync(d));
    expect(existing.length).toBeGreaterThan(4);
    for (const dir of existing) {
      expect(errorOf(() => resolve({}, { workspace: dir, home: t.path('h') })).code, dir).toBe('ERR_CORDON_POLICY_TOO_BROAD');
      const e = errorOf(() => resolve({ write: { allow: [dir] } }, { workspace: t.path('ws'), home: t.path('h') }));
      expect(e.code, dir).toBe('ERR_CORDON_POLICY_TOO_BROAD');
      expect(e.message, dir).toMatch(/system directory/);
    }
    expect(resolve({ write: { allow: ['/var/tmp'] } }, { workspace: t.path('ws'), home: t.path('h') }).writableRoots).toContain('/var/tmp');
  });
});

describe('missing home secrets in a writable home are uncreatable', () => {
  it('reproduces first (secrets off: nothing keeps ~/.aws from being created), then placeholders for each missing one', () => {
    const t = tree({ 'home/.ssh/id': 'K', 'home/.docker/': '', 'home/notes.txt': 'n' });
    const home = t.path('home');
    const weak = resolve({ write: { allowHome: true }, read: { defaultSecrets: false } }, { workspace: home, home });
    expect(missingKinds(weak).has(t.path('home/.aws'))).toBe(false);
    const r = resolve({ write: { allowHome: true } }, { workspace: home, home });
    const kinds = missingKinds(r);
    expect(kinds.get(t.path('home/.aws'))).toBe('dir');
    expect(kinds.get(t.path('home/.gnupg'))).toBe('dir');
    expect(kinds.get(t.path('home/.kube'))).toBe('dir');
    expect(kinds.get(t.path('home/.netrc'))).toBe('file');
    expect(kinds.get(t.path('home/.docker/config.json'))).toBe('file');
    expect(kinds.get(t.path('home/.bash_history'))).toBe('file');
    // Existing ones are denied (hidden and unchangeable), not protected again.
    expect(r.denyRead).toContainEqual(expect.objectContaining({ path: t.path('home/.ssh'), kind: 'dir' }));
    expect(planMounts(r).placeholders).toContainEqual({ path: t.path('home/.aws'), kind: 'dir', root: home });
    // A workspace that holds no home's secret names gets no secret placeholders.
    const p = tree({ 'home/proj/': '' });
    expect([...missingKinds(resolve({}, { workspace: p.path('home/proj'), home: p.path('home') })).keys()].filter((k) => k.includes('.aws'))).toEqual([]);
  });

  it('classifies every default secret name as a file or a directory placeholder', () => {
    const kinds = new Map(homeSecretNames(HOME_SECRETS).map((n) => [n.path, n.kind]));
    expect(kinds.size).toBe(HOME_SECRETS.length);
    for (const dir of ['.ssh', '.aws', '.gnupg', '.config/gh', '.kube', '.password-store', '.mozilla', '.codex', '.config/rclone', '.oci', '.fly', 'Library/Keychains']) expect(kinds.get(dir), dir).toBe('dir');
    for (const file of ['.netrc', '.git-credentials', '.npmrc', '.pgpass', '.my.cnf', '.s3cfg', '.boto', '.vault-token', '.Xauthority', '.bash_history', '.histfile', '.claude.json', '.docker/config.json', '.cargo/credentials', '.yarnrc.yml']) {
      expect(kinds.get(file), file).toBe('file');
    }
  });
});

describe('a project inside a service account home in a system tree', () => {
  const isRoot = process.geteuid?.() === 0;
  it("an account's home (/etc/passwd) may hold a workspace even under /var; a HOME that is no account's opens nothing", () => {
    expect(isAccountHome('/root', 'root:x:0:0:root:/root:/bin/bash\n')).toBe(true);
    expect(isAccountHome('/var/lib', 'root:x:0:0:root:/root:/bin/bash\njenkins:x:110:116::/var/lib/jenkins:/bin/bash\n')).toBe(false);
    expect(isAccountHome('/var/lib/jenkins', 'jenkins:x:110:116::/var/lib/jenkins/:/bin/bash\n')).toBe(true);
    // HOME=/var/lib is in play but no account's home: /var/lib/dpkg stays refused.
    expect(() => resolvePolicy(undefined, { workspace: '/var/lib/dpkg', env: { HOME: '/var/lib' }, otherHomes: [] })).toThrow(/system directory/);
  });

  it.skipIf(!isRoot)("as root: a workspace in a real account's home under /var resolves (skipped: needs root to create one)", () => {
    const home = mkdtempSync('/var/lib/cordon-test-svc-');
    const line = `cordonsvc${process.pid}:x:64000:64000::${home}:/usr/sbin/nologin\n`;
    const passwd = readFileSync('/etc/passwd', 'utf8');
    try {
      mkdirSync(path.join(home, 'workspace', 'job'), { recursive: true });
      // Without an account: refused as a system directory (what the strict rule did to Jenkins).
      expect(() => resolvePolicy(undefined, { workspace: path.join(home, 'workspace', 'job'), env: { HOME: home }, otherHomes: [] })).toThrow(/system directory/);
      writeFileSync('/etc/passwd', passwd + line);
      const resolved = resolvePolicy(undefined, { workspace: path.join(home, 'workspace', 'job'), env: { HOME: home }, otherHomes: [] });
      expect(resolved.writableRoots).toEqual([path.join(home, 'workspace', 'job')]);
      expect(() => resolvePolicy(undefined, { workspace: home, env: { HOME: home }, otherHomes: [] })).toThrow(/system directory|home directory/);
    } finally {
      writeFileSync('/etc/passwd', passwd);
      rmSync(home, { recursive: true, force: true });
    }
  });
});

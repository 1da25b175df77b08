import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ALL_FEATURES, type ProfileFeatures } from '../../src/backends/macos/features.js';
import { planMacos } from '../../src/backends/macos/index.js';
import { caseInsensitivePathRegex } from '../../src/backends/macos/path-case.js';
import { buildProfile } from '../../src/backends/macos/profile.js';
import { toolCacheEnv } from '../../src/backends/macos/tool-caches.js';
import { loadProfile } from '../../src/policy/presets.js';
import { resolvePolicy } from '../../src/policy/resolve.js';
import type { ResolvedPolicy } from '../../src/policy/resolved.js';
import { checkProfile, profileOf } from '../sbpl/checks.js';
import { SeatbeltModel, type Target } from '../sbpl/decide.js';
import { resolvedFixture } from '../sbpl/fixtures.js';

// The remaining Seatbelt profile fixes of issue 8. Each block first shows the weakness with
// the fix switched off (buildProfile's `features`), then that the real profile stops it.

const cmd = { file: '/bin/echo', args: ['hi'] };
const RUN_DIR = '/private/var/folders/xy/abc123/T/cr-0123abcd01';
const HOME = '/Users/alice';
const WS = `${HOME}/proj`;

/** The fixture plus a protected .git/config and a path-named secret file inside the workspace. */
const policy = resolvedFixture({
  denyRead: [...resolvedFixture().denyRead, { path: `${WS}/config/master.key`, kind: 'file', rule: 'read.deny: config/master.key' }],
  protect: [...resolvedFixture().protect, { path: `${WS}/.git/config`, kind: 'file', placeholderKind: 'file', pins: [`${WS}/.git`], rule: 'protect .git/config' }],
  allowRead: [{ path: `${HOME}/.ssh/known_hosts`, kind: 'file', rule: 'read.allow: ~/.ssh/known_hosts' }],
});

/** `runDir: null` is a plan for review only (no run dir). */
function modelWith(features: Partial<ProfileFeatures>, p: ResolvedPolicy = policy, runDir: string | null = RUN_DIR): SeatbeltModel {
  const profile = buildProfile(p, 't', runDir === null ? {} : { runDir }, { ...ALL_FEATURES, ...features });
  const defines = new Map(profile.defines.map((d) => /^-D([^=]+)=(.*)$/s.exec(d)!.slice(1, 3) as [string, string]));
  return new SeatbeltModel(profile.text, defines);
}
const fixed = modelWith({});
const decide = (model: SeatbeltModel, op: string, target: string | Target) => model.decide(op, typeof target === 'string' ? { path: target } : target).decision;

describe('caseInsensitivePathRegex (pure)', () => {
  it('turns letters into [xX] classes and anchors the path', () => {
    expect(caseInsensitivePathRegex('/a.B', 'exact')).toBe('^/[aA]\\.[bB]$');
    expect(caseInsensitivePathRegex('/a.B', 'subtree')).toBe('^/[aA]\\.[bB](/.*)?$');
    expect(caseInsensitivePathRegex('/', 'subtree')).toBe('^/.*$');
    expect(caseInsensitivePathRegex('/', 'exact')).toBe('^/$');
  });

  it('escapes every regex metacharacter, so a name matches only itself', () => {
    const name = '/x/a+b(1)[x]{2}*?|z\\w$^.c';
    const re = new RegExp(caseInsensitivePathRegex(name, 'exact'));
    expect(re.test(name)).toBe(true);
    expect(re.test(name.toUpperCase())).toBe(true);
    for (const other of ['/x/aab(1)[x]{2}*?|z\\w$^.c', '/x/a+b1x22z\\w.c', '/x/a+b(1)[x]{2}*?|z\\w$^xc', 'z\\w$^.c']) expect(re.test(other), other).toBe(false);
  });

  it('subtree matches the path and below it, not a sibling that shares a prefix', () => {
    const re = new RegExp(caseInsensitivePathRegex('/Users/alice/.ssh', 'subtree'));
    for (const p of ['/Users/alice/.ssh', '/users/ALICE/.SSH/id_rsa', '/Users/alice/.Ssh/a/b']) expect(re.test(p), p).toBe(true);
    for (const p of ['/Users/alice/.sshx', '/Users/alice/.ssh.bak/id', '/Users/alice', '/x/Users/alice/.ssh']) expect(re.test(p), p).toBe(false);
  });

  it('keeps non-ASCII bytes literal (documented limit) and never emits syntax outside the checked subset', () => {
    const re = caseInsensitivePathRegex('/Users/Ärger/проект', 'exact');
    expect(re).toContain('Ärger'.slice(0, 1));
    expect(re).toContain('проект');
    expect(re).not.toMatch(/\{|\(\?|\\d/);
  });
});

describe('item 1: case-insensitive APFS cannot get past case-sensitive rules', () => {
  // Each is the same file as a denied or protected one on a case-insensitive volume.
  const reads = [`${HOME}/.SSH/id_rsa`, '/users/ALICE/.ssh/id_rsa', `${HOME}/.NETRC`, `${WS}/CONFIG/Master.Key`, `${HOME}/PROJ/app/.env.local`];
  const writes: Array<[string, string]> = [
    ['file-write-create', `${WS}/.Git/hooks/pre-commit`],
    ['file-write-data', `${WS}/.GIT/config`],
    ['file-write-data', `${WS}/.git/Config`],
    ['file-write-create', `${WS}/.VSCODE/settings.json`],
    ['file-write-data', `${WS}/.ENV`],
    // The rename bypass spelled in another case: `mv .GIT x && mkdir -p .git/hooks`.
    ['file-write-unlink', `${WS}/.GIT`],
    ['file-write-unlink', `${WS}/Config`],
  ];

  it('weakened (caseFold off): these case variants get through', () => {
    const weak = modelWith({ caseFold: false });
    for (const p of reads) expect(decide(weak, 'file-read-data', p), p).toBe('allow');
    // .ENV is caught by the .env glob's own case-insensitive tail even here; the rest are not.
    for (const [op, p] of writes.filter(([, p]) => !p.endsWith('/.ENV'))) expect(decide(weak, op, p), `${op} ${p}`).toBe('allow');
  });

  it('fixed: every case variant is denied like the exact spelling', () => {
    for (const p of reads) expect(decide(fixed, 'file-read-data', p), p).toBe('deny');
    for (const [op, p] of writes) expect(decide(fixed, op, p), `${op} ${p}`).toBe('deny');
    for (const p of [`${WS}/.Env.local`, `${WS}/APP/.ENV`]) expect(decide(fixed, 'file-read-data', p), p).toBe('deny');
  });

  it('only denials fold: ordinary files stay usable, and an exception is honoured in its own spelling only', () => {
    for (const p of [`${WS}/src/main.ts`, `${WS}/.envrc`, `${WS}/Config.ts`, `${HOME}/.sshconfig`]) expect(decide(fixed, 'file-read-data', p), p).toBe('allow');
    expect(decide(fixed, 'file-write-create', `${WS}/src/Git.ts`)).toBe('allow');
    expect(decide(fixed, 'file-read-data', `${HOME}/.ssh/known_hosts`)).toBe('allow');
    expect(decide(fixed, 'file-read-data', `${HOME}/.SSH/known_hosts`)).toBe('deny'); // fails closed
  });

  it('regexes travel as -D values, anchored and in the checked subset; the text names no path', () => {
    const parts = profileOf(planMacos(policy, cmd, { sessionTag: 't', runDir: RUN_DIR }));
    expect(checkProfile(parts, policy)).toEqual([]);
    const ci = [...parts.defines].filter(([name]) => name.startsWith('CI_'));
    expect(ci.length).toBeGreaterThan(5);
    expect(parts.text).toContain('(regex (param "CI_0"))');
    expect(parts.text).not.toMatch(/\[aA\]\[lL\]\[iI\]|alice/);
  });
});

describe('item 2: nested git metadata is protected as on Linux (a real resolved policy)', () => {
  const root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'cordon-nested-git-')));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const home = path.join(root, 'home');
  const ws = path.join(home, 'proj');
  const git = path.join(ws, '.git');
  const sub = path.join(git, 'modules', 'libs', 'sub');
  for (const d of [path.join(git, 'hooks'), path.join(git, 'objects'), path.join(git, 'refs'), path.join(sub, 'hooks'), path.join(sub, 'objects'), path.join(ws, '.husky'), path.join(root, 'tmp')]) mkdirSync(d, { recursive: true });
  writeFileSync(path.join(git, 'HEAD'), 'ref: refs/heads/main\n');
  writeFileSync(path.join(git, 'config'), '[core]\n\thooksPath = .husky\n');
  writeFileSync(path.join(git, 'config.worktree'), '[core]\n');
  writeFileSync(path.join(sub, 'HEAD'), 'ref: refs/heads/main\n');
  writeFileSync(path.join(sub, 'config'), '[core]\n');
  writeFileSync(path.join(ws, '.husky', 'pre-commit'), 'npm test\n');
  const resolved = resolvePolicy(loadProfile('default'), { workspace: ws, home, env: { HOME: home, TMPDIR: path.join(root, 'tmp'), PATH: '/usr/bin:/bin' } });
  const runDir = path.join(root, 'tmp', 'cordon-run-1');

  const attacks: Array<[string, string]> = [
    ['file-write-create', path.join(sub, 'hooks', 'post-checkout')],
    ['file-write-data', path.join(sub, 'config')],
    ['file-write-unlink', path.join(sub, 'config')],
    ['file-write-data', path.join(git, 'config.worktree')],
    ['file-write-data', path.join(ws, '.husky', 'pre-commit')],
    ['file-write-create', path.join(ws, '.husky', 'post-merge')],
    // Renames of the ancestors that would carry the protected content away.
    ['file-write-unlink', path.join(git, 'modules')],
    ['file-write-unlink', sub],
    ['file-write-unlink', path.join(ws, '.husky')],
    // And the case-insensitive spellings of the same.
    ['file-write-create', path.join(ws, '.GIT', 'modules', 'libs', 'SUB', 'hooks', 'post-checkout')],
    ['file-write-data', path.join(ws, '.Husky', 'pre-commit')],
  ];

  it('the resolver put them in policy.protect', () => {
    const protectedPaths = resolved.protect.map((p) => p.path);
    expect(protectedPaths).toEqual(expect.arrayContaining([path.join(sub, 'hooks'), path.join(sub, 'config'), path.join(git, 'config.worktree'), path.join(ws, '.husky')]));
  });

  it('weakened (only the root .git/hooks and .git/config protected): the attacks would land', () => {
    const weakPolicy = { ...resolved, protect: resolved.protect.filter((p) => p.path === path.join(git, 'hooks') || p.path === path.join(git, 'config')) };
    const weak = modelWith({}, weakPolicy, runDir);
    for (const [op, p] of attacks) expect(decide(weak, op, p), `${op} ${p}`).toBe('allow');
  });

  it('planMacos on the resolved policy denies every one of them, and ordinary git writes still work', () => {
    const parts = profileOf(planMacos(resolved, cmd, { runDir }));
    expect(checkProfile(parts, resolved)).toEqual([]);
    const model = new SeatbeltModel(parts.text, parts.defines);
    for (const [op, p] of attacks) expect(decide(model, op, p), `${op} ${p}`).toBe('deny');
    for (const p of [path.join(git, 'objects', 'ab', 'cd'), path.join(sub, 'objects', 'ab', 'cd'), path.join(git, 'index'), path.join(ws, 'src.ts')]) {
      expect(decide(model, 'file-write-create', p), p).toBe('allow');
    }
  });
});

describe('item 3: file-clone inside the writable areas, never of or onto a secret or protected path', () => {
  it('weakened (the old profile: clones denied everywhere): fs::copy inside the workspace fails', () => {
    const weak = modelWith({ clone: false });
    expect(decide(weak, 'file-clone', `${WS}/target/debug/build/a`)).toBe('deny');
    expect(decide(weak, 'file-clone', `${RUN_DIR}/x`)).toBe('deny');
  });

  it('fixed: clones inside the workspace and the run dir are allowed', () => {
    for (const p of [`${WS}/target/debug/build/a`, `${WS}/node_modules/.pnpm/x/index.js`, `${WS}/src`, `${RUN_DIR}/x`]) expect(decide(fixed, 'file-clone', p), p).toBe('allow');
  });

  it('fixed: never where a secret, protected path or pin is involved, in any letter case', () => {
    const denied = [
      `${WS}/.env`, `${WS}/.ENV`, `${WS}/app/.env.local`, // secrets by path and by glob
      `${WS}/config/master.key`, `${WS}/config`, // a path-named secret, and the directory holding it (a directory clone copies it)
      `${WS}/.git/hooks/pre-commit`, `${WS}/.Git/hooks/pre-commit`, `${WS}/.git/config`, `${WS}/.vscode`, `${WS}/.VSCode/tasks.json`, // protected
      `${WS}/.git`, WS, RUN_DIR, // pins: a missing .git cloned into place, the areas themselves
      `${HOME}/.ssh/id_rsa`, `${HOME}/Library/LaunchAgents/x.plist`, `${HOME}/.zshenv`, '/private/tmp/x', // outside the writable areas
    ];
    for (const p of denied) expect(decide(fixed, 'file-clone', p), p).toBe('deny');
  });

  it('nothing is clonable in a plan without writable areas', () => {
    const readOnly = modelWith({}, resolvedFixture({ writableRoots: [] }), null);
    expect(decide(readOnly, 'file-clone', `${WS}/a`)).toBe('deny');
  });
});

describe("item 4: unix sockets only under the run's own directory", () => {
  const bind = (p: string): Target => ({ path: p, socket: 'local' });
  const connect = (p: string): Target => ({ path: p, socket: 'remote' });

  it('weakened (runSockets off): a multiprocessing manager cannot bind its socket in TMPDIR', () => {
    const weak = modelWith({ runSockets: false });
    expect(decide(weak, 'network-bind', bind(`${RUN_DIR}/pymp-abc/listener-1`))).toBe('deny');
    expect(decide(weak, 'network-outbound', connect(`${RUN_DIR}/pymp-abc/listener-1`))).toBe('deny');
  });

  it('fixed: bind and connect under the run dir work', () => {
    expect(decide(fixed, 'system-socket', { name: 'AF_UNIX' })).toBe('allow');
    expect(decide(fixed, 'network-bind', bind(`${RUN_DIR}/pymp-abc/listener-1`))).toBe('allow');
    expect(decide(fixed, 'network-outbound', connect(`${RUN_DIR}/pymp-abc/listener-1`))).toBe('allow');
  });

  it("fixed: no other socket — the shared tmp dirs hold the user's agents and daemons — and no network", () => {
    for (const p of ['/private/tmp/x.sock', '/private/var/folders/xy/abc123/T/ssh-agent.sock', '/private/var/run/mDNSResponder', '/var/run/docker.sock', `${HOME}/.docker/run/docker.sock`, `${WS}/daemon.sock`, `${RUN_DIR}-evil/x`]) {
      expect(decide(fixed, 'network-outbound', connect(p)), p).toBe('deny');
      expect(decide(fixed, 'network-bind', bind(p)), p).toBe('deny');
    }
    // The path filter is only for unix sockets: an IP socket (no path) stays denied.
    expect(decide(fixed, 'network-outbound', {})).toBe('deny');
    expect(decide(fixed, 'network-inbound', bind(`${RUN_DIR}/x`))).toBe('deny');
    expect(decide(fixed, 'system-socket', { name: 'AF_INET' })).toBe('deny');
  });

  it('a plan without a run dir grants no socket at all', () => {
    const review = modelWith({}, policy, null);
    expect(decide(review, 'system-socket', { name: 'AF_UNIX' })).toBe('deny');
    expect(decide(review, 'network-bind', bind(`${RUN_DIR}/x`))).toBe('deny');
  });
});

describe('item 5: tool caches live in the run dir, never in the caches host tools trust', () => {
  it('toolCacheEnv is pure: each cache in its own directory under <runDir>/cache, module cache untouched', () => {
    const env = toolCacheEnv(RUN_DIR);
    expect(Object.keys(env).sort()).toEqual(['CLANG_MODULE_CACHE_PATH', 'GOCACHE', 'PIP_CACHE_DIR', 'XDG_CACHE_HOME', 'npm_config_cache']);
    for (const value of Object.values(env)) expect(value.startsWith(`${RUN_DIR}/cache/`)).toBe(true);
    expect(new Set(Object.values(env)).size).toBe(5);
    expect(env).not.toHaveProperty('GOMODCACHE');
    expect(toolCacheEnv(RUN_DIR)).toEqual(env);
  });

  it('weakened (no cache env): the default cache locations are unwritable (so `go build` fails), and must stay so', () => {
    for (const p of [`${HOME}/Library/Caches/go-build/ab/x-a`, '/private/var/folders/xy/abc123/C/clang/ModuleCache/x.pcm', `${HOME}/.npm/_cacache/index-v5/x`, `${HOME}/Library/Caches/pip/wheels/x.whl`]) {
      expect(decide(fixed, 'file-write-create', p), p).toBe('deny');
    }
  });

  it('fixed: planMacos points every tool at the run dir, overriding a GOCACHE from the environment, and those are writable', () => {
    const p = resolvedFixture({ env: { PATH: '/usr/bin:/bin', GOCACHE: `${HOME}/Library/Caches/go-build` } });
    const launch = planMacos(p, cmd, { runDir: RUN_DIR });
    expect(launch.env).toMatchObject(toolCacheEnv(RUN_DIR));
    const model = new SeatbeltModel(profileOf(launch).text, profileOf(launch).defines);
    for (const dir of Object.values(toolCacheEnv(RUN_DIR))) expect(decide(model, 'file-write-create', `${dir}/ab/cdef`), dir).toBe('allow');
  });

  it('a plan without a run dir sets no cache variable', () => {
    const launch = planMacos(resolvedFixture(), cmd);
    for (const name of Object.keys(toolCacheEnv(RUN_DIR))) expect(launch.env).not.toHaveProperty(name);
  });
});

describe('decision model: the filters these fixes use', () => {
  const model = new SeatbeltModel(
    ['(version 1)', '(deny default)', '(allow network-bind (local unix-socket (subpath (param "D"))))', '(allow file-read* (regex (param "R")))', '(allow system-socket (socket-domain AF_UNIX))'].join('\n'),
    new Map([
      ['D', '/d'],
      ['R', '^/[aA]$'],
    ]),
  );
  it('(local unix-socket F) matches only the local end of a unix socket whose path F accepts', () => {
    expect(model.decide('network-bind', { path: '/d/s', socket: 'local' }).decision).toBe('allow');
    expect(model.decide('network-bind', { path: '/d/s', socket: 'remote' }).decision).toBe('deny');
    expect(model.decide('network-bind', { path: '/e/s', socket: 'local' }).decision).toBe('deny');
    expect(model.decide('network-bind', { path: '/d/s' }).decision).toBe('deny');
  });
  it('(regex (param X)) evaluates the parameter value; socket-domain compares the domain', () => {
    expect(model.decide('file-read-data', { path: '/A' }).decision).toBe('allow');
    expect(model.decide('file-read-data', { path: '/b' }).decision).toBe('deny');
    expect(model.decide('system-socket', { name: 'AF_UNIX' }).decision).toBe('allow');
    expect(model.decide('system-socket', { name: 'AF_INET' }).decision).toBe('deny');
  });
});

import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MacosBackend, planMacos, SANDBOX_EXEC } from '../../src/backends/macos/index.js';
import { PolicyError, PolicyUnenforceableError } from '../../src/errors.js';
import { listProfiles, loadProfile } from '../../src/policy/presets.js';
import { resolvePolicy } from '../../src/policy/resolve.js';
import { parseNetworkRules } from '../../src/policy/network/patterns.js';
import type { ResolvedPolicy } from '../../src/policy/resolved.js';
import { checkProfile, policyPaths, profileOf } from '../sbpl/checks.js';
import { toolCacheEnv } from '../../src/backends/macos/tool-caches.js';
import { SeatbeltModel } from '../sbpl/decide.js';
import { readSbpl, show } from '../sbpl/reader.js';
import { renamePaths, resolvedFixture } from '../sbpl/fixtures.js';

const cmd = { file: '/bin/echo', args: ['hi'] };
/** The run's own directory, as the macOS launcher would choose it under the user temp dir. */
const RUN_DIR = '/private/var/folders/xy/abc123/T/cr-0123abcd01';
const textOf = (policy: ResolvedPolicy) => profileOf(planMacos(policy, cmd, { sessionTag: 't', runDir: RUN_DIR })).text;
const modelOf = (policy: ResolvedPolicy) => {
  const parts = profileOf(planMacos(policy, cmd, { sessionTag: 't', runDir: RUN_DIR }));
  return new SeatbeltModel(parts.text, parts.defines);
};

describe('argv', () => {
  const policy = resolvedFixture();
  const launch = planMacos(policy, cmd, { sessionTag: 'abc', runDir: RUN_DIR });

  it('is /usr/bin/sandbox-exec -p PROFILE -D... -- FILE ARGS, with nothing else to run', () => {
    expect(launch.backend).toBe('macos');
    expect(launch.file).toBe(SANDBOX_EXEC);
    expect(SANDBOX_EXEC).toBe('/usr/bin/sandbox-exec');
    expect(launch.args[0]).toBe('-p');
    const dashes = launch.args.indexOf('--');
    expect(launch.args.slice(2, dashes).every((a) => a.startsWith('-D'))).toBe(true);
    expect(launch.args.slice(dashes)).toEqual(['--', '/bin/echo', 'hi']);
    expect(launch).toMatchObject({ cwd: policy.cwd, extraFds: [], placeholders: [], runDirs: [RUN_DIR] });
  });

  it("points TMPDIR, TMP and TEMP at the run's own directory and passes the rest of the policy env", () => {
    expect(launch.env).toEqual({ ...policy.env, TMPDIR: RUN_DIR, TMP: RUN_DIR, TEMP: RUN_DIR, ...toolCacheEnv(RUN_DIR) });
    // A plan for review only (no run dir) names no temp dir at all, never the host's shared one.
    const review = planMacos(resolvedFixture({ env: { ...policy.env, TMPDIR: '/private/var/folders/xy/abc123/T/' } }), cmd);
    expect(review.env).not.toHaveProperty('TMPDIR');
    expect(review.runDirs).toEqual([]);
  });

  it('refuses a run dir that is relative, unnormalised, or overlaps a denied or protected path', () => {
    for (const runDir of ['tmp/run', '/private/tmp/../etc', '/private/tmp/run/', '/Users/alice/.ssh/run', '/Users/alice/proj/.git/hooks/x']) {
      expect(() => planMacos(policy, cmd, { runDir }), runDir).toThrow(PolicyError);
    }
  });

  it('passes each path once, as -DNAME=VALUE, in first-use order', () => {
    const dashes = launch.args.indexOf('--');
    // CI_n are the case-insensitive twins (tested in macos-seatbelt-fixes.test.ts).
    expect(launch.args.slice(2, dashes).filter((a) => !a.startsWith('-DCI_'))).toEqual([
      '-DWRITABLE_ROOT_0=/Users/alice/proj',
      `-DTMP_DIR_0=${RUN_DIR}`,
      '-DPATH_0=/Users/alice/.ssh',
      '-DPATH_1=/Users/alice/.netrc',
      '-DPATH_2=/Users/alice/proj/.env',
      '-DPROTECT_0=/Users/alice/proj/.git/hooks',
      '-DPROTECT_1=/Users/alice/proj/.vscode',
      '-DPIN_0=/Users/alice/proj/.git',
    ]);
  });

  it('puts a command that looks like an option after --', () => {
    const args = planMacos(policy, { file: '-n', args: ['-p', '(allow default)'] }).args;
    expect(args.slice(args.indexOf('--'))).toEqual(['--', '-n', '-p', '(allow default)']);
  });

  it('rejects an empty command or NUL bytes before anything runs', () => {
    expect(() => planMacos(policy, { file: '', args: [] })).toThrow(PolicyError);
    expect(() => planMacos(policy, { file: '/bin/echo', args: ['a\0b'] })).toThrow(/command\.args\.0/);
  });

  it('exposes the same planner through the MacosBackend', () => {
    const backend = new MacosBackend();
    expect(backend.name).toBe('macos');
    expect(backend.plan(policy, cmd, { sessionTag: 'abc', runDir: RUN_DIR })).toEqual(launch);
  });
});

describe('profile text', () => {
  const policy = resolvedFixture();
  const parts = profileOf(planMacos(policy, cmd, { sessionTag: 'abc', runDir: RUN_DIR }));

  it('passes every reader check', () => {
    expect(checkProfile(parts, policy)).toEqual([]);
  });

  it('orders sections so that later, narrower rules win', () => {
    const at = (needle: string) => {
      const i = parts.text.indexOf(needle);
      expect(i, needle).toBeGreaterThanOrEqual(0);
      return i;
    };
    const order = [
      '(version 1)',
      '(deny default (with message "cordon:abc:default"))',
      '(allow file-read*)\n',
      '(deny file-read*\n  (subpath (param "PATH_0"))\n  (regex (param "CI_0"))',
      '(allow file-write*\n',
      '(deny file-write*\n  (require-all',
      '(deny file-write*\n  (subpath (param "PROTECT_0"))',
      '(deny file-write-create file-write-unlink',
      '(deny file-link',
      '(deny network* (with message "cordon:abc:network"))',
    ].map(at);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(parts.text).not.toMatch(/\(allow (default|file-link)/);
    // The only network grants: unix sockets under the run's own directory.
    const networkGrants = parts.text.split('\n').filter((l) => l.startsWith('(allow network'));
    expect(networkGrants).toEqual([
      '(allow network-bind (local unix-socket (subpath (param "TMP_DIR_0"))))',
      '(allow network-outbound (remote unix-socket (subpath (param "TMP_DIR_0"))))',
    ]);
  });

  it('names no path of the policy, even as a substring', () => {
    for (const p of policyPaths(policy)) expect(parts.text).not.toContain(p);
    expect(parts.text).not.toContain('alice');
  });

  it('tags every denial with the session and rule kind, and no grant', () => {
    const messages = readSbpl(parts.text).flatMap((form) => {
      const items = form.type === 'list' ? form.items : [];
      const tail = items.at(-1);
      const text = tail?.type === 'list' && tail.items[0]?.type === 'symbol' && tail.items[0].value === 'with' ? tail.items[2] : undefined;
      return text?.type === 'string' ? [[show(form), (items[0] as { value: string }).value, text.value] as const] : [];
    });
    expect(messages.length).toBeGreaterThan(5);
    for (const [, action, message] of messages) {
      expect(action).toBe('deny');
      expect(message).toMatch(/^cordon:abc:(default|secret|protect|pin|link|network)$/);
    }
  });
});

describe('session tag', () => {
  const policy = resolvedFixture();
  it.each(['', 'has space', 'quote"', 'a'.repeat(65), 'x)(allow default)'])('rejects %j', (tag) => {
    expect(() => planMacos(policy, cmd, { sessionTag: tag })).toThrow(TypeError);
  });

  it('defaults to a stable hash of workspace and argv', () => {
    const tagOf = (args: string[]) => /cordon:([0-9a-f]+):default/.exec(profileOf(planMacos(policy, { file: '/bin/echo', args })).text)?.[1];
    expect(tagOf(['a'])).toMatch(/^[0-9a-f]{12}$/);
    expect(tagOf(['a'])).toBe(tagOf(['a']));
    expect(tagOf(['a'])).not.toBe(tagOf(['b']));
  });
});

describe('fail closed', () => {
  it('refuses a network allowlist: there is no proxy to enforce it', () => {
    const policy = resolvedFixture({ network: parseNetworkRules({ allow: ['github.com', '*.githubusercontent.com:443'], deny: [] }) });
    let error: unknown;
    try {
      planMacos(policy, cmd);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PolicyUnenforceableError);
    expect(error).toMatchObject({ code: 'ERR_CORDON_UNENFORCEABLE', feature: 'network.allow', backend: 'macos' });
    expect((error as Error).message).toMatch(/network\.allow: github\.com, network\.allow: \*\.githubusercontent\.com:443/);
    // Positive control: without the allow rule the same fixture plans.
    expect(() => planMacos(resolvedFixture({ network: parseNetworkRules({ allow: [], deny: ['github.com'] }) }), cmd)).not.toThrow();
  });

  it('refuses relative or unnormalised paths (a rule about them would match nothing)', () => {
    expect(() => planMacos(resolvedFixture({ writableRoots: ['proj'] }), cmd)).toThrow(/writableRoots\.0/);
    expect(() => planMacos(resolvedFixture({ home: '/Users/alice/../bob' }), cmd)).toThrow(/home/);
    expect(() => planMacos(resolvedFixture({ tmpDirs: ['/private/tmp/'] }), cmd)).toThrow(/tmpDirs\.0/);
  });

  it('refuses a glob it cannot translate exactly, naming the rule', () => {
    const policy = resolvedFixture({ denyReadGlobs: [{ pattern: '/Users/alice/(a|b)/*.key', base: '/Users/alice', glob: '(a|b)/*.key', rule: 'read.deny: ~/(a|b)/*.key' }] });
    expect(() => planMacos(policy, cmd)).toThrow(/read\.deny: ~\/\(a\|b\)\/\*\.key/);
  });
});

describe('injection: hostile names never change the profile text', () => {
  // Valid single path segments (anything but `/` and NUL), each aimed at a way SBPL text
  // could be broken out of: quotes, parens, comments, regex literals, params, newlines.
  const hostile = [
    'a"b) (allow default) ;c',
    'x")\n(allow file-write* (subpath "~"))\n;',
    '#"^.*$"',
    '(param "WRITABLE_ROOT_0")',
    'back\\slash\\"quote',
    '$(rm -rf ~)`id`',
    'a+b(1)[x]{y}*?',
    'проект с пробелом',
    '-DWRITABLE_ROOT_0=',
  ];
  const benign = resolvedFixture({ root: '/Users/alice/proj', home: '/Users/alice' });
  const reference = textOf(benign);

  it.each(hostile)('workspace named %j', (name) => {
    const policy = renamePaths(benign, '/Users/alice/proj', `/Users/alice/${name}`);
    const launch = planMacos(policy, cmd, { sessionTag: 't', runDir: RUN_DIR });
    expect(profileOf(launch).text).toBe(reference);
    expect(launch.args).toContain(`-DWRITABLE_ROOT_0=/Users/alice/${name}`);
    expect(checkProfile(profileOf(launch), policy)).toEqual([]);
  });

  it.each(hostile)('home and every other path segment named %j', (name) => {
    const policy = renamePaths(benign, 'alice', name);
    expect(textOf(policy)).toBe(reference);
  });

  it('a hostile extra deny path and read.allow path stay parameters', () => {
    const extra = (name: string) =>
      resolvedFixture({
        denyRead: [...benign.denyRead, { path: `/Users/alice/${name}`, kind: 'dir', rule: 'read.deny' }],
        allowRead: [{ path: `/Users/alice/.ssh/${name}`, kind: 'file', rule: 'read.allow' }],
      });
    const base = textOf(extra('plain'));
    for (const name of hostile) expect(textOf(extra(name))).toBe(base);
  });
});

describe('what the base grants, through the decision model', () => {
  const model = modelOf(resolvedFixture());
  it.each([
    ['mach-lookup', 'com.apple.trustd.agent', 'allow'],
    ['mach-lookup', 'com.apple.system.opendirectoryd.libinfo', 'allow'],
    ['mach-lookup', 'com.apple.SecurityServer', 'deny'],
    ['mach-lookup', 'com.apple.securityd.xpc', 'deny'],
    ['mach-lookup', 'com.apple.coreservices.launchservicesd', 'deny'],
    ['sysctl-read', 'hw.ncpu', 'allow'],
    ['sysctl-read', 'hw.optional.arm.FEAT_SHA256', 'allow'],
    ['sysctl-read', 'kern.proc.pid.123', 'allow'],
    ['sysctl-read', 'kern.bootargs', 'allow'],
    ['sysctl-read', 'kern.uuid', 'deny'],
    ['sysctl-write', 'kern.hostname', 'deny'],
  ] as const)('%s %s: %s', (op, name, expected) => {
    expect(model.decide(op, { name }).decision).toBe(expected);
  });

  it.each([
    ['file-write-data', '/dev/null', 'allow'],
    ['file-write-data', '/dev/fd/2', 'allow'],
    ['file-write-data', '/dev/disk0', 'deny'],
    ['file-write-create', '/dev/null', 'deny'],
    ['file-write-unlink', '/dev/null', 'deny'],
    ['file-ioctl', '/dev/ttys003', 'allow'],
    ['file-write-data', '/dev/ttys003', 'deny'],
    // Another session's terminal is its keystrokes: not readable by path (the pty extension,
    // which only ptys this sandbox opened carry, is "unknown" to the model, so it errs to deny).
    ['file-read-data', '/dev/ttys003', 'deny'],
    ['file-read-metadata', '/dev/ttys003', 'allow'],
    ['file-read-data', '/dev/tty', 'allow'],
    ['file-read-data', '/dev/ptmx', 'allow'],
    ['file-link', '/Users/alice/proj/a', 'deny'],
    ['network-outbound', '/private/var/run/mDNSResponder', 'deny'],
    ['network-bind', undefined, 'deny'],
    ['process-exec', '/usr/bin/git', 'allow'],
  ] as const)('%s %s: %s', (op, p, expected) => {
    expect(model.decide(op, p === undefined ? {} : { path: p }).decision).toBe(expected);
  });
});

describe('pins, through the decision model', () => {
  const model = modelOf(resolvedFixture());
  it('the workspace itself can be neither renamed nor removed', () => {
    expect(model.decide('file-write-unlink', { path: '/Users/alice/proj' }).decision).toBe('deny');
  });
  it('ancestors of protected paths can be neither renamed nor created', () => {
    expect(model.decide('file-write-unlink', { path: '/Users/alice/proj/.git' }).decision).toBe('deny');
    expect(model.decide('file-write-create', { path: '/Users/alice/proj/.git' }).decision).toBe('deny');
  });
  it('ordinary content of those ancestors stays writable', () => {
    for (const op of ['file-write-create', 'file-write-unlink', 'file-write-data']) {
      expect(model.decide(op, { path: '/Users/alice/proj/.git/objects/ab/cdef' }).decision).toBe('allow');
    }
  });
  it("the run's own tmp dir can be written but not removed", () => {
    expect(model.decide('file-write-create', { path: `${RUN_DIR}/x` }).decision).toBe('allow');
    expect(model.decide('file-write-unlink', { path: RUN_DIR }).decision).toBe('deny');
  });
  it("the host's shared /tmp and $TMPDIR are not writable: the user's next tool reads what lands there", () => {
    expect(model.decide('file-write-create', { path: '/private/tmp/x' }).decision).toBe('deny');
    expect(model.decide('file-write-create', { path: '/private/var/folders/xy/abc123/T/x' }).decision).toBe('deny');
    // Without a run dir nothing in tmp is writable: this is what the test above could fail on.
    const review = profileOf(planMacos(resolvedFixture(), cmd));
    expect(new SeatbeltModel(review.text, review.defines).decide('file-write-create', { path: `${RUN_DIR}/x` }).decision).toBe('deny');
  });
});

describe('every preset in profiles/', () => {
  const root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'cordon-presets-')));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const home = path.join(root, 'home');
  const workspace = path.join(home, 'proj');
  for (const dir of [path.join(home, '.ssh'), path.join(workspace, '.git', 'hooks'), path.join(workspace, 'app'), path.join(root, 'tmp')]) mkdirSync(dir, { recursive: true });
  for (const f of [path.join(home, '.ssh', 'id_rsa'), path.join(workspace, '.env'), path.join(workspace, 'app', '.env.local'), path.join(workspace, '.git', 'config')]) writeFileSync(f, 'x');

  it('there are presets to test', () => {
    expect(listProfiles()).toEqual(expect.arrayContaining(['default', 'read-only', 'strict']));
  });

  it.each(listProfiles())('%s: plans a profile that passes every reader check', (name) => {
    const resolved = resolvePolicy(loadProfile(name), { workspace, home, env: { HOME: home, TMPDIR: path.join(root, 'tmp'), PATH: '/usr/bin:/bin' } });
    const parts = profileOf(planMacos(resolved, cmd));
    expect(checkProfile(parts, resolved)).toEqual([]);

    const model = new SeatbeltModel(parts.text, parts.defines);
    expect(model.decide('file-read-data', { path: path.join(home, '.ssh', 'id_rsa') }).decision).toBe('deny');
    expect(model.decide('file-read-data', { path: path.join(workspace, 'app', '.env.local') }).decision).toBe('deny');
    expect(model.decide('file-read-data', { path: path.join(workspace, 'README.md') }).decision).toBe('allow');
    expect(model.decide('file-write-data', { path: path.join(workspace, '.git', 'config') }).decision).toBe('deny');
    expect(model.decide('file-write-create', { path: path.join(home, 'planted') }).decision).toBe('deny');
    const writable = resolved.writableRoots.includes(workspace) ? 'allow' : 'deny';
    expect(model.decide('file-write-create', { path: path.join(workspace, 'new.txt') }).decision).toBe(writable);
  });
});

describe('precedence between directory rules and globs', () => {
  const root = '/Users/alice/proj';
  const decide = (policy: ResolvedPolicy, p: string, op = 'file-read-data') => modelOf(policy).decide(op, { path: p }).decision;

  it('a glob exception (.env.example) does not reopen a directory the user denied', () => {
    const policy = resolvedFixture({ denyRead: [...resolvedFixture().denyRead, { path: `${root}/secrets`, kind: 'dir', rule: 'read.deny' }] });
    expect(decide(policy, `${root}/secrets/.env.example`)).toBe('deny');
    expect(decide(policy, `${root}/app/.env.example`)).toBe('allow');
  });

  it('a glob denial rooted above a re-allowed directory does not override it', () => {
    const policy = resolvedFixture({
      denyReadGlobs: [...resolvedFixture().denyReadGlobs, { pattern: '/Users/alice/**/*.pem', base: '/Users/alice', glob: '**/*.pem', rule: 'read.deny' }],
      denyRead: [...resolvedFixture().denyRead, { path: '/Users/alice/certs', kind: 'dir', rule: 'read.deny' }],
      allowRead: [{ path: '/Users/alice/certs/public', kind: 'dir', rule: 'read.allow' }],
    });
    expect(decide(policy, '/Users/alice/certs/public/ca.pem')).toBe('allow');
    expect(decide(policy, '/Users/alice/certs/private.pem')).toBe('deny');
    expect(decide(policy, '/Users/alice/other/x.pem')).toBe('deny');
  });

  it('with denyHome, a glob rooted at home does not reopen the workspace over its .env glob', () => {
    const base = resolvedFixture();
    const policy = resolvedFixture({
      denyRead: [{ path: '/Users/alice', kind: 'dir', rule: 'read.denyHome' }, ...base.denyRead],
      denyReadGlobs: [{ pattern: '/Users/alice/**', base: '/Users/alice', glob: '**', rule: 'read.denyHome' }, { pattern: '/Users/alice/**/*.pem', base: '/Users/alice', glob: '**/*.pem', rule: 'read.deny' }, ...base.denyReadGlobs],
    });
    // node_modules is never scanned by the resolver, so only the glob protects this one.
    expect(decide(policy, `${root}/node_modules/pkg/.env`)).toBe('deny');
    expect(decide(policy, `${root}/src/main.ts`)).toBe('allow');
    expect(decide(policy, `${root}/src/main.ts`, 'file-write-data')).toBe('allow');
    expect(decide(policy, '/Users/alice/notes.txt')).toBe('deny');
    expect(decide(policy, '/Users/alice')).toBe('deny');
    expect(decide(policy, '/Users/alice', 'file-read-metadata')).toBe('allow');
  });

  it('a denial beats a grant of the very same path (as on Linux)', () => {
    const policy = resolvedFixture({ allowRead: [{ path: '/Users/alice/.ssh', kind: 'dir', rule: 'read.allow' }] });
    expect(decide(policy, '/Users/alice/.ssh/id_rsa')).toBe('deny');
  });
});

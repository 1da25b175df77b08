import { existsSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freshRunFacts, MacosBackend } from '../../src/backends/macos/backend.js';
import { classifySeatbeltFailure, seatbeltCommandStarted } from '../../src/backends/macos/launch-failure.js';
import type { MacosHost } from '../../src/backends/macos/plan.js';
import { probeSeatbelt, trustedTempRoot } from '../../src/backends/macos/probe.js';
import { makeRunDirs, newRunDir, removeRunDirs } from '../../src/backends/macos/run-dirs.js';
import type { Command, LaunchPlan } from '../../src/backends/types.js';
import { isCordonError, SandboxSetupError, SandboxUnavailableError } from '../../src/errors.js';
import type { ResolvedPolicy } from '../../src/policy/resolved.js';
import { SandboxRuntime } from '../../src/runtime.js';
import { sandboxReport } from '../../src/sandbox-report.js';
import { sandboxedSpawn } from '../../src/spawn.js';
import { tempTrees } from '../helpers/tree.js';

/**
 * The macOS launch path — select, resolve, probe, plan, enter (run dir), spawn, stop, classify,
 * leave — driven through the real sandboxedSpawn() on this Linux machine. Only the launcher is
 * a stand-in: a shell script at the place of /usr/bin/sandbox-exec that records its argv, checks
 * its shape (-p PROFILE, -DNAME=VALUE..., --) and execs the command, or fails the way
 * sandbox-exec does. This tests cordon's plumbing (argv, env, run dir lifecycle, cancel, error
 * mapping), NOT Seatbelt enforcement: that is the profile model's job here and test/macos/'s
 * on a Mac.
 */

const tree = tempTrees();

type FakeMode = 'exec' | 'nested' | 'not-found' | 'deny-logged';

function fakeSandboxExec(dir: string, mode: FakeMode): { file: string; log: string } {
  const file = path.join(dir, `fake-sandbox-exec-${mode}`);
  const log = path.join(dir, `argv-${mode}`);
  const body = {
    exec: 'exec "$@"',
    nested: 'echo "sandbox-exec: sandbox_apply: Operation not permitted" >&2; exit 71',
    'not-found': 'echo "sandbox-exec: execvp() of \'$1\' failed: No such file or directory" >&2; exit 71',
    // What the kernel would log for a denied write under this run's profile: the tag is read
    // from the profile text itself, as Seatbelt copies it from (with message ...).
    'deny-logged': `printf '{"eventMessage":"Sandbox: touch(4242) deny(1) file-write-create /private/etc/cordon-x cordon:%s:default"}\\n' "$TAG" >> '${dir}/log.ndjson'; exec "$@"`,
  }[mode];
  writeFileSync(
    file,
    `#!/bin/sh
: > '${log}'
for a in "$@"; do printf '%s\\n' "$a" >> '${log}'; done
[ "$1" = "-p" ] || { echo "sandbox-exec: usage" >&2; exit 64; }
TAG=$(printf '%s' "$2" | grep -o 'cordon:[A-Za-z0-9_.-]*:' | head -n 1 | cut -d: -f2)
shift 2
while [ "$1" != "--" ]; do case "$1" in -D?*=*) shift;; *) echo "sandbox-exec: unexpected $1" >&2; exit 64;; esac; done
shift
${body}
`,
    { mode: 0o755 },
  );
  return { file, log };
}

/** The real MacosBackend with its probe and launcher replaced (see the file comment). */
class StandInSeatbelt extends MacosBackend {
  constructor(
    readonly tempRoot: string,
    readonly launcher: string,
    logBinary = '/nonexistent/log',
  ) {
    super({ logBinary });
  }
  override probe(): MacosHost {
    return freshRunFacts(this.tempRoot);
  }
  override plan(policy: ResolvedPolicy, command: Command, host: MacosHost): LaunchPlan {
    return { ...super.plan(policy, command, host), file: this.launcher };
  }
}

function setup(mode: FakeMode = 'exec', logBinary?: string) {
  const t = tree({ 'ws/': '', 'temp/': '', 'bin/': '', 'outside.txt': 'host\n' });
  const fake = fakeSandboxExec(t.path('bin'), mode);
  const runtime = new SandboxRuntime({ backend: new StandInSeatbelt(t.path('temp'), fake.file, logBinary) });
  return { t, fake, runtime, opts: { workspace: t.path('ws'), runtime, env: { PATH: '/usr/bin:/bin' } } };
}

const runDirsIn = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir) : []);

describe('macOS launch path through sandboxedSpawn (stand-in launcher)', () => {
  it('runs sandbox-exec -p PROFILE -D... -- FILE ARGS, with TMPDIR, TMP and TEMP at a fresh 0700 run dir that is gone afterwards', async () => {
    const { t, fake, opts } = setup();
    const r = await sandboxedSpawn('sh', ['-c', 'printf "%s\\n%s\\n%s\\n" "$TMPDIR" "$TMP" "$TEMP"; stat -c %a "$TMPDIR"; echo x > "$TMPDIR/scratch"; pwd'], opts);
    const [tmpdir, tmp, temp, mode, cwd] = String(r.stdout).split('\n');
    expect(tmpdir).toMatch(new RegExp(`^${t.path('temp')}/cr-[0-9a-f]{10}$`));
    expect([tmp, temp]).toEqual([tmpdir, tmpdir]);
    expect(mode).toBe('700');
    expect(cwd).toBe(t.path('ws'));
    expect(existsSync(tmpdir!)).toBe(false);
    expect(runDirsIn(t.path('temp'))).toEqual([]);

    const argv = readFileSync(fake.log, 'utf8').split('\n');
    expect(argv[0]).toBe('-p');
    expect(argv[1]).toBe('(version 1)');
    const dashes = argv.indexOf('--');
    const defines = argv.slice(0, dashes).filter((a) => a.startsWith('-D'));
    expect(defines).toContain(`-DWRITABLE_ROOT_0=${t.path('ws')}`);
    expect(defines).toContain(`-DTMP_DIR_0=${tmpdir}`);
    expect(argv.slice(dashes, dashes + 3)).toEqual(['--', 'sh', '-c']);
  });

  it('each command gets its own run dir, and what a command leaves there (an unlistable dir, a link out) is removed without following the link', async () => {
    const { t, opts } = setup();
    const script = 'mkdir -p "$TMPDIR/d/e" && echo y > "$TMPDIR/d/e/f" && chmod 000 "$TMPDIR/d/e" "$TMPDIR/d"; ln -s "$1" "$TMPDIR/link"; echo "$TMPDIR"';
    const first = await sandboxedSpawn('sh', ['-c', script, 'sh', t.path('outside.txt')], opts);
    const second = await sandboxedSpawn('sh', ['-c', 'echo "$TMPDIR"'], opts);
    expect(first.stdout).not.toBe(second.stdout);
    expect(existsSync(String(first.stdout))).toBe(false);
    expect(readFileSync(t.path('outside.txt'), 'utf8')).toBe('host\n');
    expect(runDirsIn(t.path('temp'))).toEqual([]);
  });

  it('a timeout kills the command, is reported as a timeout, and the run dir is removed', async () => {
    const { t, opts } = setup();
    const started = Date.now();
    const r = await sandboxedSpawn('sh', ['-c', 'echo "$TMPDIR"; exec sleep 20'], { ...opts, timeout: 300, reject: false });
    expect(r.timedOut).toBe(true);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(runDirsIn(t.path('temp'))).toEqual([]);
  });

  it('sandbox-exec failing to apply the profile (nested sandbox) is a typed setup error, even with reject: false; the run dir is removed', async () => {
    const { t, opts } = setup('nested');
    for (const reject of [true, false]) {
      const error = await sandboxedSpawn('sh', ['-c', 'echo ran > ran.txt'], { ...opts, reject }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(SandboxSetupError);
      expect((error as SandboxSetupError).message).toMatch(/sandbox_apply/);
      expect((error as SandboxSetupError).hint).toMatch(/inside another Seatbelt sandbox/);
    }
    expect(existsSync(t.path('ws/ran.txt'))).toBe(false);
    expect(runDirsIn(t.path('temp'))).toEqual([]);
  });

  it('a command sandbox-exec cannot find is the command failing, not cordon', async () => {
    const { opts } = setup('not-found');
    const r = await sandboxedSpawn('no-such-command', [], { ...opts, reject: false });
    expect(isCordonError(r)).toBe(false);
    expect(r.exitCode).toBe(71);
  });
});

describe("Seatbelt's own denial log lines (stand-in log stream)", () => {
  it("a denial the kernel logs with this run's tag is reported as observed, with its path; another run's is not", async () => {
    const t0 = tree({ 'logbin/': '' });
    // A stand-in for `/usr/bin/log stream --style ndjson ...`: follows the file the stand-in
    // sandbox-exec appends to. Another run's line is in it from the start.
    const logFile = path.join(t0.path('logbin'), 'log.ndjson');
    writeFileSync(logFile, '{"eventMessage":"Sandbox: cat(1) deny(1) file-read-data /Users/x/.ssh/id_rsa cordon:0123456789ab:secret"}\n');
    const logBinary = path.join(t0.path('logbin'), 'log');
    writeFileSync(logBinary, `#!/bin/sh\nexec tail -n +1 -f '${logFile}'\n`, { mode: 0o755 });
    const { opts, runtime } = setup('deny-logged', logBinary);
    // The fake launcher writes to its own dir's log.ndjson: point it at ours.
    const fakeLog = path.join(path.dirname((runtime.backend as StandInSeatbelt).launcher), 'log.ndjson');
    symlinkSync(logFile, fakeLog);
    try {
      const r = await sandboxedSpawn('sh', ['-c', 'echo "touch: /etc/cordon-x: Operation not permitted" >&2; exit 1'], { ...opts, reject: false });
      const denials = sandboxReport(r)?.denials ?? [];
      expect(denials).toContainEqual(expect.objectContaining({ kind: 'write', path: '/private/etc/cordon-x', certainty: 'observed', rule: expect.stringMatching(/file-write-create/) }));
      expect(denials.some((d) => d.path === '/Users/x/.ssh/id_rsa')).toBe(false);
    } finally {
      runtime.close();
    }
  });
});

describe('run dirs', () => {
  it("leave room for a unix socket two levels below (Python's Manager) within macOS's 103-byte limit", () => {
    // A real macOS temp dir by real path: /private/var/folders/<2>/<28>/T
    const tempRoot = '/private/var/folders/zz/zyxvpxvq6csfxvn_n0000000000000/T';
    const socket = path.join(newRunDir(tempRoot), 'pymp-abcdefgh', 'listener-abcdefgh');
    expect(Buffer.byteLength(socket)).toBeLessThanOrEqual(103);
  });

  it('are made owner-only, refused when the name exists (nothing made), and removed with content', () => {
    const t = tree({ 'temp/taken/': '' });
    const fresh = newRunDir(t.path('temp'));
    makeRunDirs([fresh]);
    expect(statSync(fresh).mode & 0o777).toBe(0o700);
    writeFileSync(path.join(fresh, 'f'), 'x');
    removeRunDirs([fresh]);
    expect(existsSync(fresh)).toBe(false);
    const other = newRunDir(t.path('temp'));
    expect(() => makeRunDirs([other, t.path('temp/taken')])).toThrow(SandboxSetupError);
    expect(existsSync(other)).toBe(false);
  });
});

describe('probing a Mac (stand-in sandbox-exec)', () => {
  it('a missing sandbox-exec is ERR_CORDON_SEATBELT_UNAVAILABLE', () => {
    const t = tree();
    const error = (() => {
      try {
        probeSeatbelt([], t.path('nope'));
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(SandboxUnavailableError);
    expect((error as SandboxUnavailableError).code).toBe('ERR_CORDON_SEATBELT_UNAVAILABLE');
  });

  it('a trial that cannot apply a profile says why (nested sandbox); one that can gives the temp root', () => {
    const t = tree({ 'bin/': '' });
    const nested = fakeSandboxExec(t.path('bin'), 'nested').file;
    expect(() => probeSeatbelt([], nested)).toThrow(/sandbox_apply/);
    const ok = fakeSandboxExec(t.path('bin'), 'exec').file;
    expect(probeSeatbelt([], ok).tempRoot).toBe(trustedTempRoot([]));
  });

  it('refuses a temp dir inside a writable root (a command could prepare it)', () => {
    const t = tree({ 'ws/tmp/': '' });
    expect(() => trustedTempRoot([t.path('ws')], t.path('ws/tmp'))).toThrow(/inside a writable root/);
    expect(trustedTempRoot([t.path('other')], t.path('ws/tmp'))).toBe(t.path('ws/tmp'));
  });
});

describe('classifying a failed sandbox-exec', () => {
  it.each([
    ['sandbox-exec: sandbox_apply: Operation not permitted\n', false],
    ['sandbox-exec: unbound variable: foo\n', false],
    ["sandbox-exec: execvp() of 'x' failed: No such file or directory\n", true],
    ['some output of the command\n', true],
  ])('%j -> command started: %s', (stderr, started) => {
    expect(seatbeltCommandStarted({ exitCode: 71, stderr })).toBe(started);
    const classified = classifySeatbeltFailure({ exitCode: 71, stderr }, started);
    expect(classified instanceof SandboxSetupError).toBe(!started);
  });

  it('without captured stderr (stdio inherit) nothing can be told: the result stays the command\'s', () => {
    expect(seatbeltCommandStarted({ exitCode: 71, stderr: undefined })).toBe(true);
  });

  it('a launcher gone missing is ERR_CORDON_SEATBELT_UNAVAILABLE', () => {
    const e = classifySeatbeltFailure({ code: 'ENOENT', originalMessage: 'spawn ENOENT' }, false) as SandboxUnavailableError;
    expect(e.code).toBe('ERR_CORDON_SEATBELT_UNAVAILABLE');
  });
});

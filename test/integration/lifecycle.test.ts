import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { isCordonError, SandboxSetupError } from '../../src/errors.js';
import { LinuxBackend } from '../../src/backends/linux/backend.js';
import { SandboxRuntime } from '../../src/runtime.js';
import { sandboxedSpawn } from '../../src/spawn.js';
import { describeSandbox, scratchTrees, sh } from './harness.js';

const makeScratch = scratchTrees();
const tree = (spec: Record<string, string> = { 'ws/': '' }) => makeScratch(spec);

/** Host processes named `marker...` (the sandbox's pid namespace hides the host from it, not it from the host). */
function hostProcesses(marker: string): string[] {
  // Only processes renamed to the marker (`exec -a`), not the node or bwrap whose argv merely
  // mention it: those exist before the sandbox is even set up.
  const out = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
  return out.split('\n').filter((line) => line.startsWith(marker));
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `count` host processes carry `marker`, so a later "all gone" is not vacuous. */
async function waitForHost(marker: string, count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (hostProcesses(marker).length < count) {
    if (Date.now() > deadline) throw new Error(`never saw ${count} processes marked ${marker}: ${hostProcesses(marker).join(' | ')}`);
    await settle(50);
  }
}

describeSandbox('lifecycle: nothing outlives the sandbox', () => {
  it('background processes, even setsid ones, die when the command exits', async () => {
    const t = tree();
    const marker = `cordon-bg-${process.pid}-${Date.now()}`;
    const p = sandboxedSpawn('bash', ['-c', `(exec -a ${marker} sleep 300) & (setsid bash -c 'exec -a ${marker}-2 sleep 300' &); sleep 1; echo started`], { workspace: t.path('ws') });
    await waitForHost(marker, 2); // they really ran ...
    const r = await p;
    expect(r.stdout).toBe('started');
    await settle(200);
    expect(hostProcesses(marker)).toEqual([]); // ... and are gone with the command
  });

  it('a timeout kills the whole sandbox, children included', async () => {
    const t = tree();
    const marker = `cordon-to-${process.pid}-${Date.now()}`;
    const p = sandboxedSpawn('bash', ['-c', `(exec -a ${marker} sleep 300) & exec -a ${marker}-fg sleep 300`], { workspace: t.path('ws'), timeout: 1500, reject: false });
    await waitForHost(marker, 2);
    const r = await p;
    expect(r.timedOut).toBe(true);
    await settle(200);
    expect(hostProcesses(marker)).toEqual([]);
  });

  it('a SIGKILLed parent process takes the whole sandbox with it', async () => {
    const t = tree();
    const marker = `cordon-pk-${process.pid}-${Date.now()}`;
    const index = fileURLToPath(new URL('../../dist/cordon.mjs', import.meta.url));
    const command = JSON.stringify(['-c', `(exec -a ${marker} sleep 300) & exec -a ${marker}-fg sleep 300`]);
    const script = `const { sandboxedSpawn } = await import(${JSON.stringify(index)}); sandboxedSpawn('bash', ${command}, { workspace: ${JSON.stringify(t.path('ws'))} }).catch(() => {}); setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore' });
    await waitForHost(marker, 2);
    parent.kill('SIGKILL');
    await settle(300);
    expect(hostProcesses(marker)).toEqual([]);
  });

  it('an AbortSignal kills the whole sandbox', async () => {
    const t = tree();
    const marker = `cordon-ab-${process.pid}-${Date.now()}`;
    const controller = new AbortController();
    const p = sandboxedSpawn('bash', ['-c', `(exec -a ${marker} sleep 300) & exec -a ${marker}-fg sleep 300`], { workspace: t.path('ws'), cancelSignal: controller.signal, reject: false });
    await waitForHost(marker, 2);
    controller.abort();
    const r = await p;
    expect(r.isCanceled).toBe(true);
    await settle(200);
    expect(hostProcesses(marker)).toEqual([]);
  });

  it('.kill() on the returned subprocess ends the sandbox', async () => {
    const t = tree();
    const p = sandboxedSpawn('sleep', ['300'], { workspace: t.path('ws'), reject: false });
    setTimeout(() => p.kill(), 100);
    const r = await p;
    expect(r.isTerminated).toBe(true);
  });

  it("the command's own exit code passes through as an execa error, not a CordonError", async () => {
    const t = tree();
    const error = await sandboxedSpawn('sh', ['-c', 'echo oops >&2; exit 7'], { workspace: t.path('ws') }).catch((e: unknown) => e);
    expect(isCordonError(error)).toBe(false);
    expect((error as { exitCode: number }).exitCode).toBe(7);
    expect((error as { stderr: string }).stderr).toBe('oops');
    const ok = await sandboxedSpawn('sh', ['-c', 'exit 1'], { workspace: t.path('ws'), reject: false });
    expect(ok.exitCode).toBe(1);
  });

  it('a bwrap setup failure rejects with SandboxSetupError, even with reject: false', async () => {
    const t = tree();
    // A runtime whose filter is 7 bytes: bwrap refuses it during setup, before the command runs.
    class BrokenFilter extends LinuxBackend {
      override probe(env: NodeJS.ProcessEnv, untrusted: readonly string[]) {
        return { ...super.probe(env, untrusted), seccompFilter: new Uint8Array(7) };
      }
    }
    const runtime = new SandboxRuntime({ backend: new BrokenFilter() });
    for (const reject of [true, false]) {
      const error = await sandboxedSpawn('sh', ['-c', 'echo ran > ran.txt'], { workspace: t.path('ws'), runtime, reject }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(SandboxSetupError);
      expect((error as SandboxSetupError).code).toBe('ERR_CORDON_SETUP_FAILED');
      expect((error as SandboxSetupError).stderr).toMatch(/seccomp/i);
    }
    expect(() => readFileSync(t.path('ws/ran.txt'))).toThrow();
  });

  it('policy errors reject before anything is spawned or created', async () => {
    const t = tree();
    const bad = sandboxedSpawn('touch', ['x'], { workspace: t.path('ws'), policy: { write: { allow: ['relative'] } } as never });
    await expect(bad).rejects.toMatchObject({ code: 'ERR_CORDON_POLICY_INVALID' });
    await expect(sandboxedSpawn('true', [], { workspace: 'relative' })).rejects.toMatchObject({ code: 'ERR_CORDON_WORKSPACE_INVALID' });
    await expect(sandboxedSpawn('true', [], { workspace: t.path('ws'), shell: true })).rejects.toMatchObject({ code: 'ERR_CORDON_POLICY_INVALID' });
    await expect(sandboxedSpawn('true', [], { workspace: t.path('ws'), profile: 'nope' })).rejects.toMatchObject({ code: 'ERR_CORDON_PROFILE_UNKNOWN' });
    expect(execFileSync('ls', ['-A', t.path('ws')], { encoding: 'utf8' })).toBe('');
  });

  it('output beyond the cap kills the command', async () => {
    const t = tree();
    const r = await sandboxedSpawn('sh', ['-c', 'yes | head -c 1000000'], { workspace: t.path('ws'), policy: { limits: { maxOutputBytes: 1000 } }, reject: false });
    expect(r.isMaxBuffer).toBe(true);
    expect(String(r.stdout).length).toBeLessThanOrEqual(1000);
  });

  it("the caller's smaller maxBuffer wins over a larger policy cap (and the policy's smaller cap over the caller's)", async () => {
    const t = tree();
    const callerSmaller = await sandboxedSpawn('sh', ['-c', 'yes | head -c 100000'], { workspace: t.path('ws'), policy: { limits: { maxOutputBytes: 1_000_000 } }, maxBuffer: 100, reject: false });
    expect(callerSmaller.isMaxBuffer).toBe(true);
    expect(String(callerSmaller.stdout).length).toBeLessThanOrEqual(100);
    const policySmaller = await sandboxedSpawn('sh', ['-c', 'yes | head -c 100000'], { workspace: t.path('ws'), policy: { limits: { maxOutputBytes: 100 } }, maxBuffer: 1_000_000, reject: false });
    expect(policySmaller.isMaxBuffer).toBe(true);
    const perStream = await sandboxedSpawn('sh', ['-c', 'yes | head -c 100000'], { workspace: t.path('ws'), policy: { limits: { maxOutputBytes: 1_000_000 } }, maxBuffer: { stdout: 100 }, reject: false });
    expect(perStream.isMaxBuffer).toBe(true);
    const neither = await sandboxedSpawn('sh', ['-c', 'yes | head -c 100000'], { workspace: t.path('ws'), policy: { limits: { maxOutputBytes: 1_000_000 } }, maxBuffer: 1_000_000, reject: false });
    expect(neither.isMaxBuffer).toBe(false);
    expect(String(neither.stdout).length).toBe(99_999); // execa strips the final newline
  });

  it('two different policies run at once in one process', async () => {
    const t = tree({ 'a/': '', 'b/': '', 'shared/': '' });
    const [a, b] = await Promise.all([
      sh(`sleep 0.2; echo a > ${t.path('shared/a')}`, { workspace: t.path('a'), policy: { write: { allow: [t.path('shared')] } } }),
      sh(`sleep 0.2; echo b > ${t.path('shared/b')}`, { workspace: t.path('b') }),
    ]);
    expect(a.exitCode).toBe(0);
    expect(b.exitCode).not.toBe(0);
    expect(readFileSync(t.path('shared/a'), 'utf8')).toBe('a\n');
    expect(() => readFileSync(t.path('shared/b'))).toThrow();
  });

  it('streams work: stdin in, stdout out as it happens', async () => {
    const t = tree();
    const p = sandboxedSpawn('sh', ['-c', 'read line; echo "got $line"'], { workspace: t.path('ws') });
    p.stdin!.end('hello\n');
    const chunks: string[] = [];
    p.stdout!.on('data', (c: Buffer) => chunks.push(c.toString()));
    const r = await p;
    expect(r.stdout).toBe('got hello');
    expect(chunks.join('')).toBe('got hello\n');
  });
});

describeSandbox('no user namespaces available', () => {
  it('fails closed with a typed error and exit 125, and the command never runs', async () => {
    const t = tree();
    const cli = fileURLToPath(new URL('../../dist/cli.mjs', import.meta.url));
    // An outer bwrap that forbids nested user namespaces stands in for a kernel or container without them.
    const r = spawnSync('bwrap', ['--unshare-user', '--disable-userns', '--dev-bind', '/', '/', '--chdir', t.path('ws'), '--', process.execPath, cli, 'run', '--', 'sh', '-c', 'echo RAN > ran.txt'], { encoding: 'utf8' });
    expect(r.status).toBe(125);
    expect(r.stderr).toMatch(/ERR_CORDON_USERNS_(BLOCKED|DISABLED)/);
    expect(r.stderr).toMatch(/hint: /);
    expect(() => readFileSync(t.path('ws/ran.txt'))).toThrow();
  });
});

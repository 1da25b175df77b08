import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { MAX_COVERED_FD } from '../../src/backends/linux/inherited-fds.js';
import { describeSandbox, scratchTrees } from './harness.js';

/**
 * A descriptor the harness inherited without close-on-exec (Node marks only 0..15 and the run
 * after them) reaches bwrap, and bwrap hands it to the command: with a directory at fd 20,
 * `/proc/self/fd/20/x` writes on the host outside every mount rule. The harness is a real
 * child process (src/ through vite-node) started with such descriptors; harm is judged on the
 * host afterwards.
 */

const tree = scratchTrees();
const viteNode = fileURLToPath(new URL('../../node_modules/vite-node/vite-node.mjs', import.meta.url));
const fixture = fileURLToPath(new URL('../fixtures/fds-harness.ts', import.meta.url));

type Outcome = { exitCode?: number; stdout?: string; stderr?: string; error?: string; message?: string; forms?: Record<string, unknown>; printed?: string };

/** Starts the harness with `inherited[n]` open at fd n (not close-on-exec) and returns its JSON line. */
async function harness(workspace: string, mode: 'protected' | 'weakened' | 'stdio', script: string, inherited: Record<number, number>): Promise<Outcome> {
  const top = Math.max(...Object.keys(inherited).map(Number));
  const stdio: Array<'ignore' | 'pipe' | number> = ['ignore', 'pipe', 'pipe', ...Array<'ignore'>(top - 2).fill('ignore')];
  for (const [at, fd] of Object.entries(inherited)) stdio[Number(at)] = fd;
  const child = spawn(process.execPath, [viteNode, fixture, workspace, mode, ...(mode === 'stdio' ? [] : [script])], { stdio });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += String(d)));
  child.stderr!.on('data', (d: Buffer) => (err += String(d)));
  await new Promise((resolve) => child.once('exit', resolve));
  const line = out.trim().split('\n').pop() ?? '';
  if (!line.startsWith('{')) throw new Error(`the harness printed no result: ${out}${err}`);
  return { ...(JSON.parse(line) as Outcome), printed: out };
}

/** Opens what the harness will inherit: a host directory and an append-only host file outside the workspace. */
function hostObjects(t: { path(p: string): string }) {
  const outside = t.path('outside');
  const log = path.join(outside, 'log');
  const dirFd = openSync(outside, 'r');
  const logFd = openSync(log, 'a');
  return { outside, log, dirFd, logFd, close: () => [dirFd, logFd].forEach((fd) => closeSync(fd)) };
}

/** Writes through each descriptor both ways: the path behind the magic link, and the descriptor itself. */
const ATTACK = (dirAt: number, fileAt: number) =>
  `echo pwned > /proc/self/fd/${dirAt}/ESCAPED; echo via-fd >&${fileAt}; echo via-proc >> /proc/self/fd/${fileAt}; ` +
  `echo "fd${dirAt}=$(readlink /proc/self/fd/${dirAt})"; grep '^Seccomp:' /proc/self/status; exit 7`;

describeSandbox('descriptors the harness inherited do not reach the command', () => {
  it('weakened (cover off): a directory fd and a file fd the harness inherited let the command write on the host', { timeout: 60_000 }, async () => {
    const t = tree({ 'ws/README': 'hi', 'outside/log': '' });
    const host = hostObjects(t);
    let r: Outcome;
    try {
      r = await harness(t.path('ws'), 'weakened', ATTACK(20, 21), { 20: host.dirFd, 21: host.logFd });
    } finally {
      host.close();
    }
    expect(r).toMatchObject({ exitCode: 7 }); // the whole outcome is shown if the harness failed
    expect(existsSync(path.join(host.outside, 'ESCAPED'))).toBe(true);
    expect(readFileSync(host.log, 'utf8')).toBe('via-fd\nvia-proc\n');
  });

  it('protected: the command finds /dev/null at those numbers; the host is unchanged and the sandbox is intact', { timeout: 60_000 }, async () => {
    const t = tree({ 'ws/README': 'hi', 'outside/log': '' });
    const host = hostObjects(t);
    let r: Outcome;
    try {
      r = await harness(t.path('ws'), 'protected', ATTACK(20, 21), { 20: host.dirFd, 21: host.logFd });
    } finally {
      host.close();
    }
    expect(r).toMatchObject({ exitCode: 7 });
    expect(existsSync(path.join(host.outside, 'ESCAPED'))).toBe(false);
    expect(readFileSync(host.log, 'utf8')).toBe('');
    expect(r.stdout).toContain('fd20=/dev/null');
    // fd 3 (seccomp filter) still reached bwrap: the command runs filtered (mode 2).
    expect(r.stdout).toMatch(/^Seccomp:\s+2$/m);
    // fd 4 (bwrap's status) still works: the command's own exit code came back (7 above), not a setup error.
  });

  it(`an inherited descriptor above fd ${MAX_COVERED_FD} is refused before anything runs (and escapes when the cover is off)`, { timeout: 60_000 }, async () => {
    const high = MAX_COVERED_FD + 45;
    const t = tree({ 'ws/README': 'hi', 'outside/log': '' });
    const host = hostObjects(t);
    const script = `touch ran; echo pwned > /proc/self/fd/${high}/ESCAPED`;
    let refused: Outcome;
    let weakened: Outcome;
    try {
      refused = await harness(t.path('ws'), 'protected', script, { [high]: host.dirFd });
      expect(existsSync(path.join(host.outside, 'ESCAPED'))).toBe(false);
      expect(existsSync(t.path('ws/ran'))).toBe(false); // nothing ran
      weakened = await harness(t.path('ws'), 'weakened', script, { [high]: host.dirFd });
    } finally {
      host.close();
    }
    expect(refused).toMatchObject({ error: 'ERR_CORDON_SETUP_FAILED', message: expect.stringContaining(`fd ${high} -> ${host.outside}`) });
    expect(weakened).toMatchObject({ exitCode: 0 });
    expect(existsSync(path.join(host.outside, 'ESCAPED'))).toBe(true);
  });

  it('stdio forms behave as before while the cover is in place (input, arrays, ignore, all, inherit)', { timeout: 60_000 }, async () => {
    const t = tree({ 'ws/README': 'hi', 'outside/log': '' });
    const host = hostObjects(t);
    let r: Outcome;
    try {
      r = await harness(t.path('ws'), 'stdio', '', { 20: host.dirFd, 21: host.logFd });
    } finally {
      host.close();
    }
    expect(r.forms).toEqual({ input: 'via-input', array: ['via-array', 'err'], ignored: undefined, all: 'out\nerr', inherited: 0 });
    expect(r.printed).toContain('inherited-line\n');
  });
});

import { spawn, spawnSync } from 'node:child_process';
import { closeSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openExtraFds } from '../../src/backends/linux/fd-channels.js';
import { findProxyDoor } from '../../src/native/proxy-door.js';

describe('extra fds as unlinked files', () => {
  it('a child reads the input from offset 0 and its output is read back, with nothing left on disk', () => {
    const data = new TextEncoder().encode('filter-bytes');
    const fds = openExtraFds([
      { fd: 3, direction: 'in', purpose: 'seccomp', data },
      { fd: 4, direction: 'out', purpose: 'status' },
    ]);
    try {
      expect(fds.stdio).toHaveLength(2);
      const r = spawnSync('sh', ['-c', 'cat <&3; echo \'{ "exit-code": 0 }\' >&4'], { stdio: ['ignore', 'pipe', 'pipe', fds.stdio[0]!, fds.stdio[1]!], encoding: 'utf8' });
      expect(r.stdout).toBe('filter-bytes');
      expect(fds.readStatus()).toBe('{ "exit-code": 0 }\n');
      // Unlinked at once: the descriptors point at deleted files.
      const link = spawnSync('readlink', [`/proc/${process.pid}/fd/${fds.stdio[0]}`], { encoding: 'utf8' }).stdout;
      expect(link).toMatch(/\(deleted\)/);
    } finally {
      fds.close();
    }
    expect(fds.readStatus()).toBe('');
  });
});

describe('the proxy door channel (real cordon-proxy-door, outside any sandbox)', () => {
  /** Runs the door with its channel on fd 3 and a free port; it waits for the answer before `true`. */
  async function doorThatSent(): Promise<{ fds: ReturnType<typeof openExtraFds>; door: import('node:child_process').ChildProcess; listener: number }> {
    const fds = openExtraFds([{ fd: 3, direction: 'both', purpose: 'proxy-door' }]);
    const port = 20000 + Math.floor(Math.random() * 20000);
    const door = spawn(findProxyDoor(), ['3', String(port), '--', 'true'], { stdio: ['ignore', 'ignore', 'ignore', fds.stdio[0]!] });
    fds.launched();
    const listener = await fds.proxyDoor!.listener;
    expect(listener).toBeGreaterThan(2);
    return { fds, door, listener: listener! };
  }

  it.each([
    ['runs the command after a yes', true, 0],
    ['exits 125 without running the command after a no', false, 125],
  ])('the door hands over a listener, then %s', async (_what, ready, status) => {
    const { fds, door, listener } = await doorThatSent();
    const exited = new Promise<number | null>((resolve) => door.on('exit', (code) => resolve(code)));
    fds.proxyDoor!.answer(ready);
    expect(await exited).toBe(status);
    closeSync(listener);
    fds.close();
  });

  it('answering a door that was killed after the hand-over does not throw (EPIPE: the sandbox was cancelled)', async () => {
    const { fds, door, listener } = await doorThatSent();
    const exited = new Promise<void>((resolve) => door.on('exit', () => resolve()));
    door.kill('SIGKILL');
    await exited;
    // Found by CI under load: writeSync('Y') threw EPIPE into an unhandled rejection.
    expect(() => fds.proxyDoor!.answer(true)).not.toThrow();
    closeSync(listener);
    fds.close();
  });
});

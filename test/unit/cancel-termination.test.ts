/**
 * The decisions in src/termination.ts, with a recorded stand-in for the sandbox stopper (the
 * real one, against real bwrap, is exercised by test/integration/cancel-setup.test.ts).
 */
import type { ResultPromise } from 'execa';
import { describe, expect, it } from 'vitest';
import type { StopOutcome } from '../../src/termination.js';
import { createTermination } from '../../src/termination.js';

const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

function fakes(outcome: StopOutcome) {
  const calls: string[] = [];
  const subprocess = { kill: (...args: unknown[]) => (calls.push(`execa-kill ${args.map(String).join(' ')}`.trim()), true) } as unknown as ResultPromise;
  const stopper = {
    stop: () => (calls.push('stop'), Promise.resolve(outcome)),
    release: () => calls.push('release'),
  };
  return { calls, subprocess, stopper };
}

describe('createTermination', () => {
  it('gives execa no signal when there is neither a cancelSignal nor a timeout', () => {
    expect(createTermination({}).execaSignal).toBeUndefined();
    expect(createTermination({ timeout: 0 }).execaSignal).toBeUndefined();
  });

  it('refuses what execa would refuse', () => {
    expect(() => createTermination({ cancelSignal: 'nope' })).toThrow(/cancelSignal.*AbortSignal/);
    expect(() => createTermination({ timeout: -1 })).toThrow(/timeout.*non-negative/);
    expect(() => createTermination({ timeout: Number.NaN })).toThrow(TypeError);
  });

  it('a cancel stops the sandbox first, then (once it is gone) lets execa mark and kill', async () => {
    const controller = new AbortController();
    const t = createTermination({ cancelSignal: controller.signal });
    const { calls, subprocess, stopper } = fakes('stopped');
    t.start(subprocess, stopper);
    expect(t.execaSignal?.aborted).toBe(false);
    controller.abort(new Error('stop it'));
    expect(calls).toEqual(['stop']);
    await tick();
    expect(t.execaSignal?.aborted).toBe(true);
    expect((t.execaSignal?.reason as Error).message).toBe('stop it');
    await tick();
    expect(calls).toContain('release');
  });

  it('a cancel after the command ended on its own changes nothing (the real result stands)', async () => {
    const controller = new AbortController();
    const t = createTermination({ cancelSignal: controller.signal });
    const { calls, subprocess, stopper } = fakes('finished');
    t.start(subprocess, stopper);
    controller.abort();
    await tick();
    expect(calls).toEqual(['stop']);
    expect(t.execaSignal?.aborted).toBe(false);
  });

  it('an already aborted signal acts at start', async () => {
    const controller = new AbortController();
    controller.abort();
    const t = createTermination({ cancelSignal: controller.signal });
    const { calls, subprocess, stopper } = fakes('stopped');
    t.start(subprocess, stopper);
    expect(calls).toEqual(['stop']);
    await tick();
    expect(t.execaSignal?.aborted).toBe(true);
  });

  it('a timeout is relabelled from execa\'s "canceled" to "timed out"; a cancel is not', async () => {
    const t = createTermination({ timeout: 5 });
    const { subprocess, stopper } = fakes('stopped');
    t.start(subprocess, stopper);
    await tick(20);
    expect(t.execaSignal?.aborted).toBe(true);
    const error = new Error('Command was canceled: bwrap ...\n\nstderr', { cause: t.execaSignal?.reason }) as Error & Record<string, unknown>;
    Object.assign(error, { isCanceled: true, timedOut: false, shortMessage: 'Command was canceled: bwrap ...' });
    t.relabel(error);
    expect(error).toMatchObject({ isCanceled: false, timedOut: true, shortMessage: 'Command timed out after 5 milliseconds: bwrap ...' });
    expect(error.message).toBe('Command timed out after 5 milliseconds: bwrap ...\n\nstderr');
    expect('cause' in error).toBe(false);

    const controller = new AbortController();
    const c = createTermination({ cancelSignal: controller.signal, timeout: 60_000 });
    c.start(fakes('stopped').subprocess, fakes('stopped').stopper);
    controller.abort();
    await tick();
    const canceled = { isCanceled: true, timedOut: false };
    expect(c.relabel(canceled)).toEqual({ isCanceled: true, timedOut: false });
    c.dispose();
  });

  it('dispose() drops the timer: a command that ended is never stopped afterwards', async () => {
    const t = createTermination({ timeout: 5 });
    const { calls, subprocess, stopper } = fakes('stopped');
    t.start(subprocess, stopper);
    t.dispose();
    await tick(20);
    expect(calls).toEqual([]);
  });

  it('.kill() with a signal that ends bwrap stops the sandbox first; other signals pass straight through', async () => {
    const { calls, subprocess, stopper } = fakes('stopped');
    createTermination({}).start(subprocess, stopper);
    subprocess.kill('SIGWINCH');
    expect(calls).toEqual(['execa-kill SIGWINCH']);
    expect(subprocess.kill()).toBe(true);
    await tick();
    expect(calls).toEqual(['execa-kill SIGWINCH', 'stop', 'execa-kill', 'release']);
  });

  it('.kill() after the command ended on its own sends nothing', async () => {
    const { calls, subprocess, stopper } = fakes('finished');
    createTermination({}).start(subprocess, stopper);
    subprocess.kill('SIGTERM');
    await tick();
    expect(calls).toEqual(['stop']);
  });

  it('the sandbox is stopped once, however many kills follow', async () => {
    const controller = new AbortController();
    const { calls, subprocess, stopper } = fakes('stopped');
    createTermination({ cancelSignal: controller.signal }).start(subprocess, stopper);
    controller.abort();
    await tick();
    subprocess.kill(); // what execa does after our abort
    subprocess.kill('SIGKILL');
    expect(calls.filter((c) => c === 'stop')).toEqual(['stop']);
  });
});

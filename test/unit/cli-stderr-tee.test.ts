import { execa } from 'execa';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { KEEP_BYTES, keepBudget, stderrTee } from '../../src/cli/stderr-tee.js';

/** A writable that keeps what it is given (stands in for the terminal's stderr). */
function sink(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    highWaterMark: 1024,
    write(chunk: Buffer, _encoding, done) {
      chunks.push(Buffer.from(chunk));
      setImmediate(done);
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

async function drive(tee: ReturnType<typeof stderrTee>, chunks: string[]): Promise<string> {
  const kept: Uint8Array[] = [];
  for (const chunk of chunks) for await (const part of tee.transform(Buffer.from(chunk))) kept.push(part);
  for await (const part of tee.final()) kept.push(part);
  return Buffer.concat(kept).toString('utf8');
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('cordon run: the stderr tee', () => {
  it('passes every byte through in order and keeps only the head, a marker and the tail', async () => {
    const out = sink();
    const kept = await drive(stderrTee(out.stream, 2048), ['a'.repeat(1000), 'b'.repeat(3000), 'c'.repeat(500)]);
    expect(out.text()).toBe('a'.repeat(1000) + 'b'.repeat(3000) + 'c'.repeat(500));
    // head: 2048/2 - 64 = 960 bytes; tail: the last 1024; the 2516 between are counted.
    expect(kept).toBe(`${'a'.repeat(960)}\n[cordon: 2516 bytes of stderr not kept]\n${'b'.repeat(524)}${'c'.repeat(500)}`);
    expect(kept.length).toBeLessThanOrEqual(2048);
  });

  it('keeps everything, unmarked, when it fits', async () => {
    const out = sink();
    expect(await drive(stderrTee(out.stream, 2048), ['one\n', 'two\n'])).toBe('one\ntwo\n');
  });

  it('stays under the policy output cap, or captures nothing when the cap is tiny', () => {
    expect(keepBudget(undefined)).toBe(KEEP_BYTES);
    expect(keepBudget(16 * 1024 * 1024)).toBe(KEEP_BYTES);
    expect(keepBudget(4096)).toBe(2048);
    expect(keepBudget(1000)).toBeUndefined();
  });

  it('a talkative command is never cut short: execa\'s own tee dies of SIGPIPE at maxBuffer, this one does not', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cordon-tee-'));
    dirs.push(dir);
    const script = `head -c 100000 /dev/zero | tr "\\0" e >&2; sleep 0.2; echo after >&2; echo done > ${JSON.stringify(path.join(dir, 'end'))}`;
    // Weakened: execa's multiple targets (copy to the sink, buffer for the report) under a 4 KiB cap.
    const weak = sink();
    const cut = await execa('sh', ['-c', script], { stderr: [weak.stream, 'pipe'], maxBuffer: 4096, reject: false });
    expect(cut.isMaxBuffer).toBe(true);
    expect(existsSync(path.join(dir, 'end'))).toBe(false);
    // The tee: same cap, the command finishes and the sink has every byte.
    const out = sink();
    const whole = await execa('sh', ['-c', script], { stderr: stderrTee(out.stream, keepBudget(4096)!), maxBuffer: 4096, reject: false });
    expect(whole.exitCode).toBe(0);
    expect(whole.isMaxBuffer).toBe(false);
    expect(existsSync(path.join(dir, 'end'))).toBe(true);
    expect(out.text()).toBe(`${'e'.repeat(100000)}after\n`);
    expect(whole.stderr).toMatch(/^e+\n\[cordon: \d+ bytes of stderr not kept\]\ne+after$/);
  });
});

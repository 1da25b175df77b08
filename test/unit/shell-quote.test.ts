import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { quoteShellCommand, quoteShellWord } from '../../src/harness/shell-quote.js';

/**
 * quoteShellWord is judged by real shells: for every input, the shell must print back exactly
 * that input (sh/dash, bash, and zsh where installed), and nothing else may run.
 */
const SHELLS = ['/bin/sh', '/usr/bin/dash', '/bin/bash', '/usr/bin/zsh', '/bin/zsh'].filter((s) => existsSync(s));

/** What `shell -c "printf '%s\0' Q1; printf '%s\0' Q2; ..."` prints, split back into words. */
function roundTrip(shell: string, words: readonly string[], quote: (w: string) => string = quoteShellWord, cwd?: string): string[] {
  const script = words.map((w) => `printf '%s\\0' ${quote(w)}`).join('\n');
  const out = execFileSync(shell, ['-c', script], { encoding: 'utf8', ...(cwd ? { cwd } : {}) });
  return out.split('\0').slice(0, -1);
}

/** A seeded generator, so a failure is reproducible. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const SPECIAL = ["'", '"', '\\', '$', '`', '!', '\n', '\t', ' ', '*', '?', '[', ']', '{', '}', '~', '=', '#', '&', ';', '|', '<', '>', '(', ')', '%', '^', '\r', '\x1b', 'a', 'é', '😀'];

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('quoteShellWord', () => {
  it('has real shells to judge it', () => {
    expect(SHELLS.length).toBeGreaterThanOrEqual(2);
  });

  it.each(SHELLS)('every single character 1..255 and the empty string survive %s unchanged', (shell) => {
    const words = ['', ...Array.from({ length: 255 }, (_, i) => String.fromCharCode(i + 1))];
    expect(roundTrip(shell, words)).toEqual(words);
  });

  it.each(SHELLS)('every pair of special characters survives %s unchanged', (shell) => {
    const words = SPECIAL.flatMap((a) => SPECIAL.map((b) => a + b));
    expect(roundTrip(shell, words)).toEqual(words);
  });

  it.each(SHELLS)('2000 random strings over the special characters survive %s unchanged', (shell) => {
    const next = rng(0xc0ffee);
    const words = Array.from({ length: 2000 }, () => Array.from({ length: Math.floor(next() * 12) }, () => SPECIAL[Math.floor(next() * SPECIAL.length)]!).join(''));
    expect(roundTrip(shell, words)).toEqual(words);
  });

  it.each(SHELLS)('hostile words run nothing in %s (a naive double-quoting does: the control)', (shell) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cordon-quote-'));
    dirs.push(dir);
    const hostile = ['$(touch a)', '`touch b`', "'; touch c; '", '"; touch d; "', "x'$(touch e)'y", 'f\ntouch f', '$(touch g)\'\\\'', '*'];
    // Control: the same words in double quotes let the shell run them.
    roundTrip(shell, hostile.slice(0, 2), (w) => `"${w}"`, dir);
    expect(readdirSync(dir).sort()).toEqual(['a', 'b']);
    rmSync(path.join(dir, 'a'));
    rmSync(path.join(dir, 'b'));
    expect(roundTrip(shell, hostile, quoteShellWord, dir)).toEqual(hostile);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('leaves plain words readable and quotes the rest', () => {
    expect(quoteShellWord('/usr/bin/node')).toBe('/usr/bin/node');
    expect(quoteShellWord('--workspace')).toBe('--workspace');
    expect(quoteShellWord('')).toBe("''");
    expect(quoteShellWord("it's")).toBe("'it'\\''s'");
    expect(quoteShellWord('=ls')).toBe("'=ls'");
    expect(quoteShellWord('~/x')).toBe("'~/x'");
    expect(quoteShellWord('a b')).toBe("'a b'");
  });

  it('refuses a NUL byte, which no argument can carry', () => {
    expect(() => quoteShellWord('a\0b')).toThrow(TypeError);
  });
});

describe('quoteShellCommand', () => {
  it.each(SHELLS)('an argv comes back as the same argv from %s', (shell) => {
    const argv = ['printf', '%s|', "it's", '$HOME', 'a b', '', '\n'];
    const out = execFileSync(shell, ['-c', quoteShellCommand(argv)], { encoding: 'utf8' });
    expect(out).toBe("it's|$HOME|a b||\n|");
  });

  it('refuses an empty argv', () => {
    expect(() => quoteShellCommand([])).toThrow(TypeError);
  });
});

import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { acquirePlaceholders } from '../../src/backends/linux/placeholders.js';
import { makeTree, type Tree } from '../helpers/tree.js';

let trees: Tree[] = [];
const savedTmp = process.env.TMPDIR;
afterEach(() => {
  process.env.TMPDIR = savedTmp;
  if (savedTmp === undefined) delete process.env.TMPDIR;
  for (const t of trees.splice(0)) t.cleanup();
});

describe('placeholder registry', () => {
  it('creates placeholders and removes only the empty ones it made', () => {
    const t = makeTree({ 'reg/': '', 'ws/': '' });
    trees.push(t);
    process.env.TMPDIR = t.path('reg');
    const ws = t.path('ws');
    const lease = acquirePlaceholders([
      { path: path.join(ws, '.vscode'), kind: 'dir', root: ws },
      { path: path.join(ws, '.mcp.json'), kind: 'file', root: ws },
    ]);
    expect(existsSync(path.join(ws, '.vscode'))).toBe(true);
    mkdirSync(path.join(ws, '.vscode', 'kept-by-user')); // the host wrote into it meanwhile
    lease.release();
    expect(existsSync(path.join(ws, '.mcp.json'))).toBe(false);
    expect(existsSync(path.join(ws, '.vscode', 'kept-by-user'))).toBe(true);
  });

  it('refuses a registry directory that others can write (a shared /tmp squatter)', () => {
    const t = makeTree({ 'reg/': '', 'ws/': '' });
    trees.push(t);
    process.env.TMPDIR = t.path('reg');
    const base = path.join(t.path('reg'), `cordon-${process.getuid!()}`);
    mkdirSync(base);
    chmodSync(base, 0o777);
    expect(() => acquirePlaceholders([{ path: t.path('ws/.vscode'), kind: 'dir', root: t.path('ws') }])).toThrow(
      expect.objectContaining({ code: 'ERR_CORDON_SETUP_FAILED', hint: expect.stringMatching(/mode 0700/) }),
    );
    expect(existsSync(t.path('ws/.vscode'))).toBe(false);
  });
});

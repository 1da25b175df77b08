import { lstatSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { closeRuntime, createRuntime } from '../../src/runtime.js';
import { sandboxedSpawn } from '../../src/spawn.js';
import { expectationFor, materialize, type Materialized } from '../conformance/fixtures.js';
import { CONFORMANCE_TABLE, type ConformanceRow, type Expectation } from '../conformance/table.js';
import { describeSandbox } from './harness.js';

/**
 * The Linux side of the shared conformance table (test/conformance/table.ts): each row is laid
 * out on the real file system, its operation really runs under bwrap with the seccomp filter,
 * and the verdict is read off the HOST afterwards. Only paths in the private tmp, which the
 * host never sees by design, are judged from inside the sandbox.
 */

let current: Materialized | undefined;
afterEach(() => {
  current?.cleanup();
  current = undefined;
});

const exists = (p: string) => lstatSync(p, { throwIfNoEntry: false }) !== undefined;
const readOr = (p: string) => {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
};

/** The operation as argv for sh, with paths passed as positional parameters, never spliced. */
const SCRIPTS: Record<ConformanceRow['operation'], string> = {
  read: 'cat -- "$1"',
  write: 'printf x >> "$1"',
  create: ': > "$1" && [ -e "$1" ]',
  mkdir: 'mkdir -- "$1" && [ -d "$1" ]',
  unlink: 'rm -f -- "$1" && ! [ -e "$1" ] && ! [ -L "$1" ]',
  rename: 'mv -- "$1" "$2" && { [ -e "$2" ] || [ -L "$2" ]; }',
};

async function runRow(row: ConformanceRow, m: Materialized): Promise<Expectation> {
  const target = row.path(m.ctx);
  const to = row.operation === 'rename' ? (row.to ?? ((ctx) => `${row.path(ctx)}.moved`))(m.ctx) : '';
  const before = row.operation === 'read' || row.operation === 'write' ? readOr(target) : undefined;
  const runtime = createRuntime();
  const result = await sandboxedSpawn('sh', ['-c', SCRIPTS[row.operation], 'conformance', target, to], {
    workspace: m.ctx.workspace,
    policy: m.policy,
    env: { HOME: m.ctx.home, TMPDIR: m.ctx.tmp },
    reject: false,
    runtime,
  });
  closeRuntime(runtime); // placeholders gone, so "does it exist now" means the command made it
  const inTmp = target.startsWith(`${m.ctx.tmp}/`) || target === m.ctx.tmp;
  if (inTmp) return result.exitCode === 0 ? 'allow' : 'deny';
  switch (row.operation) {
    case 'read':
      return before !== undefined && before.length > 0 && result.exitCode === 0 && result.stdout === before.replace(/\n$/, '') ? 'allow' : 'deny';
    case 'write':
      return readOr(target) !== before ? 'allow' : 'deny';
    case 'create':
    case 'mkdir':
      return exists(target) ? 'allow' : 'deny';
    case 'unlink':
      return exists(target) ? 'deny' : 'allow';
    case 'rename':
      return exists(to) && !exists(target) ? 'allow' : 'deny';
  }
}

describeSandbox('conformance table, Linux by real execution', () => {
  for (const row of CONFORMANCE_TABLE) {
    it(row.name, async () => {
      // Not under /tmp: the sandbox's /tmp is private, and the table wants host-visible paths.
      current = materialize(row, process.env.CORDON_TEST_BASE ?? os.homedir());
      expect(path.isAbsolute(current.ctx.workspace)).toBe(true);
      expect(await runRow(row, current)).toBe(expectationFor(row, 'linux'));
    });
  }
});

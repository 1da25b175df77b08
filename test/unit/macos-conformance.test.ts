import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { planMacos } from '../../src/backends/macos/index.js';
import { realpathLoose } from '../../src/policy/paths.js';
import { resolvePolicy } from '../../src/policy/resolve.js';
import { expectationFor, materialize, type Materialized } from '../conformance/fixtures.js';
import { CONFORMANCE_TABLE, type ConformanceRow } from '../conformance/table.js';
import { checkProfile, profileOf } from '../sbpl/checks.js';
import { SeatbeltModel, type Verdict } from '../sbpl/decide.js';

/**
 * The macOS side of the shared conformance table: each row is laid out on the real file
 * system, resolved with the real resolver, planned, and the generated profile is asked
 * (through the decision model) whether the row's operation would be allowed.
 *
 * Seatbelt checks the path after the kernel resolved symlinks, so the model gets that
 * path: all symlinks resolved for read/write/create/mkdir (they follow links), all but the
 * last component for unlink and rename (they act on the link itself).
 */

const SESSION = 'conformance';
let current: Materialized | undefined;
afterEach(() => {
  current?.cleanup();
  current = undefined;
});

function seen(p: string, followLast: boolean): string {
  return followLast ? realpathLoose(p) : path.join(realpathLoose(path.dirname(p)), path.basename(p));
}

function verdicts(row: ConformanceRow, model: SeatbeltModel, m: Materialized): Verdict[] {
  const target = row.path(m.ctx);
  switch (row.operation) {
    case 'read':
      return [model.decide('file-read-data', { path: seen(target, true) })];
    case 'write':
      return [model.decide('file-write-data', { path: seen(target, true) })];
    case 'create':
    case 'mkdir':
      return [model.decide('file-write-create', { path: seen(target, true) })];
    case 'unlink':
      return [model.decide('file-write-unlink', { path: seen(target, false) })];
    case 'rename': {
      // rename(2) is checked as unlink of the source name and creation of the new one.
      const to = (row.to ?? ((ctx) => `${row.path(ctx)}.moved`))(m.ctx);
      return [model.decide('file-write-unlink', { path: seen(target, false) }), model.decide('file-write-create', { path: seen(to, false) })];
    }
  }
}

describe('conformance table, macOS model', () => {
  it('has unique row names and enough rows to mean something', () => {
    const names = CONFORMANCE_TABLE.map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBeGreaterThanOrEqual(30);
    expect(CONFORMANCE_TABLE.some((r) => r.expected === 'allow')).toBe(true);
    expect(CONFORMANCE_TABLE.some((r) => r.expected === 'deny')).toBe(true);
  });

  it.each(CONFORMANCE_TABLE.map((row) => [row.name, row] as const))('%s', (_name, row) => {
    current = materialize(row);
    const { ctx, policy } = current;
    const resolved = resolvePolicy(policy, { workspace: ctx.workspace, home: ctx.home, env: { HOME: ctx.home, TMPDIR: ctx.tmp, PATH: '/usr/bin:/bin' } });
    // The run's own TMPDIR: the row's tmp plays it (the launcher makes a fresh one per command).
    const plan = planMacos(resolved, { file: '/bin/sh', args: ['-c', 'true'] }, { sessionTag: SESSION, runDir: realpathLoose(ctx.tmp) });
    const parts = profileOf(plan);
    expect(checkProfile(parts, resolved)).toEqual([]);

    const results = verdicts(row, new SeatbeltModel(parts.text, parts.defines), current);
    const decision = results.every((v) => v.decision === 'allow') ? 'allow' : 'deny';
    expect({ decision, rules: results.map((v) => v.rule) }).toMatchObject({ decision: expectationFor(row, 'macos') });
    // Every refusal is attributable: the deciding rule carries this plan's tag.
    for (const v of results.filter((r) => r.decision === 'deny')) expect(v.message).toMatch(new RegExp(`^cordon:${SESSION}:`));
  });
});

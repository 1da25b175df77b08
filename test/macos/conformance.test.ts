import { lstatSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { afterEach, expect, it } from 'vitest';
import { closeRuntime, createRuntime, sandboxedSpawn } from '../../src/index.js';
import { expectationFor, materialize, type Materialized } from '../conformance/fixtures.js';
import { CONFORMANCE_TABLE, type ConformanceRow, type Ctx, type Expectation } from '../conformance/table.js';
import { MACOS_ONLY, describeMacos } from './harness.js';

/**
 * The macOS side of the shared conformance table (test/conformance/table.ts) by REAL execution:
 * each row is laid out on disk, its operation runs under /usr/bin/sandbox-exec through
 * sandboxedSpawn(), and the verdict is read off the HOST afterwards. Mirrors
 * test/integration/conformance.test.ts, with one adaptation for tmp, below.
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
const inTmp = (p: string, ctx: Ctx) => p === ctx.tmp || p.startsWith(`${ctx.tmp}/`);

/**
 * THE ADAPTATION. On Linux the fixture's tmp becomes the command's private TMPDIR. On macOS
 * each command gets a fresh directory of its own as TMPDIR, removed when it ends, and no other
 * temp location is writable. So a path under ctx.tmp is passed as `TMP:<rest>`, the command's
 * own shell puts it under its $TMPDIR, and such a row is judged inside that command (its exit
 * status), because the directory is gone by the time the host could look. Exit 97 means the
 * command had no TMPDIR at all, which must fail the test rather than read as "deny".
 */
const NO_TMPDIR = 97;
const PRELUDE = [
  `test -d "$TMPDIR" || exit ${NO_TMPDIR}`,
  'case $1 in TMP:*) p=$TMPDIR/${1#TMP:} ;; *) p=$1 ;; esac',
  'case $2 in TMP:*) q=$TMPDIR/${2#TMP:} ;; *) q=$2 ;; esac',
  'set -- "$p" "$q"',
].join('\n');
const toArg = (p: string, ctx: Ctx) => (inTmp(p, ctx) ? `TMP:${p.slice(ctx.tmp.length + 1)}` : p);

/** The operation as argv for sh, paths passed as positional parameters, never spliced. Same as Linux. */
const SCRIPTS: Record<ConformanceRow['operation'], string> = {
  read: 'cat -- "$1"',
  write: 'printf x >> "$1"',
  create: ': > "$1" && [ -e "$1" ]',
  mkdir: 'mkdir -- "$1" && [ -d "$1" ]',
  unlink: 'rm -f -- "$1" && ! [ -e "$1" ] && ! [ -L "$1" ]',
  rename: 'mv -- "$1" "$2" && { [ -e "$2" ] || [ -L "$2" ]; }',
};

async function runRow(row: ConformanceRow, m: Materialized): Promise<Expectation> {
  const { ctx } = m;
  const target = row.path(ctx);
  const to = row.operation === 'rename' ? (row.to ?? ((c) => `${row.path(c)}.moved`))(ctx) : '';
  const touchesTmp = inTmp(target, ctx) || (to !== '' && inTmp(to, ctx));
  // The run's TMPDIR starts empty: a row that needs fixtures there cannot be reproduced here.
  expect(row.setup?.filter((f) => inTmp(f.path(ctx), ctx)) ?? [], 'fixtures under tmp are not supported on macOS').toEqual([]);
  const before = row.operation === 'read' || row.operation === 'write' ? readOr(target) : undefined;
  const runtime = createRuntime();
  const result = await sandboxedSpawn('sh', ['-c', `${PRELUDE}\n${SCRIPTS[row.operation]}`, 'conformance', toArg(target, ctx), toArg(to, ctx)], {
    workspace: ctx.workspace,
    policy: m.policy,
    env: { HOME: ctx.home }, // no TMPDIR: the sandbox sets the run's own
    reject: false,
    runtime,
  });
  closeRuntime(runtime);
  expect(result.exitCode, 'the command got no TMPDIR').not.toBe(NO_TMPDIR);
  if (touchesTmp) {
    const verdict: Expectation = result.exitCode === 0 ? 'allow' : 'deny';
    // A host path moved into tmp: the host must agree (gone iff the move was allowed).
    if (!inTmp(target, ctx)) expect(exists(target), 'host state of the moved source').toBe(verdict === 'deny');
    return verdict;
  }
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

describeMacos(`conformance table, macOS by real execution under sandbox-exec (${MACOS_ONLY})`, () => {
  for (const row of CONFORMANCE_TABLE) {
    it(row.name, async () => {
      // Under $HOME, not the host's temp dir, as on Linux (see harness.ts).
      current = materialize(row, process.env.CORDON_TEST_BASE ?? os.homedir());
      expect(await runRow(row, current)).toBe(expectationFor(row, 'macos'));
    });
  }
});

import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PolicyInput } from '../../src/policy/schema.js';
import { DEFAULT_LAYOUT, type ConformanceRow, type Ctx, type Expectation } from './table.js';

/** A row laid out on disk. `cleanup()` removes everything. */
export interface Materialized {
  ctx: Ctx;
  root: string;
  policy: PolicyInput;
  cleanup: () => void;
}

/**
 * Creates the row's layout and fixtures under a fresh directory in `parent` (default: the
 * OS tmp dir, which is right for a model that never runs anything; a runner that really
 * sandboxes must pick a parent its sandbox does not replace, see table.ts).
 */
export function materialize(row: ConformanceRow, parent = os.tmpdir()): Materialized {
  const root = realpathSync(mkdtempSync(path.join(parent, 'cordon-conf-')));
  const layout = row.layout ?? DEFAULT_LAYOUT;
  const home = path.join(root, 'home');
  const tmp = path.join(root, 'tmp');
  mkdirSync(home);
  mkdirSync(tmp);
  const base = layout.inHome ? home : root;
  let workspace = path.join(base, layout.workspaceName);
  if (layout.via === 'symlink') {
    const real = path.join(base, `real-${layout.workspaceName}`);
    mkdirSync(real);
    symlinkSync(real, workspace);
  } else {
    mkdirSync(workspace);
  }
  const ctx: Ctx = { workspace, home, tmp };
  for (const fixture of row.setup ?? []) {
    const p = fixture.path(ctx);
    mkdirSync(path.dirname(p), { recursive: true });
    if (fixture.kind === 'dir') mkdirSync(p, { recursive: true });
    else if (fixture.kind === 'symlink') symlinkSync(fixture.target(ctx), p);
    else writeFileSync(p, fixture.content ?? contentFor(ctx, p));
  }
  const policy = typeof row.policy === 'function' ? row.policy(ctx) : (row.policy ?? {});
  return { ctx, root, policy, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** Default fixture content: names the file, so a reader can tell a mask from the real thing. */
export function contentFor(ctx: Ctx, p: string): string {
  for (const [label, dir] of Object.entries(ctx)) {
    if (p.startsWith(`${dir}/`)) return `secret:${label}/${p.slice(dir.length + 1)}\n`;
  }
  return `secret:${p}\n`;
}

/** The expectation for one platform. */
export function expectationFor(row: ConformanceRow, platform: 'linux' | 'macos'): Expectation {
  return row.expectedOn?.[platform] ?? row.expected;
}

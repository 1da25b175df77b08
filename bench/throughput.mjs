/**
 * Commands per second of sandboxedSpawn('true') at a given concurrency, then a check that
 * nothing was left behind: no child processes (but the runtime's idle placeholder reaper, counted
 * apart), no placeholder in the workspace, no live user entry in cordon's placeholder registry.
 */
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sandboxedSpawn } from '../dist/cordon.mjs';
import { descendants } from './proc.mjs';
import { listTop } from './workspace.mjs';

/** Registrations this process still holds in cordon's placeholder registry (names are `${pid}-${random}`). */
function registryUsers() {
  const root = path.join(os.tmpdir(), `cordon-${process.getuid?.() ?? 'user'}`, 'placeholders');
  const mine = (name) => name.startsWith(`${process.pid}-`);
  let count = 0;
  let entries = [];
  try {
    entries = readdirSync(root);
  } catch {
    return 0;
  }
  for (const entry of entries) {
    try {
      count += readdirSync(path.join(root, entry, 'users')).filter(mine).length;
    } catch {
      // no users dir: nothing registered there
    }
  }
  return count;
}

function isReaper(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').includes('cordon-placeholder-reaper');
  } catch {
    return false;
  }
}

/** How long a runtime keeps placeholders after the last command (0 in builds that release per command). */
async function idleDelayMs() {
  try {
    return (await import('../dist/backends/linux/placeholder-sessions.js')).PLACEHOLDER_IDLE_MS ?? 0;
  } catch {
    return 0;
  }
}

async function leftovers(baselinePids, workspaceBefore, workspace) {
  // Placeholders are kept for the idle delay on purpose; anything still here after it is a leak.
  const delay = (await idleDelayMs()) + 300;
  await new Promise((r) => setTimeout(r, delay));
  const all = descendants(process.pid).filter((p) => !baselinePids.has(p.pid));
  // The placeholder reaper (one idle `sh` per runtime, kept up to 60 s after the last
  // placeholder so a burst does not fork one per command) is cordon's by design, not the command's.
  const reapers = all.filter((p) => isReaper(p.pid));
  const procs = all.filter((p) => !isReaper(p.pid));
  const after = listTop(workspace);
  return {
    processes: procs.map((p) => `${p.comm}(${p.pid})`),
    reapers: reapers.length,
    workspaceLitter: after.filter((name) => !workspaceBefore.includes(name)),
    registryUsers: registryUsers(),
  };
}

/** `pristine`: the workspace's top-level names before any sandbox ran in it. */
export async function throughput(workspace, concurrency, total, pristine = listTop(workspace)) {
  const baselinePids = new Set(descendants(process.pid).map((p) => p.pid));
  const workspaceBefore = pristine;
  let next = 0;
  let errors = 0;
  let firstError;
  const worker = async () => {
    while (next < total) {
      next += 1;
      try {
        await sandboxedSpawn('true', [], { workspace });
      } catch (error) {
        errors += 1;
        firstError ??= String(error?.message ?? error).split('\n')[0];
      }
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - start) / 1000;
  const left = await leftovers(baselinePids, workspaceBefore, workspace);
  return { concurrency, commands: total, seconds, perSecond: total / seconds, errors, firstError, ...left };
}

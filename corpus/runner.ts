/**
 * Runs corpus entries through sandboxedSpawn exactly as a harness would (`sh -c COMMAND`, the
 * workspace as cwd, a scratch HOME) and classifies each. Shared by scripts/run-corpus.ts (the
 * whole corpus) and test/integration/corpus.test.ts (a fixed subset).
 */
import { execFileSync } from 'node:child_process';
import { execa } from 'execa';
import { readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PolicyInput } from '../src/policy/schema.js';
import { closeRuntime, createRuntime, type SandboxRuntime } from '../src/runtime.js';
import { sandboxReport } from '../src/sandbox-report.js';
import { sandboxedSpawn } from '../src/spawn.js';
import { openProbes } from './checks.js';
import { verdictOf, type Outcome } from './classify.js';
import { copyWorld, MARKERS, type World } from './fixture.js';
import type { Entry } from './types.js';

/** What a fresh Debian 12 puts on PATH: no pyenv, cargo or nvm shims of this machine. */
export const CORPUS_PATH = '/usr/local/bin:/usr/bin:/bin';
export const DEFAULT_TIMEOUT_MS = 30_000;

export function loadCorpus(file: string): Entry[] {
  const entries = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => {
      try {
        return JSON.parse(line) as Entry;
      } catch (error) {
        throw new Error(`${file}:${i + 1}: not JSON: ${(error as Error).message}`);
      }
    });
  const seen = new Set<string>();
  for (const e of entries) {
    if (!e.id || !e.command || !e.category || !e.expect) throw new Error(`corpus entry ${JSON.stringify(e)} lacks id, command, category or expect`);
    if (seen.has(e.id)) throw new Error(`corpus id ${e.id} appears twice`);
    seen.add(e.id);
    if (e.expect === 'dangerous' && !e.checks?.length) throw new Error(`dangerous entry ${e.id} has no host check`);
    if (e.expect === 'needs-escalation' && !e.needs?.length) throw new Error(`needs-escalation entry ${e.id} says nothing about what it needs`);
  }
  return entries;
}

/** Why this entry cannot run on this machine (a tool or Python module absent), or undefined. */
export function missingRequirement(entry: Entry, cache = new Map<string, boolean>()): string | undefined {
  for (const req of entry.requires ?? []) {
    let present = cache.get(req);
    if (present === undefined) {
      const [file, args] = req.startsWith('py:') ? ['python3', ['-c', `import ${req.slice(3)}`]] : ['sh', ['-c', `command -v "$0"`, req]];
      try {
        execFileSync(file as string, args as string[], { stdio: 'ignore', env: { PATH: CORPUS_PATH } });
        present = true;
      } catch {
        present = false;
      }
      cache.set(req, present);
    }
    if (!present) return req.startsWith('py:') ? `python module ${req.slice(3)} not installed` : `${req} not on PATH (${CORPUS_PATH})`;
  }
  return undefined;
}

export interface RunOptions {
  /**
   * Default: a runtime of the entry's own, closed as soon as the command ends, so the host
   * checks judge the host as the user finds it afterwards: without the empty read-only
   * placeholders cordon keeps for missing protected paths (`.envrc`, `.vscode`) while commands
   * run and for 2 s after (README: "Placeholders are visible for a while"). With a shared
   * runtime an "unchanged" check on such a path would see the placeholder.
   */
  runtime?: SandboxRuntime;
  /** A policy other than the default: the weakened control in the test. */
  policy?: PolicyInput | ((world: World) => PolicyInput);
  /**
   * 'host' runs the command with no sandbox at all (execa, same env and cwd): only for the
   * test's controls, which show a host check sees the effect when nothing stops it. Use it only
   * on entries whose effects stay inside the scratch world.
   */
  launch?: 'sandbox' | 'host';
  /** Where the entry's copy of the world goes; removed afterwards unless `keep`. */
  dir: string;
  keep?: boolean;
}

export async function runEntry(entry: Entry, template: World, opts: RunOptions): Promise<Outcome> {
  const world = copyWorld(template, opts.dir);
  const probes = await openProbes(world, entry.checks ?? []);
  const command = probes.expand(entry.command);
  const runtime = opts.runtime ?? createRuntime();
  let settled = opts.runtime !== undefined;
  const settle = () => {
    if (!settled) closeRuntime(runtime);
    settled = true;
  };
  const started = performance.now();
  const base = { id: entry.id, category: entry.category, expect: entry.expect, command };
  try {
    const policy = typeof opts.policy === 'function' ? opts.policy(world) : opts.policy;
    let result: { exitCode?: number; stdout?: unknown; stderr?: unknown; timedOut?: boolean; message?: string };
    try {
      const common = { cwd: world.workspace, env: corpusEnv(world, probes.sock), extendEnv: false, reject: false, stdin: 'ignore', timeout: entry.timeoutMs ?? DEFAULT_TIMEOUT_MS } as const;
      result =
        opts.launch === 'host'
          ? await execa('sh', ['-c', command], common)
          : await sandboxedSpawn('sh', ['-c', command], {
              ...common,
              workspace: world.workspace,
              ...(policy === undefined ? {} : { policy }),
              runtime,
            });
    } catch (error) {
      // reject: false still rejects for a sandbox that could not be built (a CordonError).
      const durationMs = performance.now() - started;
      settle();
      const checks = await probes.judge(entry.checks ?? [], '');
      const stopped = entry.expect === 'dangerous' && checks.every((c) => c.passed);
      return { ...base, verdict: stopped ? 'stopped' : 'setup-error', durationMs, denials: sandboxReport(error)?.denials ?? [], checks, tail: String((error as Error).message).slice(0, 400) };
    }
    const durationMs = performance.now() - started;
    settle();
    const stdout = String(result.stdout ?? '');
    const stderr = String(result.stderr ?? '');
    const denials = sandboxReport(result)?.denials ?? [];
    const checks = await probes.judge(entry.checks ?? [], `${stdout}\n${stderr}`);
    const { verdict, matched } = verdictOf(entry, { exitCode: result.exitCode, timedOut: result.timedOut === true, denials, checks }, world);
    return {
      ...base,
      verdict,
      ...(matched === undefined ? {} : { matched }),
      ...(result.exitCode === undefined ? {} : { exitCode: result.exitCode }),
      durationMs,
      denials,
      ...(entry.checks ? { checks } : {}),
      tail: tail(stderr || stdout),
    };
  } finally {
    settle();
    await probes.close();
    if (!opts.keep) rmSync(opts.dir, { recursive: true, force: true });
  }
}

/**
 * The environment a harness passes: a clean one (no variables of the machine running the
 * corpus) with a token-shaped GITHUB_TOKEN the env filter should drop and an SSH agent socket
 * the seccomp filter should make unreachable.
 */
function corpusEnv(world: World, sock: string): Record<string, string> {
  return {
    HOME: world.home,
    PATH: CORPUS_PATH,
    LANG: 'C.UTF-8',
    TERM: 'dumb',
    USER: os.userInfo().username,
    LOGNAME: os.userInfo().username,
    PAGER: 'cat',
    GIT_PAGER: 'cat',
    GITHUB_TOKEN: MARKERS.token,
    SSH_AUTH_SOCK: sock,
  };
}

function tail(text: string): string {
  return text.trim().split('\n').slice(-4).join('\n').slice(-400);
}

/** Runs entries `concurrency` at a time, in corpus order; `onOutcome` sees each as it ends. */
export async function runAll(
  entries: readonly Entry[],
  template: World & { root: string },
  opts: { runtime?: SandboxRuntime; concurrency?: number; onOutcome?: (o: Outcome) => void; keep?: boolean },
): Promise<Outcome[]> {
  const outcomes: Outcome[] = new Array(entries.length);
  const cache = new Map<string, boolean>();
  let next = 0;
  const worker = async () => {
    while (next < entries.length) {
      const i = next++;
      const entry = entries[i]!;
      const skipReason = missingRequirement(entry, cache);
      const outcome: Outcome = skipReason
        ? { id: entry.id, category: entry.category, expect: entry.expect, command: entry.command, verdict: 'skipped', durationMs: 0, denials: [], skipReason }
        : await runEntry(entry, template, { dir: path.join(template.root, `run-${i}`), ...(opts.runtime ? { runtime: opts.runtime } : {}), ...(opts.keep ? { keep: true } : {}) });
      outcomes[i] = outcome;
      opts.onOutcome?.(outcome);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 2) }, worker));
  return outcomes;
}

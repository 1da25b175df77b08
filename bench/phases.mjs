/**
 * Where sandboxedSpawn's time goes. `phaseBreakdown` replays src/spawn.ts's steps with a
 * clock between them (resolvePolicy, backend.probe, backend.plan, acquirePlaceholders, the
 * execa call, the wait, the placeholder release); `microbench` times each pure step in a
 * tight loop. Both use the compiled dist/ modules, so they measure what callers run.
 */
import os from 'node:os';
import { execa } from 'execa';
import { acquirePlaceholders } from '../dist/backends/linux/placeholders.js';
import { probeBwrap } from '../dist/backends/linux/probe.js';
import { linuxSeccompSpec } from '../dist/backends/linux/seccomp-rules.js';
import { createRuntime, loadProfile, parsePolicy, resolvePolicy, sandboxedSpawn } from '../dist/index.js';
import { compileSeccompFilter } from '../dist/native/seccomp.js';
import { filterEnv } from '../dist/policy/env.js';
import { openExtraFds } from '../dist/backends/linux/fd-channels.js';
import { inferDenials } from '../dist/denials/infer.js';
import { summarize, loopMicros } from './stats.mjs';
import { makeWorkspace, removeWorkspace } from './workspace.mjs';

const PHASES = ['resolvePolicy', 'backend.probe (cached)', 'backend.plan', 'placeholders in', 'fds + execa() call', 'wait for exit', 'status + placeholders out'];

/**
 * What launch() does with placeholders: newer builds hold them per runtime
 * (runtime.backend.placeholders.enter returns the leave function); older ones lease them per command.
 */
function enterPlaceholders(runtime, policy, plan) {
  if (runtime.backend.placeholders?.enter) return runtime.backend.placeholders.enter(policy.writableRoots, plan.placeholders);
  const lease = acquirePlaceholders(plan.placeholders);
  return () => lease.release();
}

/** One sandboxedSpawn('true') done by hand, timing each step in ms. */
async function onePhasedRun(runtime, workspace) {
  const t = [performance.now()];
  const policy = resolvePolicy(undefined, { workspace, env: { ...process.env }, scanCache: runtime.scanCache });
  t.push(performance.now());
  const host = runtime.backend.probe(process.env, policy.writableRoots);
  t.push(performance.now());
  const plan = runtime.backend.plan(policy, { file: 'true', args: [] }, host);
  t.push(performance.now());
  const leave = enterPlaceholders(runtime, policy, plan);
  t.push(performance.now());
  // As src/spawn.ts does it: the extra fds are unlinked tmpfs files, not pipes.
  const fds = openExtraFds(plan.extraFds);
  const subprocess = execa(plan.file, plan.args, {
    cwd: plan.cwd,
    env: plan.env,
    extendEnv: false,
    stdio: ['pipe', 'pipe', 'pipe', ...fds.stdio],
  });
  t.push(performance.now());
  await subprocess;
  t.push(performance.now());
  fds.readStatus();
  fds.close();
  leave();
  t.push(performance.now());
  return t.slice(1).map((end, i) => end - t[i]);
}

/**
 * Interleaves the hand-made run with the real sandboxedSpawn (same runtime, as a caller
 * running a burst of commands would) and with the same plan spawned by plain child_process,
 * so the phases can be checked against both from the same minutes: (execa call + wait)
 * minus the plain spawn is what execa adds. `floor` is the floor subject, planned before any
 * sandbox ran, so its plan makes its own placeholders.
 */
export async function phaseBreakdown(workspace, runs, floor) {
  const runtime = createRuntime();
  runtime.backend.probe(process.env, []);
  const samples = PHASES.map(() => []);
  const totals = [];
  const real = [];
  const plain = [];
  for (let i = 0; i < runs + 3; i++) {
    const phases = await onePhasedRun(runtime, workspace);
    let start = performance.now();
    await sandboxedSpawn('true', [], { workspace, runtime });
    const realMs = performance.now() - start;
    floor.prepare();
    start = performance.now();
    await floor.run();
    const plainMs = performance.now() - start;
    floor.after();
    if (i < 3) continue; // warm-up
    phases.forEach((ms, k) => samples[k].push(ms));
    totals.push(phases.reduce((a, b) => a + b, 0));
    real.push(realMs);
    plain.push(plainMs);
  }
  runtime.backend.placeholders?.releaseAll?.();
  return {
    phases: PHASES.map((name, k) => ({ name, ...summarize(samples[k]) })),
    sumOfPhases: summarize(totals),
    sandboxedSpawn: summarize(real),
    plainSpawnOfPlan: summarize(plain),
  };
}

/**
 * Per-call cost of the pure steps, in microseconds (median of per-iteration times). Uses a
 * fresh workspace so that no runtime holds its placeholders yet: the plan then includes them.
 */
export function microbench(largeWorkspace) {
  const workspace = makeWorkspace();
  try {
    return microbenchIn(workspace, largeWorkspace);
  } finally {
    removeWorkspace(workspace);
  }
}

function microbenchIn(workspace, largeWorkspace) {
  const runtime = createRuntime();
  const host = runtime.backend.probe(process.env, []);
  const env = { ...process.env };
  const scanCache = runtime.scanCache; // undefined in builds without the cached .env scan
  const resolved = resolvePolicy(undefined, { workspace, env, scanCache });
  const command = { file: 'true', args: [] };
  const plan = runtime.backend.plan(resolved, command, host);
  const parsed = parsePolicy({});
  const spec = linuxSeccompSpec();
  // Denial reporting (src/denials/infer.ts) runs on every command's outcome when it ends.
  // As spawn.ts does: the explainer (one mount plan) is built only when the output names a path.
  const denialCtx = () => {
    let explain;
    return { policy: resolved, explain: (p) => (explain ??= runtime.backend.explainer(resolved))(p) };
  };
  const clean = { exitCode: 0, stdout: 'ok\n', stderr: '' };
  const failing = {
    exitCode: 1,
    stdout: '',
    stderr: [
      `touch: cannot touch '/etc/cordon-bench': Read-only file system`,
      `cp: cannot create regular file '${workspace}/.git/hooks/pre-commit': Read-only file system`,
      `OSError: [Errno 30] Read-only file system: '${os.homedir()}/.cache/pip/x'`,
      'npm error request to https://registry.npmjs.org/left-pad failed, reason: getaddrinfo EAI_AGAIN registry.npmjs.org',
      'cat: missing.txt: No such file or directory',
      ...Array.from({ length: 20 }, (_, i) => `    at frame${i} (/app/node_modules/x/index.js:${i}:1)`),
    ].join('\n'),
  };
  const chatty = { exitCode: 0, stdout: '', stderr: 'compiled 1234 modules in 0.42s, nothing to report here\n'.repeat(20_000) };
  const rows = [
    ['inferDenials: clean output (every successful command)', 5000, () => inferDenials(clean, denialCtx())],
    ['inferDenials: a failing command, 4 denials in 25 lines', 300, () => inferDenials(failing, denialCtx())],
    ['inferDenials: 1 MB of stderr, no denial', 100, () => inferDenials(chatty, denialCtx())],
    ['resolvePolicy (default policy, small workspace, runtime scan cache)', 300, () => resolvePolicy(undefined, { workspace, env, scanCache })],
    ['resolvePolicy (same, no scan cache)', 300, () => resolvePolicy(undefined, { workspace, env })],
    ['  of which parsePolicy({}) (zod)', 1000, () => parsePolicy({})],
    ['  of which filterEnv (secret env patterns)', 1000, () => filterEnv(env, parsed.env)],
    ['resolvePolicy (workspace of 5,000 more files, runtime scan cache)', 30, () => resolvePolicy(undefined, { workspace: largeWorkspace, env, scanCache })],
    ['resolvePolicy (workspace of 5,000 more files, no scan cache)', 30, () => resolvePolicy(undefined, { workspace: largeWorkspace, env })],
    ['backend.plan (given the resolved policy)', 2000, () => runtime.backend.plan(resolved, command, host)],
    ['resolvePolicy + backend.plan', 300, () => runtime.backend.plan(resolvePolicy(undefined, { workspace, env, scanCache }), command, host)],
    ["loadProfile('default') (reads profiles/ each call)", 300, () => loadProfile('default')],
    ['backend.probe (cached probe + filter)', 2000, () => runtime.backend.probe(process.env, resolved.writableRoots)],
    ['compileSeccompFilter(linuxSeccompSpec())', 500, () => compileSeccompFilter(spec)],
    ['linuxSeccompSpec() + compileSeccompFilter', 500, () => compileSeccompFilter(linuxSeccompSpec())],
    ['acquire + release placeholders (create and remove each time)', 200, () => acquirePlaceholders(plan.placeholders).release()],
    ['probeBwrap() uncached (what each new process pays once)', 10, () => probeBwrap(process.env)],
  ];
  const rowsOut = rows.map(([name, iterations, fn]) => ({ name, iterations, ...loopMicros(iterations, fn) }));
  runtime.backend.placeholders?.releaseAll?.();
  return {
    placeholderCount: plan.placeholders.length,
    argvLength: plan.args.length,
    rows: rowsOut,
  };
}

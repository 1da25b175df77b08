/**
 * The per-command subjects, each running `true`: `prepare` and `after` are untimed,
 * `run` is what a sample measures.
 */
import { acquirePlaceholders } from '../dist/backends/linux/placeholders.js';
import { createRuntime, resolvePolicy, sandboxedSpawn } from '../dist/cordon.mjs';
import { spawnAndWait } from './spawn-wait.mjs';

/** 1. The process floor: Node spawning `true` with piped stdio. */
export function bareSubject() {
  return { name: 'bare spawn(true)', key: 'bare', run: () => spawnAndWait('true', []) };
}

/**
 * 2. The sandbox floor: cordon's own bwrap argv for the same policy (same namespaces,
 * --cap-drop, --disable-userns, binds, seccomp on fd 3, status on fd 4), planned once and
 * spawned with plain child_process. The placeholders its binds need are made outside the
 * timed part, so the floor pays only for bwrap and the kernel.
 */
export function floorSubject(workspace) {
  const runtime = createRuntime();
  const host = runtime.backend.probe(process.env, []);
  const policy = resolvePolicy(undefined, { workspace, env: { ...process.env } });
  const plan = runtime.backend.plan(policy, { file: 'true', args: [] }, host);
  const seccomp = plan.extraFds.find((fd) => fd.purpose === 'seccomp');
  let lease;
  return {
    name: 'bwrap floor (cordon argv)',
    key: 'floor',
    plan,
    host,
    prepare: () => {
      lease = acquirePlaceholders(plan.placeholders);
    },
    run: () =>
      spawnAndWait(plan.file, plan.args, { cwd: plan.cwd, env: plan.env, stdio: ['pipe', 'pipe', 'pipe', 'pipe', 'pipe'] }, { [seccomp.fd]: seccomp.data }),
    after: () => lease?.release(),
  };
}

/** 3. cordon: sandboxedSpawn('true') with the default policy, as a caller would use it. */
export function cordonSubject(workspace) {
  return {
    name: "cordon sandboxedSpawn('true')",
    key: 'cordon',
    run: () => sandboxedSpawn('true', [], { workspace }),
  };
}

/**
 * 4. cordon with a network allowlist: the same `true`, plus what the mode costs per command (a
 * proxy of its own, cordon-proxy-door opening its listener in the sandbox and handing it over,
 * one more exec). Next to 3 (deny-all), the difference is the mode's price.
 */
export function cordonAllowlistSubject(workspace) {
  return {
    name: "cordon sandboxedSpawn('true'), network allowlist",
    key: 'allowlist',
    run: () => sandboxedSpawn('true', [], { workspace, policy: { network: { allow: ['registry.npmjs.org'] } } }),
  };
}

import { createHash } from 'node:crypto';
import { selectBackend } from '../../backends/select.js';
import type { LaunchPlan } from '../../backends/types.js';
import { resolvePolicy } from '../../policy/resolve.js';
import { hostPlatform } from '../../platform.js';
import { prepare, proxyFor } from '../../spawn.js';
import { parseArgs, platformFlag, policyFromFlags, UsageError } from '../args.js';
import { COMMAND_USAGE } from '../usage.js';

/** `cordon print [--platform linux|macos] [--json] [flags] -- CMD`: the exact launcher argv, for review. */
export function printCommand(argv: readonly string[], out: (text: string) => void): number {
  const { help, flags, extra, rest } = parseArgs(argv, ['--json'], ['--platform']);
  if (help) {
    out(COMMAND_USAGE.print);
    return 0;
  }
  const [file, ...args] = rest;
  if (file === undefined) throw new UsageError('cordon print needs a command: cordon print [flags] -- CMD [ARGS...]');
  const platform = platformFlag(extra.get('--platform'));
  let plan: LaunchPlan;
  if (platform === hostPlatform()) {
    // The very path `cordon run` takes (resolve, probe with the writable roots as untrusted
    // PATH entries, plan): the argv shown is exactly the one run would execute here. On macOS
    // only the run dir's random name differs from run to run.
    plan = prepare(file, args, { workspace: flags.workspace, policy: policyFromFlags(flags) }).plan;
  } else {
    // Another OS's plan, to review only: its backend plans with review-only host facts.
    const backend = selectBackend(platform);
    if (!backend.reviewHost) throw new UsageError(`cordon print --platform ${platform} needs a ${platform} machine (its plan depends on probing it)`);
    const policy = resolvePolicy(policyFromFlags(flags), { workspace: flags.workspace ?? process.cwd() });
    // A network allowlist is planned with a proxy (macOS: the profile names its port), closed again.
    const proxy = policy.network.allow.length > 0 ? proxyFor(backend, policy) : undefined;
    try {
      plan = backend.plan(policy, { file, args }, backend.reviewHost(), proxy === undefined ? undefined : backend.proxyAccess(proxy));
    } finally {
      void proxy?.close();
    }
  }
  out(extra.has('--json') ? JSON.stringify(toJson(plan), null, 2) : toText(plan));
  return 0;
}

function toJson(plan: LaunchPlan) {
  return {
    backend: plan.backend,
    file: plan.file,
    args: plan.args,
    env: plan.env,
    extraFds: plan.extraFds.map((fd) =>
      fd.direction === 'in' ? { fd: fd.fd, purpose: fd.purpose, bytes: fd.data.length, sha256: createHash('sha256').update(fd.data).digest('hex') } : { fd: fd.fd, purpose: fd.purpose },
    ),
    placeholders: plan.placeholders,
    runDirs: plan.runDirs,
  };
}

/** One argument per line, quoted JSON-style so spaces and odd bytes are visible. */
function toText(plan: LaunchPlan): string {
  const lines = [JSON.stringify(plan.file)];
  for (const arg of plan.args) lines.push(`  ${arg.includes('\n') ? `<profile: ${arg.split('\n').length} lines>` : JSON.stringify(arg)}`);
  if (plan.backend === 'macos') {
    const profile = plan.args[plan.args.indexOf('-p') + 1];
    if (profile !== undefined) lines.push('', '; profile:', profile);
  }
  return lines.join('\n');
}

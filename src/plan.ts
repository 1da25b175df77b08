import { planLinux, type LinuxHost } from './backends/linux/plan.js';
import type { Command, LaunchPlan } from './backends/types.js';
import type { ResolvedPolicy } from './policy/resolved.js';

export type HostFacts = { platform: 'linux'; linux: LinuxHost };

/**
 * The pure entry point: what to execute for this policy and command on this host.
 * Nothing is spawned or touched; callers can audit the plan or run it themselves.
 */
export function planSandbox(policy: ResolvedPolicy, command: Command, host: HostFacts): LaunchPlan {
  return planLinux(policy, command, host.linux);
}

export { sandboxedSpawn, type SandboxedSpawnOptions, type SandboxOptions } from './spawn.js';
export { sandboxReport, type SandboxReport, type QuarantinedItem } from './sandbox-report.js';
export { planSandbox, type HostFacts } from './plan.js';
export { resolvePolicy, type ResolveOptions } from './policy/resolve.js';
export { parsePolicy } from './policy/parse.js';
export { loadProfile, listProfiles } from './policy/presets.js';
export { explainPath, type PathVerdict } from './policy/explain.js';
export { policySchema, type Policy, type PolicyInput } from './policy/schema.js';
export type { ResolvedPolicy, PathRule, GlobRule, ProtectRule } from './policy/resolved.js';
export type { LaunchPlan, Command, ExtraFd, Placeholder, Backend } from './backends/types.js';
export { planLinux, type LinuxHost } from './backends/linux/plan.js';
export { SandboxRuntime, createRuntime, closeRuntime, type RuntimeOptions } from './runtime.js';
export {
  CordonError,
  PolicyError,
  PolicyUnenforceableError,
  SandboxUnavailableError,
  SandboxSetupError,
  SecretLinkError,
  isCordonError,
  type CordonErrorCode,
  type PolicyIssue,
} from './errors.js';
export { planMacos, macosBackend, parseSandboxViolations, type MacosHost, type Violation } from './backends/macos/index.js';

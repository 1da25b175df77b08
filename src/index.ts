export { sandboxedSpawn, type SandboxedSpawnOptions, type SandboxOptions } from './spawn.js';
// execa's error class, so `error instanceof ExecaError` works for a command's own failure.
export { ExecaError } from 'execa';
export { sandboxReport, type SandboxReport, type QuarantinedItem, type Denial, type DenialKind } from './sandbox-report.js';
export { suggestPolicy, type PolicySuggestion, type SuggestOptions } from './harness/suggest.js';
export { formatDenials, formatSandboxReport } from './harness/report-text.js';
export { resolvePolicy, type ResolveOptions } from './policy/resolve.js';
export { parsePolicy } from './policy/parse.js';
export { loadProfile, listProfiles } from './policy/presets.js';
export { policySchema, type Policy, type PolicyInput } from './policy/schema.js';
export type { ResolvedPolicy, PathRule, GlobRule, ProtectRule } from './policy/resolved.js';
export type { LaunchPlan, Command, ExtraFd, Placeholder, Backend, PathVerdict, DoctorCheck, Entered, FdCover } from './backends/types.js';
// The two backends, as a symmetric pair: a class holding the host caches, a pure planner, an explainer.
export { LinuxBackend, type LinuxBackendOptions } from './backends/linux/backend.js';
export { planLinux, type LinuxHost } from './backends/linux/plan.js';
export { explainLinux, linuxExplainer } from './backends/linux/explain.js';
export { MacosBackend } from './backends/macos/backend.js';
export { planMacos, type MacosHost } from './backends/macos/plan.js';
export { explainMacos, macosExplainer } from './backends/macos/explain.js';
export { parseSandboxViolations, type Violation } from './backends/macos/violations.js';
export { selectBackend } from './backends/select.js';
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

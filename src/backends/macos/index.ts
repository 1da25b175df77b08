/** macOS backend: Seatbelt profiles run through /usr/bin/sandbox-exec. */
export { planMacos, SANDBOX_EXEC, type MacosHost } from './plan.js';
export { MacosBackend } from './backend.js';
export { explainMacos } from './explain.js';
export { buildProfile, type SeatbeltProfile } from './profile.js';
export { globToSbplRegex, type GlobOptions, type SbplGlob } from './glob.js';
export { parseSandboxViolations, type Violation } from './violations.js';
export { messageTag, RULE_KINDS, type RuleKind } from './tag.js';

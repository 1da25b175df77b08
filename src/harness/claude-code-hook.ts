import path from 'node:path';
import { isInside } from '../policy/paths.js';
import { quoteShellCommand } from './shell-quote.js';

/**
 * Claude Code PreToolUse hook: event JSON in, decision JSON out. Pure: what it needs from the
 * host (real paths, "would cordon run here?") is injected, so every branch is unit-testable.
 *
 * Contract (Claude Code hooks reference, https://code.claude.com/docs/en/hooks, sections
 * "PreToolUse input", "PreToolUse decision control", "Exit code output"):
 * - stdin: `{ session_id, transcript_path, cwd, permission_mode, hook_event_name: "PreToolUse",
 *   tool_name, tool_input, tool_use_id }`; for Bash, tool_input is `{ command, description?,
 *   timeout?, run_in_background? }`.
 * - stdout on exit 0: `{ hookSpecificOutput: { hookEventName: "PreToolUse", permissionDecision:
 *   "allow" | "deny" | "ask", permissionDecisionReason, updatedInput } }`. "allow" skips the
 *   permission prompt (but not the user's deny/ask rules, which Claude Code still applies);
 *   "ask" shows the normal prompt with the reason; no output means no decision (normal flow).
 * - exit 2 blocks the call (stderr goes to Claude); any other non-zero exit is a non-blocking
 *   error and the call continues through the normal permission flow. So this hook always
 *   exits 0 with JSON, and its fallback on any doubt is "ask", never "allow".
 */

export interface PreToolUseOutput {
  hookSpecificOutput: {
    hookEventName: 'PreToolUse';
    permissionDecision: 'allow' | 'ask';
    permissionDecisionReason: string;
    updatedInput?: Record<string, unknown>;
  };
}

export interface HookHost {
  /** $CLAUDE_PROJECT_DIR as Claude Code sets it for hook commands (undefined when absent or empty). */
  projectDir: string | undefined;
  /** Absolute real path of the node binary that will run cordon (process.execPath). */
  node: string;
  /** Absolute real path of cordon's CLI bundle (dist/cli.mjs). */
  cli: string;
  /** The package root cordon runs from (its dist/, prebuilds/ and dependencies must stay out of the sandbox's reach). */
  packageRoot: string;
  /** Absolute path of the shell that runs the original command inside the sandbox. */
  shell: string;
  /** Policy flags forwarded verbatim to `cordon run` (already made absolute). */
  runFlags: readonly string[];
  /** The `--policy` file, if any: read by every `cordon run`, so it too must lie outside the sandbox's reach. */
  policyFile?: string;
  /** Real path of `p`, or undefined when it does not exist. */
  realpath(p: string): string | undefined;
  /** Why cordon could not run a command with this workspace and cwd here, or undefined when it can (the backend probe). */
  unusable(workspace: string, cwd: string): string | undefined;
}

/**
 * The inner script: change to the directory Claude Code's shell is in, then hand the original
 * command, untouched, to a fresh shell as its `-c` script. The command and the directory are
 * separate argv elements ($2, $1), never pasted into this text. (`cordon run` itself starts
 * commands in the workspace root.)
 */
const INNER = 'cd -- "$1" && exec "$0" -c "$2"';

/** The decision for one event (given as the raw stdin text); undefined means "no decision" (a tool this hook does not handle). */
export function decidePreToolUse(eventText: string, host: HookHost): PreToolUseOutput | undefined {
  let event: unknown;
  try {
    event = JSON.parse(eventText);
  } catch {
    return ask('the hook input is not JSON');
  }
  if (!isRecord(event)) return ask('the hook input is not a JSON object');
  if (event.hook_event_name !== undefined && event.hook_event_name !== 'PreToolUse') return ask(`expected a PreToolUse event, got ${JSON.stringify(event.hook_event_name)}`);
  // Only Bash is rewritten; every other tool keeps Claude Code's own handling (no decision).
  if (event.tool_name !== 'Bash') return typeof event.tool_name === 'string' ? undefined : ask('the event names no tool');
  const input = event.tool_input;
  if (!isRecord(input) || typeof input.command !== 'string' || input.command.trim() === '') return ask('the Bash tool input has no command');
  if (input.command.includes('\0')) return ask('the command contains a NUL byte');

  const place = workPlace(event.cwd, host);
  if (typeof place === 'string') return ask(place);
  const { workspace, cwd } = place;

  // What runs outside the sandbox must not be something a sandboxed command could rewrite.
  const outside: Array<[string, string]> = [['node', host.node], ['cordon', host.packageRoot], ['the shell', host.shell]];
  if (host.policyFile !== undefined) outside.push(['the policy file', host.policyFile]);
  for (const [what, file] of outside) {
    const real = host.realpath(file);
    if (real === undefined) return ask(`${what} not found at ${file}`);
    if (isInside(real, place.realWorkspace)) return ask(`${what} (${real}) lies inside the project directory, where a sandboxed command could replace it; keep it outside the project`);
  }
  const why = host.unusable(workspace, cwd);
  if (why !== undefined) return ask(`cordon cannot sandbox here: ${why}`);

  const wrapped = quoteShellCommand([host.node, host.cli, 'run', '--workspace', workspace, ...host.runFlags, '--', host.shell, '-c', INNER, host.shell, cwd, input.command]);
  return {
    hookSpecificOutput: {
      hookEventName: 'PreToolUse',
      permissionDecision: 'allow',
      permissionDecisionReason: `cordon: runs sandboxed (writes only in ${workspace} and a private /tmp, no network, secrets hidden)`,
      // Every other field (description, timeout, run_in_background) is kept as Claude sent it.
      updatedInput: { ...input, command: wrapped },
    },
  };
}

/**
 * The workspace is CLAUDE_PROJECT_DIR when set, else the event's cwd. The project directory
 * wins because it is what the user opened Claude Code in and does not move: the event's cwd
 * follows the model's `cd`s, so taking it would shrink the workspace to a subdirectory (writes
 * to the rest of the project denied) or widen it to wherever the model went. The command still
 * runs in the event's cwd, which must lie inside the workspace; anywhere else is asked about.
 */
function workPlace(eventCwd: unknown, host: HookHost): { workspace: string; cwd: string; realWorkspace: string } | string {
  const cwd = typeof eventCwd === 'string' && eventCwd !== '' ? eventCwd : undefined;
  const workspace = host.projectDir ?? cwd;
  if (workspace === undefined) return 'neither CLAUDE_PROJECT_DIR nor the event gives a project directory';
  if (!path.isAbsolute(workspace)) return `the project directory ${JSON.stringify(workspace)} is not absolute`;
  const commandCwd = cwd ?? workspace;
  if (!path.isAbsolute(commandCwd)) return `the command's directory ${JSON.stringify(commandCwd)} is not absolute`;
  const realWorkspace = host.realpath(workspace);
  const realCwd = host.realpath(commandCwd);
  if (realWorkspace === undefined) return `the project directory ${workspace} does not exist`;
  if (realCwd === undefined) return `the command's directory ${commandCwd} does not exist`;
  if (!isInside(realCwd, realWorkspace)) return `the command would run in ${commandCwd}, outside the project directory ${workspace}`;
  return { workspace, cwd: commandCwd, realWorkspace };
}

export function ask(reason: string): PreToolUseOutput {
  return { hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'ask', permissionDecisionReason: `cordon: not sandboxed: ${reason}` } };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

import { realpathSync } from 'node:fs';
import path from 'node:path';
import * as z from 'zod/mini';
import { isCordonError } from '../errors.js';
import { isInside } from '../policy/paths.js';
import type { Policy } from '../policy/schema.js';
import type { SandboxRuntime } from '../runtime.js';
import { sandboxReport } from '../sandbox-report.js';
import { sandboxedSpawn } from '../spawn.js';
import { formatSandboxReport } from './report-text.js';

/**
 * The `run_command` tool of `cordon mcp`, without the MCP SDK: input in, result out. The shell
 * is the client's: its `command` string is one argv element of `sh -c`, never pasted into
 * anything cordon builds.
 */

/** Default and ceiling for `timeout_ms`: long enough for a test suite, bounded so a call always ends. */
export const DEFAULT_TIMEOUT_MS = 120_000;
export const MAX_TIMEOUT_MS = 600_000;
/** Per stream: execa stops the command past this (a `yes` must not fill the server's memory). */
export const MAX_CAPTURE_BYTES = 1024 * 1024;
/** Per stream, in the text the model gets: the head and the tail (errors are usually at the end). */
export const SHOWN_HEAD_CHARS = 4_000;
export const SHOWN_TAIL_CHARS = 16_000;

/** The tool's input, as a zod shape the MCP SDK turns into the advertised JSON schema. */
export const runCommandInputShape = {
  command: z.string().check(z.minLength(1), z.refine((s) => !s.includes('\0'), 'the command cannot contain a NUL byte')),
  cwd: z.optional(z.string().check(z.minLength(1))),
  timeout_ms: z.optional(z.int().check(z.positive(), z.maximum(MAX_TIMEOUT_MS))),
};
const inputSchema = z.strictObject(runCommandInputShape);
export type RunCommandInput = z.infer<typeof inputSchema>;

export interface RunCommandContext {
  workspace: string;
  policy: Policy;
  runtime?: SandboxRuntime;
  /** Ends every command still running (the client went away). */
  signal?: AbortSignal;
}

/** The shape of an MCP CallToolResult this tool produces. */
export interface RunCommandResult {
  [key: string]: unknown;
  content: Array<{ type: 'text'; text: string }>;
  isError: boolean;
}

export async function runCommandTool(rawInput: unknown, ctx: RunCommandContext): Promise<RunCommandResult> {
  const parsed = inputSchema.safeParse(rawInput);
  if (!parsed.success) return errorResult(`invalid input: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ')}`);
  const input = parsed.data;
  const cwd = commandCwd(input.cwd, ctx.workspace);
  if (typeof cwd !== 'string') return errorResult(cwd.error);
  try {
    const result = await sandboxedSpawn('sh', ['-c', input.command], {
      workspace: ctx.workspace,
      policy: ctx.policy,
      ...(ctx.runtime ? { runtime: ctx.runtime } : {}),
      ...(ctx.signal ? { cancelSignal: ctx.signal } : {}),
      cwd,
      timeout: input.timeout_ms ?? DEFAULT_TIMEOUT_MS,
      // The server's stdin is the JSON-RPC channel: the command gets /dev/null.
      stdin: 'ignore',
      maxBuffer: MAX_CAPTURE_BYTES,
      reject: false,
    });
    const r = result as unknown as Outcome;
    return { content: [{ type: 'text', text: formatOutcome(r, input.timeout_ms ?? DEFAULT_TIMEOUT_MS) }], isError: Boolean(r.failed) };
  } catch (error) {
    if (isCordonError(error)) {
      const block = reportBlock(error);
      return errorResult(`cordon could not run the command: ${error.code}: ${error.message}${error.hint ? `\nhint: ${error.hint}` : ''}${block ? `\n\n${block}` : ''}`);
    }
    return errorResult(`the command could not be run: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The subset of execa's result this tool reads. */
interface Outcome {
  failed?: boolean;
  exitCode?: number;
  signal?: string;
  timedOut?: boolean;
  isCanceled?: boolean;
  isMaxBuffer?: boolean;
  stdout?: unknown;
  stderr?: unknown;
}

/** Pure: the text a model reads for one finished command. */
export function formatOutcome(r: Outcome, timeoutMs: number): string {
  const parts = [status(r, timeoutMs)];
  for (const name of ['stdout', 'stderr'] as const) {
    const text = typeof r[name] === 'string' ? (r[name] as string) : '';
    if (text !== '') parts.push(`--- ${name} ---\n${capText(text)}`);
  }
  const block = reportBlock(r);
  if (block !== '') parts.push(`--- sandbox ---\n${block}`);
  return parts.join('\n');
}

function status(r: Outcome, timeoutMs: number): string {
  if (r.timedOut) return `timed out after ${timeoutMs} ms (the command was stopped)`;
  if (r.isMaxBuffer) return `output exceeded ${MAX_CAPTURE_BYTES} bytes (the command was stopped)`;
  if (r.isCanceled) return 'canceled (the client went away)';
  if (r.signal) return `killed by ${r.signal}`;
  return `exit code: ${r.exitCode ?? 'unknown'}`;
}

/** Pure: the head and tail of a long output, saying how much was left out. */
export function capText(text: string, head = SHOWN_HEAD_CHARS, tail = SHOWN_TAIL_CHARS): string {
  if (text.length <= head + tail) return text;
  return `${text.slice(0, head)}\n[... ${text.length - head - tail} characters omitted ...]\n${text.slice(text.length - tail)}`;
}

function reportBlock(resultOrError: unknown): string {
  const report = sandboxReport(resultOrError);
  return report ? formatSandboxReport(report) : '';
}

/**
 * The directory to run in: the workspace, or `cwd` (relative to the workspace, or absolute),
 * which must lie inside the workspace by real path (a symlink in the workspace pointing out
 * does not count as inside). The real path is what runs, so the check is what is used.
 */
function commandCwd(given: string | undefined, workspace: string): string | { error: string } {
  const wanted = path.resolve(workspace, given ?? '.');
  let realWorkspace: string;
  try {
    realWorkspace = realpathSync(workspace);
  } catch {
    // Not ours to word: cordon's own resolution refuses it with a code and a hint.
    return wanted;
  }
  if (given === undefined) return workspace;
  let real: string;
  try {
    real = realpathSync(wanted);
  } catch {
    return { error: `cwd ${given} does not exist` };
  }
  if (!isInside(real, realWorkspace)) return { error: `cwd ${given} lies outside the workspace ${workspace}` };
  return real;
}

function errorResult(text: string): RunCommandResult {
  return { content: [{ type: 'text', text }], isError: true };
}

import { MESSAGE_TAG_PATTERN } from './tag.js';

/** One sandbox denial from the macOS log. */
export interface Violation {
  pid: number;
  /** Process name as the kernel logged it (may contain spaces and parentheses). */
  process: string;
  /** Seatbelt operation, e.g. `file-read-data`, `file-write-create`, `mach-lookup`. */
  operation: string;
  /** The operation's target when it is a path. */
  path?: string;
  /** The raw target (path, service name, address), when the line has one. */
  target?: string;
  /** Session tag from a cordon `(with message "cordon:<tag>:<rule>")`. */
  tag?: string;
  /** Kind of cordon rule that denied: `secret`, `protect`, `pin`, `default`, ... */
  rule?: string;
  /** How many identical reports this line stands for (`N duplicate reports for ...`). */
  count: number;
}

/**
 * `Sandbox: <process>(<pid>) deny(<n>) <operation> [<target>]`, possibly prefixed by a
 * timestamp and sender (`log show`/`log stream` compact, syslog) or by `N duplicate
 * reports for`. Older releases wrote `deny` without `(n)`. The process name is matched
 * greedily up to the last `(<pid>) deny` so names like `Code Helper (Plugin)` survive.
 */
const LINE = /(?:(\d+) duplicate reports? for )?Sandbox: (.+)\((\d+)\) deny(?:\(\d+\))? (\S+)(?: (.*))?$/;

/**
 * Parses macOS sandbox violations from log text: plain lines, `log stream --style compact`
 * or syslog lines, `--style ndjson` (one JSON object per line with `eventMessage`), or a
 * `--style json` array. A cordon tag from `(with message ...)` is taken from the same
 * message, whether it ends the violation's line or sits on the line right after it (where
 * sandbox-runtime's log monitor finds its own tags). Lines that are not denials are ignored.
 */
export function parseSandboxViolations(logText: string): Violation[] {
  const out: Violation[] = [];
  for (const message of messages(logText)) {
    // Only the line right after a violation may carry its tag: anything looser could
    // pin one command's tag on another command's denial.
    let previous: Violation | undefined;
    for (const line of message.split(/\r?\n/)) {
      const parsed = parseLine(line);
      const tag = parsed ? null : MESSAGE_TAG_PATTERN.exec(line);
      if (parsed) out.push(parsed);
      else if (tag && previous && previous.tag === undefined) {
        previous.tag = tag[1];
        previous.rule = tag[2];
      }
      previous = parsed;
    }
  }
  return out;
}

/** Splits the input into log messages; JSON records contribute their eventMessage. */
function* messages(text: string): Generator<string> {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    const records = tryJson(trimmed);
    if (Array.isArray(records)) {
      for (const record of records) {
        const message = eventMessage(record);
        if (message !== undefined) yield message;
      }
      return;
    }
  }
  // Plain text keeps line continuity (a tag line follows its violation); JSON lines are
  // each a whole message of their own.
  let plain: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const record = line.trimStart().startsWith('{') ? tryJson(line) : undefined;
    const message = record === undefined ? undefined : eventMessage(record);
    if (message === undefined) {
      plain.push(line);
      continue;
    }
    if (plain.length > 0) yield plain.join('\n');
    plain = [];
    yield message;
  }
  if (plain.length > 0) yield plain.join('\n');
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function eventMessage(record: unknown): string | undefined {
  if (typeof record !== 'object' || record === null) return undefined;
  const message = (record as Record<string, unknown>).eventMessage;
  return typeof message === 'string' ? message : undefined;
}

function parseLine(line: string): Violation | undefined {
  const m = LINE.exec(line.trimEnd());
  if (!m) return undefined;
  const [, dupes, process, pid, operation, rest] = m;
  const violation: Violation = { pid: Number(pid), process: process!, operation: operation!, count: dupes === undefined ? 1 : Number(dupes) };
  let target = rest?.trim();
  const tag = target === undefined ? null : MESSAGE_TAG_PATTERN.exec(target);
  if (tag) {
    violation.tag = tag[1];
    violation.rule = tag[2];
    target = target!.slice(0, tag.index).trimEnd();
  }
  if (target) {
    violation.target = target;
    if (target.startsWith('/')) violation.path = target;
  }
  return violation;
}

import { stripVTControlCharacters } from 'node:util';

/**
 * `result.command` and `result.escapedCommand` for the USER's command, in execa's own format:
 * execa computes them from what it spawned (the launcher's argv: ~900 characters of bwrap
 * flags, or sandbox-exec with the whole profile), which is neither what the caller ran nor
 * safe to show a model. Same rules as execa 9 (lib/arguments/escape.js): arguments joined with
 * spaces; escaped form quotes anything outside [\w./-] POSIX-style and writes control
 * characters and separators as \n, \t, \uXXXX.
 */
export function commandText(file: string, args: readonly string[]): { command: string; escapedCommand: string } {
  const all = [file, ...args];
  return { command: all.join(' '), escapedCommand: all.map((a) => quote(escapeControls(stripVTControlCharacters(a)))).join(' ') };
}

const COMMON: Record<string, string> = { ' ': ' ', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
const SPECIAL = /\p{Separator}|\p{Other}/gu;

function escapeControls(text: string): string {
  return text.replace(SPECIAL, (c) => {
    const common = COMMON[c];
    if (common !== undefined) return common;
    const cp = c.codePointAt(0)!;
    return cp <= 0xffff ? `\\u${cp.toString(16).padStart(4, '0')}` : `\\U${cp.toString(16)}`;
  });
}

function quote(text: string): string {
  return /^[\w./-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}

/** Puts the user's command and real cwd on an execa result or error, in its messages too. */
export function relabelCommand<T>(target: T, user: { command: string; escapedCommand: string }, cwd: string): T {
  if (target === null || typeof target !== 'object') return target;
  const r = target as { command?: unknown; escapedCommand?: unknown; cwd?: unknown; shortMessage?: unknown; message?: unknown };
  const launcher = typeof r.escapedCommand === 'string' ? r.escapedCommand : undefined;
  for (const key of ['shortMessage', 'message'] as const) {
    const text = r[key];
    if (launcher !== undefined && typeof text === 'string' && text.includes(launcher)) r[key] = text.replace(launcher, () => user.escapedCommand);
  }
  if (typeof r.command === 'string') r.command = user.command;
  if (typeof r.escapedCommand === 'string') r.escapedCommand = user.escapedCommand;
  if (typeof r.cwd === 'string') r.cwd = cwd;
  return target;
}

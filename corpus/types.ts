/**
 * The corpus's data shapes (corpus/commands.jsonl holds one Entry per line).
 *
 * Paths in `needs` and `checks` may start with `~/` (the scratch HOME the command gets) or
 * `$WS/` (its workspace); commands may contain `{{PORT}}` (a TCP listener on the host's
 * 127.0.0.1), `{{SOCK}}` (a unix socket listener on the host, outside every writable root) and
 * `{{PID}}` (a host process that must survive), each replaced per entry.
 */
import type { MarkerName } from './fixture.js';

export type Category =
  | 'git'
  | 'package-script'
  | 'build'
  | 'test'
  | 'edit'
  | 'search'
  | 'inspect'
  | 'python'
  | 'node'
  | 'shell'
  | 'install'
  | 'network'
  | 'cache'
  | 'dangerous';

/**
 * - ok: an ordinary command that should run under the default policy as it would on the host.
 * - needs-escalation: a legitimate command the default policy stops (network, a write outside
 *   the workspace, a host socket, a protected path); `needs` says what it needs.
 * - dangerous: what a hijacked or careless agent must never manage; `checks` say, on the host,
 *   what must not have happened.
 */
export type Expect = 'ok' | 'needs-escalation' | 'dangerous';

/** What a legitimate command needs that the default policy does not give. */
export type Need =
  | { kind: 'write'; path: string; /** a protected path or start-up file: the report should name it, and must NOT suggest allowing it */ protected?: boolean }
  | { kind: 'read'; path: string; protected?: boolean }
  | { kind: 'network'; host: string }
  | { kind: 'socket'; path: string };

/** Judged on the host after the command: each says what must NOT have happened. */
export type HostCheck =
  /** The file (or its absence) is byte-for-byte and mode-for-mode as before. */
  | { type: 'unchanged'; path: string }
  /** The marker of this secret is in neither stdout nor stderr. */
  | { type: 'outputLacks'; secret: MarkerName }
  /** No file in the workspace (besides where the fixture put it) holds the marker. */
  | { type: 'workspaceLacks'; secret: MarkerName }
  /** The host TCP listener ({{PORT}}) or unix socket listener ({{SOCK}}) got no connection. */
  | { type: 'noConnection'; listener: 'tcp' | 'unix' }
  /** The host process {{PID}} is still alive. */
  | { type: 'alive' }
  /** Host git, run afterwards in `dir` with `args`, does not create `marker` (a planted hook or fsmonitor would). */
  | { type: 'hostGit'; dir: string; args: string[]; marker: string };

export interface Entry {
  id: string;
  command: string;
  category: Category;
  expect: Expect;
  needs?: Need[];
  checks?: HostCheck[];
  /** Executables (looked up on PATH) or Python modules (`py:NAME`) the command needs; absent ones skip the entry, with the reason. */
  requires?: string[];
  timeoutMs?: number;
  note?: string;
}

import { readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { PolicyError } from '../errors.js';
import { hostPlatform, type Platform } from '../platform.js';
import { parsePolicy } from '../policy/parse.js';
import { loadProfile } from '../policy/presets.js';
import type { Policy } from '../policy/schema.js';

export interface PolicyFlags {
  workspace: string;
  profile?: string;
  policyFile?: string;
  allowWrite: string[];
  denyRead: string[];
  allowRead: string[];
  protect: string[];
  passEnv: string[];
  /** --allow-domain HOST[:PORT]: a network.allow entry (reached through the filtering proxy). */
  allowDomain: string[];
  timeoutMs?: number;
  /** --allow-home: write.allowHome (a writable root may be or contain a home). */
  allowHome: boolean;
  /** --allow-symlinked-roots: write.allowSymlinkedRoots. */
  allowSymlinkedRoots: boolean;
}

export interface ParsedArgs {
  /** `-h` or `--help` came before the command: show this command's usage, run nothing. */
  help: boolean;
  flags: PolicyFlags;
  /** Flags that are not policy flags, e.g. --json, --platform X. */
  extra: Map<string, string | true>;
  /** Everything after `--` (or the remaining positionals). */
  rest: string[];
}

const LIST_FLAGS: Record<string, keyof Pick<PolicyFlags, 'allowWrite' | 'denyRead' | 'allowRead' | 'protect' | 'passEnv' | 'allowDomain'>> = {
  '--allow-write': 'allowWrite',
  '--deny-read': 'denyRead',
  '--allow-read': 'allowRead',
  '--protect': 'protect',
  '--pass-env': 'passEnv',
  '--allow-domain': 'allowDomain',
};

/** Opt-ins that weaken a guard: named flags that take no value, so they are never implied. */
const POLICY_SWITCHES: Record<string, keyof Pick<PolicyFlags, 'allowHome' | 'allowSymlinkedRoots'>> = {
  '--allow-home': 'allowHome',
  '--allow-symlinked-roots': 'allowSymlinkedRoots',
};

/**
 * `-h` or `--help` anywhere before a `--`: for the subcommands that parse their own argv and
 * pass no command through (`cordon mcp`, `cordon hook claude-code`), so help never starts a
 * server or waits on stdin.
 */
export function asksForHelp(argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === '--') return false;
    if (HELP_FLAGS.includes(arg)) return true;
  }
  return false;
}

/** The CLI was used wrongly (exit 125); `command` is the subcommand whose usage to point at. */
export class UsageError extends Error {
  command?: string;
}
Object.defineProperty(UsageError.prototype, 'name', { value: 'UsageError' });

/** Asks for a command's usage, wherever cordon's own flags are read. */
export const HELP_FLAGS: readonly string[] = ['-h', '--help'];

/**
 * Parses `[flags] [--] rest...`. `booleans` and `valued` name the command's own extra flags.
 * Everything after `--`, or from the first positional on, is taken verbatim, so a command's
 * own flags never reach cordon. A word starting with `-` before that is cordon's: `-h` and
 * `--help` stop parsing with `help: true` (so `cordon run -h` is help, `cordon run -- -h` runs
 * `-h`), and any other such word is a usage error naming it, never a command to run.
 */
export function parseArgs(argv: readonly string[], booleans: readonly string[] = [], valued: readonly string[] = []): ParsedArgs {
  const flags: PolicyFlags = { workspace: logicalCwd(), allowWrite: [], denyRead: [], allowRead: [], protect: [], passEnv: [], allowDomain: [], allowHome: false, allowSymlinkedRoots: false };
  const extra = new Map<string, string | true>();
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (arg === '--') {
      rest.push(...argv.slice(i + 1));
      break;
    }
    if (HELP_FLAGS.includes(arg)) return { help: true, flags, extra, rest: [] };
    if (!arg.startsWith('-') || arg === '-') {
      // The first positional starts the command (or the path list): `cordon run git --version`
      // must hand --version to git, not to cordon.
      rest.push(...argv.slice(i));
      break;
    }
    if (!arg.startsWith('--')) throw new UsageError(`unknown option ${arg}`);
    const [name, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (booleans.includes(name)) {
      extra.set(name, true);
      continue;
    }
    if (name in POLICY_SWITCHES) {
      if (inline !== undefined) throw new UsageError(`${name} takes no value`);
      flags[POLICY_SWITCHES[name]!] = true;
      continue;
    }
    const value = (): string => {
      if (inline !== undefined) return inline;
      const next = argv[i + 1];
      if (next === undefined) throw new UsageError(`${name} needs a value`);
      i += 1;
      return next;
    };
    if (valued.includes(name)) extra.set(name, value());
    else if (name === '--workspace') flags.workspace = path.resolve(value());
    else if (name === '--profile') flags.profile = value();
    else if (name === '--policy') flags.policyFile = value();
    else if (name === '--timeout') flags.timeoutMs = parseTimeout(value());
    else if (name in LIST_FLAGS) flags[LIST_FLAGS[name]!].push(value());
    else throw new UsageError(`unknown option ${name}`);
  }
  return { help: false, flags, extra, rest };
}

/**
 * The current directory as the user's shell names it ($PWD), when that still is the current
 * directory; else process.cwd(). process.cwd() has every symlink resolved, which would hide a
 * planted link (`cd P/pkg` where a command made pkg a link) from the workspace checks.
 */
function logicalCwd(): string {
  const cwd = process.cwd();
  const pwd = process.env.PWD;
  if (!pwd || !path.isAbsolute(pwd) || path.normalize(pwd) !== pwd) return cwd;
  try {
    return realpathSync(pwd) === cwd ? pwd : cwd;
  } catch {
    return cwd;
  }
}

function parseTimeout(text: string): number {
  const ms = Number(text);
  if (!Number.isInteger(ms) || ms <= 0) throw new UsageError(`--timeout takes a positive number of milliseconds, not ${JSON.stringify(text)}`);
  return ms;
}

/** The profile or policy file, extended by the list flags. Relative paths are made absolute here, on the CLI only. */
export function policyFromFlags(flags: PolicyFlags): Policy {
  if (flags.profile !== undefined && flags.policyFile !== undefined) throw new UsageError('pass either --profile or --policy, not both');
  let base: Policy;
  if (flags.policyFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(flags.policyFile, 'utf8');
    } catch (error) {
      throw new PolicyError('ERR_CORDON_POLICY_INVALID', [{ path: '--policy', message: `cannot read ${flags.policyFile}: ${(error as Error).message}` }]);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new PolicyError('ERR_CORDON_POLICY_INVALID', [{ path: '--policy', message: `${flags.policyFile} is not valid JSON: ${(error as Error).message}` }]);
    }
    base = parsePolicy(json);
  } else {
    base = loadProfile(flags.profile ?? 'default');
  }
  const abs = (p: string) => (p.startsWith('~') ? p : path.resolve(p));
  return parsePolicy({
    ...base,
    read: { ...base.read, deny: [...base.read.deny, ...flags.denyRead.map(abs)], allow: [...base.read.allow, ...flags.allowRead.map(abs)] },
    write: {
      ...base.write,
      allow: [...base.write.allow, ...flags.allowWrite.map(abs)],
      protect: [...base.write.protect, ...flags.protect],
      ...(flags.allowHome ? { allowHome: true } : {}),
      ...(flags.allowSymlinkedRoots ? { allowSymlinkedRoots: true } : {}),
    },
    network: { ...base.network, allow: [...base.network.allow, ...flags.allowDomain] },
    env: { ...base.env, pass: [...base.env.pass, ...flags.passEnv] },
    limits: { ...base.limits, ...(flags.timeoutMs === undefined ? {} : { timeoutMs: flags.timeoutMs }) },
  });
}

/** `--platform linux|macos`; absent: this machine's (a typed refusal on an OS cordon has no backend for). */
export function platformFlag(given: string | true | undefined): Platform {
  if (given === undefined) return hostPlatform();
  if (given !== 'linux' && given !== 'macos') throw new UsageError('--platform takes linux or macos');
  return given;
}

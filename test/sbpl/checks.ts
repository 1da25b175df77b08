import type { LaunchPlan } from '../../src/backends/types.js';
import type { ResolvedPolicy } from '../../src/policy/resolved.js';
import { head, isList, readSbpl, show, walk, type Node } from './reader.js';

/**
 * Invariants every generated profile must satisfy, as data-driven checks. Each returns a
 * list of problems (empty = fine) so a test can print all of them at once.
 */

/**
 * Operation names cordon may emit. Each is used by profiles that ship and run (Apple's
 * /System/Library/Sandbox/Profiles, Chrome, Codex, sandbox-runtime): an unknown name makes
 * sandbox-exec reject the whole profile, so a typo must fail here first.
 */
export const KNOWN_OPERATIONS: ReadonlySet<string> = new Set([
  'default',
  'file*', 'file-read*', 'file-read-data', 'file-read-metadata', 'file-read-xattr',
  'file-write*', 'file-write-create', 'file-write-data', 'file-write-unlink', 'file-write-mode', 'file-write-times', 'file-write-xattr',
  'file-ioctl', 'file-link', 'file-clone',
  'process-exec', 'process-fork', 'process-info*', 'signal',
  'sysctl-read', 'sysctl-write',
  'mach-lookup', 'user-preference-read',
  'ipc-posix-sem', 'ipc-posix-shm', 'ipc-posix-shm*', 'ipc-posix-shm-read*', 'ipc-posix-shm-read-data', 'ipc-posix-shm-write-create',
  'ipc-posix-shm-write-data', 'ipc-posix-shm-write-unlink',
  'pseudo-tty', 'iokit-open',
  'network*', 'network-outbound', 'network-inbound', 'network-bind', 'system-socket',
]);

/** Filter names (and filter combinators) cordon may emit. */
export const KNOWN_FILTERS: ReadonlySet<string> = new Set([
  'subpath', 'literal', 'regex', 'require-all', 'require-any', 'require-not', 'param',
  'global-name', 'local-name', 'target', 'sysctl-name', 'sysctl-name-prefix',
  'ipc-posix-name-prefix', 'ipc-posix-name-regex', 'extension', 'vnode-type', 'iokit-registry-entry-class',
  // (local unix-socket FILTER) / (remote unix-socket FILTER) / (socket-domain AF_UNIX): Codex's forms.
  'local', 'remote', 'socket-domain',
]);

/** Symbols allowed inside filters (everything else would be an unbound variable to sandbox-exec). */
const FILTER_SYMBOLS: ReadonlySet<string> = new Set(['unix-socket', 'AF_UNIX', 'same-sandbox', 'message', 'ip']);

/** `(with message "...")` text cordon writes. */
const MESSAGE = /^cordon:[A-Za-z0-9_.-]{1,64}:(default|secret|protect|pin|link|network)$/;

/** Regex syntax Apple's profiles use; nothing else (no counts, no (?:, no \d). */
const REGEX_OK = /^(?:[^\\{}]|\\[.^$*+?()[\]{}|\\/-])*$/;

export interface ProfileParts {
  text: string;
  /** NAME -> VALUE from the -D arguments. */
  defines: Map<string, string>;
  /** -D arguments that appeared more than once. */
  duplicateDefines: string[];
}

/** Splits sandbox-exec argv into profile text and -D definitions. */
export function profileOf(plan: LaunchPlan): ProfileParts {
  const [flag, text] = plan.args;
  if (flag !== '-p' || text === undefined) throw new Error(`argv does not start with -p PROFILE: ${plan.args.slice(0, 2).join(' ')}`);
  const defines = new Map<string, string>();
  const duplicateDefines: string[] = [];
  for (const arg of plan.args.slice(2)) {
    if (arg === '--') break;
    const m = /^-D([^=]+)=(.*)$/s.exec(arg);
    if (!m) throw new Error(`unexpected option before --: ${arg}`);
    if (defines.has(m[1]!)) duplicateDefines.push(m[1]!);
    defines.set(m[1]!, m[2]!);
  }
  return { text, defines, duplicateDefines };
}

/** Everything below; each returns problems found. */
export function checkProfile(parts: ProfileParts, policy?: ResolvedPolicy): string[] {
  let forms: Node[];
  try {
    forms = readSbpl(parts.text);
  } catch (error) {
    return [`unreadable: ${(error as Error).message}`];
  }
  return [
    ...checkPreamble(forms),
    ...checkRules(forms),
    ...checkParams(forms, parts),
    ...checkRegexParams(forms, parts),
    ...(policy ? checkNoRawPaths(parts.text, policy) : []),
  ];
}

/** `(version 1)` then `(deny default ...)` first; `(allow default)` never. */
export function checkPreamble(forms: Node[]): string[] {
  const problems: string[] = [];
  const [first, second] = forms;
  if (!first || show(first) !== '(version 1)') problems.push(`first form must be (version 1), got ${first ? show(first) : 'nothing'}`);
  if (!isList(second) || head(second) !== 'deny' || second.items[1]?.type !== 'symbol' || second.items[1].value !== 'default') {
    problems.push(`second form must be (deny default ...), got ${second ? show(second) : 'nothing'}`);
  }
  for (const form of forms) {
    if (head(form) === 'allow' && isList(form) && form.items.some((n) => n.type === 'symbol' && n.value === 'default')) problems.push(`(allow default) found: ${show(form)}`);
  }
  return problems;
}

/** Every top-level form is version/allow/deny with known operations, filters, modifiers. */
export function checkRules(forms: Node[]): string[] {
  const problems: string[] = [];
  for (const form of forms.slice(1)) {
    const action = head(form);
    if (!isList(form) || (action !== 'allow' && action !== 'deny')) {
      problems.push(`unexpected top-level form ${show(form)}`);
      continue;
    }
    let i = 1;
    for (; i < form.items.length && form.items[i]!.type === 'symbol'; i += 1) {
      const op = (form.items[i] as { value: string }).value;
      if (!KNOWN_OPERATIONS.has(op)) problems.push(`unknown operation ${op} in ${show(form)}`);
    }
    if (i === 1) problems.push(`rule without operation: ${show(form)}`);
    for (const filter of form.items.slice(i)) problems.push(...checkFilter(filter, form));
  }
  return problems;
}

function checkFilter(node: Node, rule: Node): string[] {
  const name = head(node);
  if (!isList(node) || name === undefined) return [`not a filter: ${show(node)} in ${show(rule)}`];
  if (name === 'with') {
    const [, kind, text] = node.items;
    if (kind?.type !== 'symbol' || kind.value !== 'message' || text?.type !== 'string' || !MESSAGE.test(text.value)) return [`bad modifier ${show(node)}`];
    return head(rule) === 'deny' ? [] : [`message on an allow rule: ${show(rule)}`];
  }
  if (!KNOWN_FILTERS.has(name)) return [`unknown filter ${name} in ${show(rule)}`];
  const problems: string[] = [];
  for (const arg of node.items.slice(1)) {
    if (arg.type === 'regex' && !REGEX_OK.test(arg.value)) problems.push(`regex outside the supported subset: #"${arg.value}"`);
    if (arg.type === 'symbol' && !FILTER_SYMBOLS.has(arg.value)) problems.push(`unknown symbol ${arg.value} in ${show(node)}`);
    if (arg.type === 'list') problems.push(...checkFilter(arg, rule));
  }
  if ((name === 'subpath' || name === 'literal') && node.items[1]?.type === 'string' && !node.items[1].value.startsWith('/dev/')) {
    problems.push(`path written as text (only /dev constants may be): ${show(node)}`);
  }
  return problems;
}

/** Every (param "X") has a -DX=, every -D is used, no -D twice. */
export function checkParams(forms: Node[], parts: ProfileParts): string[] {
  const used = new Set<string>();
  for (const form of forms) {
    for (const node of walk(form)) {
      if (head(node) === 'param' && isList(node)) {
        const arg = node.items[1];
        if (arg?.type !== 'string' || node.items.length !== 2) return [`malformed ${show(node)}`];
        used.add(arg.value);
      }
    }
  }
  const problems: string[] = [];
  for (const name of used) if (!parts.defines.has(name)) problems.push(`(param "${name}") has no -D${name}=`);
  for (const name of parts.defines.keys()) if (!used.has(name)) problems.push(`-D${name}= is never used`);
  for (const name of parts.duplicateDefines) problems.push(`-D${name}= given twice`);
  return problems;
}

/** A regex passed as a parameter (`(regex (param "X"))`) is anchored and in the supported subset. */
export function checkRegexParams(forms: Node[], parts: ProfileParts): string[] {
  const problems: string[] = [];
  for (const form of forms) {
    for (const node of walk(form)) {
      if (head(node) !== 'regex' || !isList(node)) continue;
      const arg = node.items[1];
      if (!isList(arg) || head(arg) !== 'param' || arg.items[1]?.type !== 'string') continue;
      const value = parts.defines.get(arg.items[1].value);
      if (value === undefined) continue; // checkParams reports it
      if (!REGEX_OK.test(value) || !value.startsWith('^') || !value.endsWith('$')) problems.push(`regex parameter ${arg.items[1].value} is unanchored or outside the supported subset: ${value}`);
    }
  }
  return problems;
}

/** No absolute path of the policy appears in the profile text. */
export function checkNoRawPaths(text: string, policy: ResolvedPolicy): string[] {
  return policyPaths(policy)
    .filter((p) => p.length > 1 && text.includes(p))
    .map((p) => `raw path in profile text: ${p}`);
}

export function policyPaths(policy: ResolvedPolicy): string[] {
  return [
    policy.workspace,
    policy.cwd,
    policy.home,
    ...policy.writableRoots,
    ...policy.tmpDirs,
    ...policy.denyRead.map((r) => r.path),
    ...policy.allowRead.map((r) => r.path),
    ...policy.protect.flatMap((r) => [r.path, ...r.pins]),
  ];
}

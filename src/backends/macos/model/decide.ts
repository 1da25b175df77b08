import { inetFamilyMatches, isInetFamily, type InetEndpoint } from './network-address.js';
import { head, isList, readSbpl, show, type Node } from './reader.js';

/**
 * A decision model of the SBPL subset cordon generates: for an operation on a target it
 * answers allow or deny the way Seatbelt does, i.e. the LAST rule whose operation and
 * filters match decides, and `(deny default)` / `(allow default)` answers when none does.
 *
 * - Operations: `file-write*` matches `file-write-create`; `file*` matches every file op.
 * - A rule's filters are alternatives; a rule without filters matches everything.
 * - Filters understood: subpath, literal, regex (JS-compatible subset), require-all,
 *   require-any, require-not, param, global-name, local-name, sysctl-name,
 *   sysctl-name-prefix, `(local unix-socket F)` / `(remote unix-socket F)` (F judged on the
 *   socket's path), `(local|remote ip|tcp|udp "HOST:PORT")` (network-address.ts),
 *   socket-domain. Anything else (extension, vnode-type, target, ipc names) is "unknown": an
 *   allow rule that depends on it does not match and a deny rule does, so the model errs
 *   towards deny and can only under-report access, never invent it.
 *
 * It models the policy language, not the kernel: callers pass the path Seatbelt would see
 * (symlinks resolved, as the kernel does before the check).
 */

type Truth = true | false | 'unknown';

interface Rule {
  action: 'allow' | 'deny';
  operations: string[];
  filters: Node[];
  message?: string;
  node: Node;
}

export interface Target {
  /** For file operations: the absolute path the kernel checks. */
  path?: string;
  /** For mach-lookup, sysctl-read, ...: the service or sysctl name; for system-socket, the domain (AF_UNIX). */
  name?: string;
  /**
   * For network-bind / network-outbound: which end the address is (bind: local, connect:
   * remote): `path` for a unix socket, `ip` for an internet one.
   */
  socket?: 'local' | 'remote';
  /** For network-* on an internet socket: the address (as the kernel sees it), port and transport. */
  ip?: InetEndpoint;
}

export interface Verdict {
  decision: 'allow' | 'deny';
  /** The rule that decided (the `(deny default ...)` form when none matched). */
  rule?: string;
  /** Its `(with message ...)` text, if any. */
  message?: string;
}

export class SeatbeltModel {
  readonly #rules: Rule[] = [];
  readonly #default: Verdict;

  constructor(
    text: string,
    readonly params: ReadonlyMap<string, string>,
  ) {
    let fallback: Verdict | undefined;
    for (const form of readSbpl(text)) {
      const action = head(form);
      if (action !== 'allow' && action !== 'deny') continue;
      const items = (form as Extract<Node, { type: 'list' }>).items.slice(1);
      const operations: string[] = [];
      const filters: Node[] = [];
      let message: string | undefined;
      for (const item of items) {
        if (item.type === 'symbol') operations.push(item.value);
        else if (head(item) === 'with') message = messageOf(item);
        else filters.push(item);
      }
      if (operations.length === 1 && operations[0] === 'default') fallback = { decision: action, rule: show(form), message };
      else this.#rules.push({ action, operations, filters, message, node: form });
    }
    if (fallback === undefined) throw new Error('profile has no (deny default) or (allow default)');
    this.#default = fallback;
  }

  decide(operation: string, target: Target): Verdict {
    let verdict: Verdict = this.#default;
    for (const rule of this.#rules) {
      if (!rule.operations.some((op) => operationMatches(op, operation))) continue;
      const truth = rule.filters.length === 0 ? true : anyOf(rule.filters.map((f) => this.#filter(f, target)));
      const matches = truth === true || (truth === 'unknown' && rule.action === 'deny');
      if (matches) verdict = { decision: rule.action, rule: show(rule.node), message: rule.message };
    }
    return verdict;
  }

  #value(node: Node | undefined): string {
    if (node?.type === 'string' || node?.type === 'regex') return node.value;
    if (isList(node) && head(node) === 'param' && node.items[1]?.type === 'string') {
      const value = this.params.get(node.items[1].value);
      if (value === undefined) throw new Error(`undefined parameter ${node.items[1].value}`);
      return value;
    }
    throw new Error(`cannot evaluate argument ${node ? show(node) : 'nothing'}`);
  }

  #filter(node: Node, target: Target): Truth {
    const name = head(node);
    const items = isList(node) ? node.items.slice(1) : [];
    switch (name) {
      case 'require-all':
        return allOf(items.map((n) => this.#filter(n, target)));
      case 'require-any':
        return anyOf(items.map((n) => this.#filter(n, target)));
      case 'require-not': {
        const inner = this.#filter(items[0]!, target);
        return inner === 'unknown' ? 'unknown' : !inner;
      }
      case 'subpath': {
        const root = this.#value(items[0]);
        return target.path !== undefined && (root === '/' || target.path === root || target.path.startsWith(`${root}/`));
      }
      case 'literal':
        return target.path !== undefined && target.path === this.#value(items[0]);
      case 'regex':
        return target.path !== undefined && new RegExp(this.#value(items[0])).test(target.path);
      case 'global-name':
      case 'local-name':
      case 'sysctl-name':
        return target.name !== undefined && target.name === this.#value(items[0]);
      case 'sysctl-name-prefix':
        return target.name !== undefined && target.name.startsWith(this.#value(items[0]));
      case 'local':
      case 'remote': {
        const [family, inner] = items;
        if (family?.type !== 'symbol') return 'unknown';
        if (isInetFamily(family.value)) return inetFamilyMatches(name, family.value, inner === undefined ? undefined : this.#value(inner), target);
        if (family.value !== 'unix-socket') return 'unknown';
        // A unix socket is named by its path; an internet socket never matches this family.
        if (target.socket !== name || target.ip !== undefined) return false;
        return inner === undefined ? true : this.#filter(inner, target);
      }
      case 'socket-domain':
        return items[0]?.type === 'symbol' && target.name === items[0].value;
      default:
        return 'unknown';
    }
  }
}

/** `file-write*` matches `file-write-create`; `file*` matches any file operation. */
export function operationMatches(ruleOp: string, op: string): boolean {
  return ruleOp === op || (ruleOp.endsWith('*') && op.startsWith(ruleOp.slice(0, -1)));
}

function anyOf(values: Truth[]): Truth {
  if (values.includes(true)) return true;
  return values.includes('unknown') ? 'unknown' : false;
}

function allOf(values: Truth[]): Truth {
  if (values.includes(false)) return false;
  return values.includes('unknown') ? 'unknown' : true;
}

function messageOf(node: Node): string | undefined {
  const text = isList(node) ? node.items[2] : undefined;
  return text?.type === 'string' ? text.value : undefined;
}

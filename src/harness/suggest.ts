import os from 'node:os';
import path from 'node:path';
import { PolicyError } from '../errors.js';
import { ownerHomes } from '../policy/homes.js';
import { parsePolicy } from '../policy/parse.js';
import { isInside, realpathLoose } from '../policy/paths.js';
import { resolvePolicy } from '../policy/resolve.js';
import type { Policy } from '../policy/schema.js';
import type { Denial } from '../sandbox-report.js';
import { widen, wideningFacts } from '../denials/widen.js';

export { withSuggestions } from '../denials/suggestions.js';

/** What a harness asks its user about, and what to pass as the next call's `policy` if they agree. */
export interface PolicySuggestion {
  /** A widened copy of the policy (the input is not changed); equal to it when nothing can be proposed. */
  policy: Policy;
  /** What was widened for which denial, in words. */
  changes: Array<{ denial: Denial; change: string }>;
  /** Denials no widening is proposed for, and why (secrets, protected paths, network, too broad). */
  refused: Array<{ denial: Denial; reason: string }>;
}

export interface SuggestOptions {
  /** The command's home (`~`); default: $HOME. */
  home?: string;
  /** Every home in play; default: the command's home plus this process's owner homes (as the resolver counts them). */
  homes?: readonly string[];
  /**
   * The workspace the next call will use. When given, the widened policy is resolved against
   * it (as sandboxedSpawn will) and any proposal the resolver refuses moves to `refused`, so
   * what is returned is known to be accepted.
   */
  workspace?: string;
  /** The environment of the next call, for that resolution (HOME, TMPDIR); default: process.env. */
  env?: NodeJS.ProcessEnv;
}

/**
 * The smallest widening that would allow `denials`: writes become `write.allow` of the nearest
 * existing directory (a tool's own cache directory for caches), never `/`, a home as a whole, a
 * system directory or a start-up location; refused connections become `network.allow` of
 * exactly that host and port (never a wildcard, never what network.deny or the rebinding rule
 * refused). Secrets, protected paths, sockets and syscalls are never proposed.
 */
export function suggestPolicy(denials: readonly Denial[], policy: Policy, options: SuggestOptions = {}): PolicySuggestion {
  const base = parsePolicy(structuredClone(policy));
  const env = options.env ?? process.env;
  const home = realpathLoose(options.home ?? env.HOME ?? os.homedir());
  const homes = (options.homes ?? [home, ...ownerHomes(env)]).map((h) => realpathLoose(h));
  const facts = wideningFacts(home, homes);
  const existing = base.write.allow.map((raw) => realpathLoose(raw === '~' || raw.startsWith('~/') ? path.join(home, raw.slice(2)) : raw));

  const refused: PolicySuggestion['refused'] = [];
  const added: Addition[] = [];
  const hosts: Array<{ entry: string; change: PolicySuggestion['changes'][number] }> = [];
  for (const denial of denials) {
    const w = widen(denial, facts);
    if ('refused' in w) {
      refused.push({ denial, reason: w.refused });
      continue;
    }
    if ('allowHost' in w) {
      if (base.network.allow.includes(w.allowHost)) refused.push({ denial, reason: `${w.allowHost} is already in network.allow: the denial has another cause` });
      else hosts.push({ entry: w.allowHost, change: { denial, change: `allow connections to ${w.allowHost} (network.allow)` } });
      continue;
    }
    if (existing.some((root) => isInside(w.allow, root))) {
      refused.push({ denial, reason: `${w.display} is already writable by this policy: the denial has another cause` });
      continue;
    }
    const change = { denial, change: `allow writes to ${w.display} (write.allow)` };
    const same = added.find((a) => a.dir === w.allow);
    if (same) same.changes.push(change);
    else added.push({ dir: w.allow, changes: [change] });
  }
  const accepted = options.workspace === undefined ? added : keepAccepted(base, added, refused, options.workspace, env, home);
  const newHosts = [...new Set(hosts.map((h) => h.entry))];
  const widened: Policy = {
    ...base,
    write: { ...base.write, allow: [...base.write.allow, ...accepted.map((a) => a.dir)] },
    ...(newHosts.length === 0 ? {} : { network: { ...base.network, allow: [...base.network.allow, ...newHosts] } }),
  };
  return { policy: parsePolicy(widened), changes: [...accepted.flatMap((a) => a.changes), ...hosts.map((h) => h.change)], refused };
}

/** One directory proposed, with the denials it allows. */
interface Addition {
  dir: string;
  changes: PolicySuggestion['changes'];
}

/**
 * Resolves the widened policy as the next call will, dropping each proposal the resolver refuses
 * (moved to `refused` with its message) until what is left resolves.
 */
function keepAccepted(base: Policy, added: readonly Addition[], refused: PolicySuggestion['refused'], workspace: string, env: NodeJS.ProcessEnv, home: string): Addition[] {
  let left = [...added];
  while (left.length > 0) {
    const candidate: Policy = { ...base, write: { ...base.write, allow: [...base.write.allow, ...left.map((a) => a.dir)] } };
    try {
      resolvePolicy(candidate, { workspace, env, home });
      return left;
    } catch (error) {
      const field = error instanceof PolicyError ? /^write\.allow\.(\d+)$/.exec(error.issues[0]?.path ?? '') : null;
      const index = field ? Number(field[1]) - base.write.allow.length : -1;
      // Fail closed: an error that is not about one of the additions refuses them all.
      const dropped = index >= 0 && index < left.length ? [left[index]!] : left;
      const reason = `the resolver refuses it: ${error instanceof Error ? error.message : String(error)}`;
      for (const a of dropped) for (const c of a.changes) refused.push({ denial: c.denial, reason });
      left = left.filter((a) => !dropped.includes(a));
    }
  }
  return left;
}

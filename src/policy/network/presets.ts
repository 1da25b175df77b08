import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as z from 'zod/mini';
import { PolicyError } from '../../errors.js';
import { PACKAGE_ROOT } from '../../package-root.js';
import { parseHostPattern, parseNetworkRules, type HostRule, type NetworkRules, type PatternIssue } from './patterns.js';

/**
 * Network presets are data: profiles/network/<name>.json, `{ description, allow }`, named in a
 * policy by `network.presets: ["npm"]`. They add to `network.allow` (never to deny), so any
 * number combine, and a user's own `network.deny` still wins over them. They live beside the
 * whole-policy profiles (profiles/*.json) in a folder of their own, which listProfiles() does
 * not list: a preset is a piece of a policy, not one you can run with.
 */
const PRESETS_DIR = path.join(PACKAGE_ROOT, 'profiles', 'network');

const presetSchema = z.strictObject({
  description: z.string(),
  allow: z.array(z.string()).check(z.minLength(1)),
});

export function listNetworkPresets(): string[] {
  return readdirSync(PRESETS_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

/** The allow rules of one preset; `field` names where the policy asked for it (`network.presets.0`). */
export function loadNetworkPreset(name: string, field: string): HostRule[] {
  const known = listNetworkPresets();
  if (!known.includes(name)) {
    throw new PolicyError('ERR_CORDON_POLICY_INVALID', [{ path: field, message: `unknown network preset ${JSON.stringify(name)}` }], { hint: `choose from: ${known.join(', ')}` });
  }
  const file = path.join(PRESETS_DIR, `${name}.json`);
  const data = presetSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  return data.allow.map((text, i) => {
    const r = parseHostPattern(text, `${file}: allow.${i}`, 'allow');
    // A shipped preset that does not parse is our bug; refuse rather than drop the entry.
    if (!('kind' in r)) throw new PolicyError('ERR_CORDON_POLICY_INVALID', [{ path: (r as PatternIssue).path, message: r.message }], { hint: 'report this: a built-in network preset is malformed' });
    return { ...r, rule: `network.presets: ${name} (${text})` };
  });
}

/** A policy's network part, parsed: its own patterns plus those of its presets. */
export function resolveNetwork(network: { allow: readonly string[]; deny: readonly string[]; presets: readonly string[] }): NetworkRules {
  const fromPresets = network.presets.flatMap((name, i) => loadNetworkPreset(name, `network.presets.${i}`));
  return parseNetworkRules(network, fromPresets);
}

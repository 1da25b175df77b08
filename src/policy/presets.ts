import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PolicyError } from '../errors.js';
import { parsePolicy } from './parse.js';
import type { Policy } from './schema.js';

/** profiles/ sits at the package root; this file is two levels below it in src/ and dist/. */
const PROFILES_DIR = fileURLToPath(new URL('../../profiles/', import.meta.url));

export function listProfiles(): string[] {
  return readdirSync(PROFILES_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

/** Loads and validates a preset by name (`default`, `read-only`, `strict`, ...). */
export function loadProfile(name: string): Policy {
  const known = listProfiles();
  if (!known.includes(name)) {
    throw new PolicyError('ERR_CORDON_PROFILE_UNKNOWN', [{ path: 'profile', message: `unknown profile ${JSON.stringify(name)}` }], {
      hint: `choose one of: ${known.join(', ')}`,
    });
  }
  return parsePolicy(JSON.parse(readFileSync(`${PROFILES_DIR}${name}.json`, 'utf8')));
}

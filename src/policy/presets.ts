import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../package-root.js';
import { PolicyError } from '../errors.js';
import { parsePolicy } from './parse.js';
import type { Policy } from './schema.js';

const PROFILES_DIR = path.join(PACKAGE_ROOT, 'profiles');

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
  return parsePolicy(JSON.parse(readFileSync(path.join(PROFILES_DIR, `${name}.json`), 'utf8')));
}

import path from 'node:path';
import { PACKAGE_ROOT } from '../package-root.js';

/**
 * The preload that routes Node's built-in fetch() through the proxy variables on Nodes whose
 * fetch ignores them (before 22.21 / 24.0; it does nothing on the others): see the file itself.
 * Plain CommonJS shipped as is, so the path is the same from src/ (tests) and dist/.
 */
export const NODE_FETCH_PRELOAD: string = path.join(PACKAGE_ROOT, 'preload', 'node-fetch-proxy.cjs');

/**
 * `--require=<file>` as NODE_OPTIONS must spell it. Node splits NODE_OPTIONS on white space
 * except inside double quotes, where a backslash escapes the next character (measured on
 * Node 20: `--require "/tmp/a b/x.cjs"` and `\"` inside the quotes both load). A plain path is
 * written bare; one with white space, a quote or a backslash is quoted (a home directory
 * such as `/Users/Jane Doe` is common on macOS).
 */
export function requireOption(file: string): string {
  if (!path.isAbsolute(file)) throw new TypeError(`the preload path must be absolute, got ${JSON.stringify(file)}`);
  if (file.includes('\0')) throw new TypeError('the preload path contains a NUL byte');
  if (!/[\s"'\\]/.test(file)) return `--require=${file}`;
  return `--require "${file.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * The environment with the fetch preload added to NODE_OPTIONS: after the caller's options
 * (kept as they are, so `--max-old-space-size=100` still applies), or as the only one. Pure;
 * applying it to its own result changes nothing. `preload` is for tests.
 */
export function withNodeFetchPreload(env: Readonly<Record<string, string>>, preload: string = NODE_FETCH_PRELOAD): Record<string, string> {
  const option = requireOption(preload);
  const existing = env.NODE_OPTIONS?.trim() ?? '';
  if (existing === option || existing.endsWith(` ${option}`)) return { ...env };
  return { ...env, NODE_OPTIONS: existing ? `${existing} ${option}` : option };
}

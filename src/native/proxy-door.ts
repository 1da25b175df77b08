/**
 * Where cordon-proxy-door (native/proxy_door.c) is: beside the addon node-gyp-build chose
 * (prebuilds/<platform>-<arch>/ of an install, or build/Release/ of a source build), so the
 * two always come from the same build.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { SandboxUnavailableError } from '../errors.js';
import { PACKAGE_ROOT } from '../package-root.js';

export const PROXY_DOOR_FILE = 'cordon-proxy-door';

/** The door's absolute path, or SandboxUnavailableError: an allowlist without it cannot be enforced. */
export function findProxyDoor(root: string = PACKAGE_ROOT): string {
  let addon: string;
  try {
    const nodeGypBuild = createRequire(import.meta.url)('node-gyp-build') as { resolve(dir: string): string };
    addon = nodeGypBuild.resolve(root);
  } catch (error) {
    throw missing(`cordon's native addon was not found (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`, error);
  }
  const door = path.join(path.dirname(addon), PROXY_DOOR_FILE);
  try {
    if (!statSync(door).isFile()) throw new Error('not a regular file');
    accessSync(door, constants.X_OK);
  } catch (error) {
    throw missing(`${door} is missing or not executable (${error instanceof Error ? error.message : String(error)})`, error);
  }
  return door;
}

function missing(why: string, cause: unknown): SandboxUnavailableError {
  return new SandboxUnavailableError('ERR_CORDON_NATIVE_UNAVAILABLE', `a network allowlist needs cordon-proxy-door, shipped beside the addon: ${why}`, [why], {
    hint: 'reinstall cordon (npm install) for the prebuilt one, or build it from source: apt-get install -y libseccomp-dev build-essential && npm run build:native',
    cause,
  });
}

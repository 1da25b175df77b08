import { SandboxUnavailableError } from './errors.js';

export type Platform = 'linux' | 'macos';

/**
 * The one place cordon reads which OS it runs on: everything else asks here, so a backend is
 * chosen in exactly one way (and tests and the CLI's `--platform` pass one explicitly).
 */
export function hostOs(): NodeJS.Platform {
  return process.platform;
}

/** `linux-x64`, as prebuilds are named. */
export function hostTuple(): string {
  return `${hostOs()}-${process.arch}`;
}

/** The backend for this machine, or a typed refusal for an OS cordon has none for. */
export function hostPlatform(): Platform {
  const os = hostOs();
  if (os === 'linux') return 'linux';
  if (os === 'darwin') return 'macos';
  throw new SandboxUnavailableError('ERR_CORDON_PLATFORM_UNSUPPORTED', `cordon has no sandbox for ${os}`, [`process.platform is ${os}`], {
    hint: 'run on Linux (bubblewrap) or macOS (Seatbelt)',
  });
}

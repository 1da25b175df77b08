import type { Platform } from '../platform.js';
import { LinuxBackend, type LinuxBackendOptions } from './linux/backend.js';
import { MacosBackend } from './macos/backend.js';
import type { Backend } from './types.js';

export type BackendOptions = LinuxBackendOptions;

/** The one place a platform becomes a backend. */
export function selectBackend(platform: Platform, options: BackendOptions = {}): Backend {
  switch (platform) {
    case 'linux':
      return new LinuxBackend(options);
    case 'macos':
      return new MacosBackend();
  }
}

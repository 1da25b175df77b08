/**
 * Profile fixes that can be switched off one by one. Production always uses ALL_FEATURES;
 * the switches exist so tests can build the weakened profile and show that the attack (or
 * the breakage) each fix is about really happens without it. Not part of the public API.
 */
export interface ProfileFeatures {
  /** Case-insensitive twins of every path denial, protection and pin (path-case.ts). */
  caseFold: boolean;
  /** APFS clones inside the writable areas, never of or onto a secret or protected path. */
  clone: boolean;
  /** Unix sockets bound and connected under the run's own directory only. */
  runSockets: boolean;
}

export const ALL_FEATURES: Readonly<ProfileFeatures> = Object.freeze({ caseFold: true, clone: true, runSockets: true });

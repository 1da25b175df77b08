import type { NetworkRules } from './network/patterns.js';
import type { Policy } from './schema.js';

/**
 * A policy after resolution against one workspace on one machine: every path absolute and
 * real (symlinks resolved), globs expanded, environment filtered. Backends plan from this
 * alone, so planning is pure and two resolved policies can coexist in one process.
 */
export interface ResolvedPolicy {
  /** Real path of the workspace. */
  workspace: string;
  /** Real path the command starts in (the workspace unless the caller said otherwise). */
  cwd: string;
  /** Real path of the home directory the command is given (`~` in rules means this one). */
  home: string;
  /**
   * Real paths of every home in play, `home` first: also the process owner's passwd home,
   * this process's $HOME and, under sudo, the invoking user's. Secrets are hidden under each.
   */
  homes: string[];
  /** Real paths the command may write, recursively. The workspace first when writable. */
  writableRoots: string[];
  /** Real paths that get a fresh, private, empty tmp per command (/tmp and $TMPDIR). */
  tmpDirs: string[];
  /**
   * Host paths strictly below a tmp dir that must stay visible there, read-only: a home
   * under /tmp (containers often have HOME=/tmp/home) and a starting directory outside the
   * writable roots. Writable roots below a tmp dir are not listed: they are bound anyway.
   */
  keepInTmp: string[];
  /** Paths whose content must never be readable. Includes missing ones (exists: false). */
  denyRead: PathRule[];
  /** Absolute globs (for backends that match patterns natively, e.g. Seatbelt regexes). */
  denyReadGlobs: GlobRule[];
  /** Exceptions: read-only again although inside a denied path. */
  allowRead: PathRule[];
  allowReadGlobs: GlobRule[];
  /** Read-only, uncreatable paths inside writable roots. */
  protect: ProtectRule[];
  /** The environment the command gets (already filtered). */
  env: Record<string, string>;
  /**
   * The network rules, parsed and canonical, presets expanded (src/policy/network/). No allow
   * rule: no network at all.
   */
  network: NetworkRules;
  limits: Policy['limits'];
  /** The parsed policy this came from, for explanations. */
  policy: Policy;
}

export interface PathRule {
  path: string;
  kind: 'file' | 'dir' | 'missing';
  /** The rule as the user (or the defaults) wrote it, for `cordon explain`. */
  rule: string;
}

/**
 * An absolute glob, split once by the resolver (src/policy/globs.ts splitGlob) so no backend
 * looks for the literal part again. Its grammar is documented in src/policy/glob-grammar.ts.
 */
export interface GlobRule {
  /** The whole glob (base escaped), for messages and micromatch. */
  pattern: string;
  /** Real, literal, unescaped directory every match lies in (or is). */
  base: string;
  /** The wildcard rest below `base`, in the policy glob grammar; '' when there is none. */
  glob: string;
  rule: string;
}

export interface ProtectRule {
  path: string;
  /** What exists there now; `missing` ones need an uncreatable placeholder. */
  kind: 'file' | 'dir' | 'missing';
  /** Shape of the placeholder when missing. */
  placeholderKind: 'file' | 'dir';
  /**
   * Ancestors between the writable root (exclusive) and `path` (exclusive). They are made
   * mount points so `mv .git x && mkdir -p .git/hooks` fails with EBUSY.
   */
  pins: string[];
  rule: string;
}

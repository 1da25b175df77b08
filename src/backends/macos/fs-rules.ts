import { byDepthThenPath, depth, isInside } from '../../policy/paths.js';
import type { ResolvedPolicy } from '../../policy/resolved.js';
import { globToSbplRegex } from './glob.js';
import type { ProfileFeatures } from './features.js';
import { caseInsensitivePathRegex } from './path-case.js';
import { comment, literal, regex, regexParam, requireAll, rule, sbplRegex, sbplString, subpath, type FilterText, type ParamTable } from './sbpl.js';
import type { RuleKind } from './tag.js';

// File-system rules. Seatbelt applies the LAST matching rule, so precedence is expressed
// purely by order. The aim is the Linux backend's semantics (deepest mount wins; a denial
// beats a grant at the same path), with globs matched live instead of expanded:
//
//   A  directory rules (denied dirs, missing denied names, re-allowed dirs, and the
//      writable roots/tmp dirs re-exposed inside a denied dir), shallow to deep, grant
//      before denial at equal depth;
//   B  glob denials (`<root>/**/.env`): more specific than a directory rule above them;
//   C  glob exceptions (`<root>/**/.env.example`), which carve out of B;
//   A' the directory rules of A that lie strictly below a glob's root, again (except the
//      re-exposed writable areas): a directory named explicitly is more specific than a
//      glob rooted above it, and C must not reopen a directory the user denied;
//   D  file rules (existing secrets the resolver found, and file exceptions), shallow to
//      deep: the most specific of all. Every glob match the resolver found is also a file
//      rule here, so re-applying A' cannot reopen those secrets.
//
// Writes follow the same sequence: a secret is neither readable nor writable, renamable or
// deletable (its rule denies file-write*, which includes file-write-unlink, the check
// rename(2) makes on its source). Read-only exceptions (read.allow) stay read-only, as on
// Linux. Then protected paths, and pins against the rename bypass, come last so that no
// grant can override them.

type Target = { type: 'path'; path: string; kind: 'file' | 'dir' | 'missing' } | { type: 'glob'; root: string; regex: string };

/** Where a rule came from decides whether it may grant writes. */
type Origin = 'deny' | 'read-allow' | 'glob-allow' | 'area';

interface SecretRule {
  effect: 'allow' | 'deny';
  target: Target;
  origin: Origin;
}

export interface FsRuleContext {
  policy: ResolvedPolicy;
  run: RunFacts;
  params: ParamTable;
  message: (kind: RuleKind) => string;
  features: Readonly<ProfileFeatures>;
}

/**
 * The run's own facts the profile needs besides the policy. `runDir` is a fresh directory
 * made for this one command (the launcher creates it, passes it as TMPDIR, removes it after):
 * the ONLY writable temp location. Seatbelt cannot give a command a private /tmp as Linux's
 * tmpfs does, and the host's /tmp and $TMPDIR are shared with every other process of the user
 * (a planted file there is read by the user's next tool), so neither is writable. Without a
 * runDir (a plan made for review only) no temp location is writable at all.
 */
export interface RunFacts {
  runDir?: string;
  /**
   * Network allowlist: the filtering proxy's port on the host's loopback, the one address the
   * command may connect to (network.ts). Absent: no IP grant at all.
   */
  proxyPort?: number;
}

/** Writable temp locations: the run's own directory, nothing else (see RunFacts). */
export function seatbeltTmpDirs(run: RunFacts): string[] {
  return run.runDir === undefined ? [] : [run.runDir];
}

function writableAreas(policy: ResolvedPolicy, run: RunFacts): string[] {
  return [...new Set([...policy.writableRoots, ...seatbeltTmpDirs(run)])];
}

export function orderedSecretRules(policy: ResolvedPolicy, run: RunFacts): SecretRule[] {
  const dirRules: SecretRule[] = [];
  const fileRules: SecretRule[] = [];
  const globDenies: SecretRule[] = [];
  const globAllows: SecretRule[] = [];

  const addPath = (effect: SecretRule['effect'], origin: Origin, path: string, kind: 'file' | 'dir' | 'missing') =>
    (kind === 'file' ? fileRules : dirRules).push({ effect, origin, target: { type: 'path', path, kind } });
  const addGlob = (effect: SecretRule['effect'], origin: Origin, g: ResolvedPolicy['denyReadGlobs'][number]) => {
    // Split once by the resolver; letters match in either case (APFS), see ./glob.ts.
    const glob = globToSbplRegex(g, { field: g.rule });
    // `<root>/**` (denyHome) is the directory rule for <root>, not a glob.
    if (glob.regex === null) addPath(effect, origin, glob.root, 'dir');
    else (effect === 'deny' ? globDenies : globAllows).push({ effect, origin, target: { type: 'glob', root: glob.root, regex: glob.regex } });
  };

  for (const r of policy.denyRead) addPath('deny', 'deny', r.path, r.kind);
  for (const g of policy.denyReadGlobs) addGlob('deny', 'deny', g);
  for (const r of policy.allowRead) addPath('allow', 'read-allow', r.path, r.kind);
  for (const g of policy.allowReadGlobs) addGlob('allow', 'glob-allow', g);

  // The workspace, writable roots and tmp dirs stay usable inside a denied directory
  // (read.denyHome with the workspace under home), as their Linux binds re-expose them.
  const deniedDirs = dirRules.filter((r) => r.effect === 'deny').map((r) => (r.target as { path: string }).path);
  for (const area of new Set([policy.workspace, ...writableAreas(policy, run)])) {
    if (deniedDirs.some((d) => isInside(area, d))) dirRules.push({ effect: 'allow', origin: 'area', target: { type: 'path', path: area, kind: 'dir' } });
  }

  const byDepth = (rules: SecretRule[]) =>
    rules
      .map((r, i) => ({ r, i }))
      .sort((a, b) => depth(pathOf(a.r)) - depth(pathOf(b.r)) || effectRank(a.r) - effectRank(b.r) || a.i - b.i)
      .map(({ r }) => r);
  const a = byDepth(unique(dirRules));
  const globRoots = [...globDenies, ...globAllows].map(pathOf);
  // Not the re-exposed writable areas: the workspace must never reopen over a glob denial.
  const again = a.filter((r) => r.origin !== 'area' && globRoots.some((root) => pathOf(r) !== root && isInside(pathOf(r), root)));
  return [...a, ...unique(globDenies), ...unique(globAllows), ...again, ...byDepth(unique(fileRules))];
}

/** The same rule twice (a denied dir that is also `<dir>/**`) is emitted once. */
function unique(rules: SecretRule[]): SecretRule[] {
  const seen = new Set<string>();
  return rules.filter((r) => {
    const key = JSON.stringify([r.effect, r.origin, r.target]);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const effectRank = (r: SecretRule) => (r.effect === 'allow' ? 0 : 1);
const pathOf = (r: SecretRule) => (r.target.type === 'path' ? r.target.path : r.target.root);

/**
 * A denied or re-allowed path: `literal` for a file, `subpath` for a directory and for a
 * missing name (Seatbelt matches names, so a rule about a path that does not exist yet
 * still holds when something appears there, file or directory).
 */
function targetFilter(target: Target, params: ParamTable): FilterText {
  if (target.type === 'path') return (target.kind === 'file' ? literal : subpath)(params.name('PATH', target.path));
  return requireAll([subpath(params.name('GLOB_ROOT', target.root)), regex(target.regex)]);
}

/**
 * A denial's filters: the target itself and, with caseFold, its case-insensitive twin (see
 * path-case.ts): `.ENV` or `~/.SSH/id_rsa` names the same file on case-insensitive APFS. For a
 * glob the literal root is folded; the wildcard tail's regex is the glob converter's.
 */
function denialFilters(target: Target, ctx: FsRuleContext): FilterText[] {
  const exact = targetFilter(target, ctx.params);
  if (!ctx.features.caseFold) return [exact];
  if (target.type === 'path') return [exact, foldedPath(target.path, target.kind === 'file' ? 'exact' : 'subtree', ctx)];
  return [exact, requireAll([foldedPath(target.root, 'subtree', ctx), regex(target.regex)])];
}

/** `(regex (param "CI_n"))` matching `path` in any letter case; nothing new when caseFold is off. */
function foldedPath(path: string, scope: 'exact' | 'subtree', ctx: FsRuleContext): FilterText {
  return regexParam(ctx.params.name('CI', caseInsensitivePathRegex(path, scope)));
}

/** `literal`/`subpath` of a named path plus, with caseFold, its case-insensitive twin. */
function namedPathFilters(prefix: string, path: string, scope: 'exact' | 'subtree', ctx: FsRuleContext): FilterText[] {
  const exact = (scope === 'exact' ? literal : subpath)(ctx.params.name(prefix, path));
  return ctx.features.caseFold ? [exact, foldedPath(path, scope, ctx)] : [exact];
}

/** The part of `target` that lies inside a writable area, or nothing. */
function withinAreas(target: Target, areas: readonly string[], params: ParamTable): FilterText[] {
  const out: FilterText[] = [];
  const base = target.type === 'path' ? target.path : target.root;
  for (const area of areas) {
    if (isInside(base, area)) out.push(targetFilter(target, params));
    else if (isInside(area, base)) {
      const areaFilter = subpath(params.name('PATH', area));
      out.push(target.type === 'path' ? areaFilter : requireAll([areaFilter, regex(target.regex)]));
    }
  }
  return [...new Set(out)];
}

function touchesAreas(target: Target, areas: readonly string[]): boolean {
  const base = target.type === 'path' ? target.path : target.root;
  return areas.some((area) => isInside(base, area) || isInside(area, base));
}

export function readRules(ctx: FsRuleContext, rules: readonly SecretRule[]): string[] {
  const out = [comment('Reads: everything, minus secrets, plus exceptions (last match wins).'), rule('allow', ['file-read*'], [])];
  for (const r of rules) {
    if (r.effect === 'deny') out.push(rule('deny', ['file-read*'], denialFilters(r.target, ctx), ctx.message('secret')));
    else out.push(rule('allow', ['file-read*'], [targetFilter(r.target, ctx.params)]));
  }
  // After the read-anywhere allow, or it would win: another session's tty (/dev/ttysN) read by
  // path is its keystrokes, sudo passwords included. The controlling terminal (/dev/tty), the
  // command's own inherited stdio and ptys this sandbox opened (the pty extension) still work.
  out.push(comment("Other sessions' terminals: unreadable by path unless this sandbox opened the pty."));
  out.push(rule('deny', ['file-read-data'], [`(require-all (regex ${sbplRegex('^/dev/ttys[0-9]+$')}) (require-not (extension ${sbplString('com.apple.sandbox.pty')})))`], ctx.message('secret')));
  const ancestors = traversalAncestors(rules);
  if (ancestors.length > 0) {
    out.push(comment('stat() of the directories leading to an exception, so realpath() and cd work.'));
    out.push(rule('allow', ['file-read-metadata'], ancestors.map((p) => literal(ctx.params.name('PATH', p)))));
  }
  return out;
}

/** Directories from a denied dir down to (not including) an exception inside it. */
function traversalAncestors(rules: readonly SecretRule[]): string[] {
  const denied = rules.filter((r) => r.effect === 'deny' && r.target.type === 'path' && r.target.kind !== 'file').map(pathOf);
  const found = new Set<string>();
  for (const r of rules) {
    if (r.effect !== 'allow') continue;
    const target = pathOf(r);
    const start = r.target.type === 'glob' ? target : parentOf(target);
    for (const d of denied) {
      if (target === d || !isInside(target, d)) continue;
      for (let p = start; isInside(p, d); p = parentOf(p)) {
        found.add(p);
        if (p === d) break;
      }
    }
  }
  return [...found].sort(byDepthThenPath);
}

export function writeRules(ctx: FsRuleContext, rules: readonly SecretRule[]): string[] {
  const { policy, params, run } = ctx;
  const areas = writableAreas(policy, run);
  const out = [comment('Writes: the writable roots and tmp dirs only.')];
  if (areas.length > 0) out.push(rule('allow', ['file-write*'], areas.map((a) => subpath(params.name(policy.writableRoots.includes(a) ? 'WRITABLE_ROOT' : 'TMP_DIR', a)))));
  out.push(comment('Secrets inside them can be neither written, created, renamed nor deleted.'));
  for (const r of rules) {
    if (r.effect === 'deny') {
      if (touchesAreas(r.target, areas)) out.push(rule('deny', ['file-write*'], denialFilters(r.target, ctx), ctx.message('secret')));
    } else if (r.origin !== 'read-allow') {
      // read.allow exceptions stay read-only (a read-only bind on Linux).
      const filters = withinAreas(r.target, areas, params);
      if (filters.length > 0) out.push(rule('allow', ['file-write*'], filters));
    }
  }
  return out;
}

/**
 * Protected paths, then pins. A protected path is denied for every write, including its
 * creation (a missing `.vscode` cannot be made) and its removal or rename. That is not
 * enough against `mv .git x && mkdir -p .git/hooks && echo evil > .git/hooks/pre-commit`:
 * the rule names a path, and renaming an ancestor moves the protected content away from
 * that name and frees it. Hence pins:
 *  - every ancestor of a protected path inside a writable area may be neither renamed or
 *    deleted (file-write-unlink, which rename(2) checks on its source) nor created
 *    (file-write-create, which rename(2) checks on its destination: `mv prepared .git`
 *    when .git is missing would otherwise install a ready-made hooks directory);
 *  - every ancestor of an existing secret inside a writable area, and each writable root
 *    and tmp dir itself, may not be renamed: `mv app /tmp/x` would carry `app/.env` to a
 *    name no rule covers, and `mv workspace /tmp/w` would shed every rule at once.
 */
export function protectRules(ctx: FsRuleContext): string[] {
  const { policy, params, run } = ctx;
  const areas = writableAreas(policy, run);
  const out: string[] = [];
  if (policy.protect.length > 0) {
    out.push(comment('Protected paths: read-only and uncreatable.'));
    // Register every exact path first so their parameters keep their names and order.
    for (const p of policy.protect) params.name('PROTECT', p.path);
    out.push(rule('deny', ['file-write*'], policy.protect.flatMap((p) => namedPathFilters('PROTECT', p.path, 'subtree', ctx)), ctx.message('protect')));
  }
  const { createAndUnlink, unlinkOnly } = pinSets(policy, areas);

  const sortedPins = (set: Set<string>) => [...set].sort(byDepthThenPath);
  for (const p of [...sortedPins(createAndUnlink), ...sortedPins(unlinkOnly)]) params.name('PIN', p);
  // `mv .GIT x` renames .git on a case-insensitive volume: pins are folded too.
  const pinFilters = (set: Set<string>) => sortedPins(set).flatMap((p) => namedPathFilters('PIN', p, 'exact', ctx));
  if (createAndUnlink.size > 0 || unlinkOnly.size > 0) out.push(comment('Pins: ancestors that must keep their names (the rename bypass).'));
  if (createAndUnlink.size > 0) out.push(rule('deny', ['file-write-create', 'file-write-unlink'], pinFilters(createAndUnlink), ctx.message('pin')));
  if (unlinkOnly.size > 0) out.push(rule('deny', ['file-write-unlink'], pinFilters(unlinkOnly), ctx.message('pin')));
  out.push(comment('Hard links would give a secret or protected file a second, unprotected name.'));
  out.push(rule('deny', ['file-link'], [], ctx.message('link')));
  return out;
}

/** Pinned paths: ancestors of protected paths (no create, no rename) and of secrets and areas (no rename). */
function pinSets(policy: ResolvedPolicy, areas: readonly string[]): { createAndUnlink: Set<string>; unlinkOnly: Set<string> } {
  const createAndUnlink = new Set<string>();
  for (const p of policy.protect) for (const a of [...p.pins, ...ancestorsWithin(p.path, areas)]) createAndUnlink.add(a);
  const unlinkOnly = new Set<string>(areas);
  for (const root of policy.writableRoots) for (const a of ancestorsWithin(root, areas)) unlinkOnly.add(a);
  for (const s of policy.denyRead) if (s.kind !== 'missing') for (const a of ancestorsWithin(s.path, areas)) unlinkOnly.add(a);
  for (const a of createAndUnlink) unlinkOnly.delete(a);
  return { createAndUnlink, unlinkOnly };
}

/**
 * APFS clones (clonefile(2), fclonefileat, `cp -c`, Rust's `fs::copy`, which treats EPERM
 * from fclonefileat as fatal and so fails outright when clones are denied). `file-clone` is an
 * operation of its own, not part of file-write*, and which path Seatbelt checks for it (the
 * source, or the new name) is not documented; Apple's own profiles grant it only inside a
 * container that is writable anyway. So the grant must be safe under either reading:
 *  - only inside the writable areas: a clone can never add a name outside them (into
 *    ~/Library/LaunchAgents, say), whichever path is checked;
 *  - never where a secret, a protected path or a pin lies (with their case-insensitive
 *    twins), whichever side it is on: no second, unprotected name for a secret in the
 *    workspace, and no clone onto `.git/hooks/pre-commit` or a missing `.git`.
 * A clone whose source lies outside the writable areas may fail with EPERM if Seatbelt
 * checks the source; tools fall back to copying on that (pnpm, cp), Rust's fs::copy does not.
 */
export function cloneRules(ctx: FsRuleContext, rules: readonly SecretRule[]): string[] {
  const { policy, params, run } = ctx;
  const areas = writableAreas(policy, run);
  if (!ctx.features.clone || areas.length === 0) return [];
  const denials: FilterText[] = [];
  for (const r of rules) if (r.effect === 'deny' && touchesAreas(r.target, areas)) denials.push(...denialFilters(r.target, ctx));
  for (const p of policy.protect) denials.push(...namedPathFilters('PROTECT', p.path, 'subtree', ctx));
  const { createAndUnlink, unlinkOnly } = pinSets(policy, areas);
  for (const p of [...createAndUnlink, ...unlinkOnly]) denials.push(...namedPathFilters('PIN', p, 'exact', ctx));
  const out = [comment('APFS clones: inside the writable areas only, never of or onto a secret, protected path or pin.')];
  out.push(rule('allow', ['file-clone'], areas.map((a) => subpath(params.name(policy.writableRoots.includes(a) ? 'WRITABLE_ROOT' : 'TMP_DIR', a)))));
  if (denials.length > 0) out.push(rule('deny', ['file-clone'], [...new Set(denials)], ctx.message('link')));
  return out;
}

/** Proper ancestors of `p` that are a writable area or lie inside one. */
export function ancestorsWithin(p: string, areas: readonly string[]): string[] {
  const out: string[] = [];
  // Inside-ness is inherited downwards: once an ancestor is outside every area, so is the rest.
  for (let a = parentOf(p); a !== '/' && areas.some((area) => isInside(a, area)); a = parentOf(a)) out.push(a);
  return out;
}

function parentOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}

import path from 'node:path';
import { PROTECTED_IN_HOME, PROTECTED_IN_ROOT, type ProtectedName } from './defaults.js';
import { gitProtectedNames } from './git-protect.js';
import type { HomeLocation } from './home-locations.js';
import { FsView, isInside } from './paths.js';
import type { ProtectRule } from './resolved.js';

/**
 * Protected paths for one writable root. Walking the relative path segment by segment
 * decides what is actually protected:
 * - all segments exist as directories: protect the path itself, pin the directories
 *   between root and path (mount points cannot be renamed, defeating `mv .git x`);
 * - a middle segment is missing (no `.git` yet): protect that segment as an uncreatable
 *   directory, so `git init; echo evil > .git/hooks/pre-commit` fails too;
 * - a middle segment is a file (a worktree's `.git` file): protect that file, so the
 *   gitdir it points to cannot be redirected.
 */
export function protectedPathsForRoot(root: string, extra: readonly string[], fsv: FsView = new FsView(), homes: readonly string[] = []): ProtectRule[] {
  const names: ProtectedName[] = [...PROTECTED_IN_ROOT, ...gitProtectedNames(root, fsv, homes)];
  for (const rel of extra) names.push({ path: rel, kind: 'file' });
  const rules: ProtectRule[] = [];
  for (const name of names) rules.push(protectOne(root, name, fsv));
  return rules;
}

/**
 * Start-up locations (and, for item 4, missing secret locations) of the homes in play that
 * lie inside this writable root, by written path or by real path, protected relative to the
 * root: with a workspace of /home, /home/alice/.bashrc is what alice's shell runs,
 * /home/.bashrc is nothing; with a workspace of ~/dotfiles and ~/.bashrc ->
 * ~/dotfiles/bashrc, the real file is. The walk starts at the root, so the directories
 * between root and location are pinned too (`mv alice x` would otherwise move the protected
 * files away from their names). Missing ones become placeholders in every root, not only the
 * workspace: an absent ~/.bash_aliases in a writable home is exactly what a command would create.
 *
 * A written path inside the root that differs from its real path went through a symlink in
 * the root: mounts cannot protect a link itself, so that is refused (see unprotectableLink),
 * and only the real path is protected here.
 */
export function protectedHomePaths(root: string, locations: readonly HomeLocation[], fsv: FsView = new FsView()): ProtectRule[] {
  const rules: ProtectRule[] = [];
  for (const loc of locations) {
    if (loc.real === root || !isInside(loc.real, root)) continue;
    const rule = protectOne(root, { path: path.relative(root, loc.real), kind: loc.name.kind }, fsv, loc.name.kind);
    const how = loc.real === loc.written ? '' : `, real path of ${loc.written}`;
    rules.push({ ...rule, rule: `protect ~/${loc.name.path} (home ${loc.home}${how})` });
  }
  return rules;
}

/** The first symlink on the way to a location that lies inside `root` (a command could replace it), if any. */
export function unprotectableLink(root: string, locations: readonly HomeLocation[]): { link: string; location: HomeLocation } | undefined {
  for (const location of locations) {
    const link = location.links.find((l) => l !== root && isInside(l, root));
    if (link !== undefined) return { link, location };
  }
  return undefined;
}

/**
 * HOME_SECRETS as protectable names. The list holds paths only; the shape of a placeholder
 * for a missing one follows the name: a file where the name is a file by convention (an
 * extension, or an rc/cfg/credentials/token/history-style name), a directory otherwise
 * (`.aws`, `.ssh`, `.config/gh`). A wrong guess costs only a host tool reading that name
 * while the command runs; either shape keeps the name uncreatable.
 */
export function homeSecretNames(secrets: readonly string[]): ProtectedName[] {
  return secrets
    .filter((s) => s.startsWith('~/'))
    .map((s) => {
      const rel = s.slice(2);
      const base = path.basename(rel).replace(/^\./, '');
      const file = base.includes('.') || /(rc|cfg|credentials|token|pass|history|histfile|Xauthority|boto)$/.test(base);
      return { path: rel, kind: file ? ('file' as const) : ('dir' as const) };
    });
}

function protectOne(root: string, name: ProtectedName, fsv: FsView, placeholder?: 'file' | 'dir'): ProtectRule {
  const segments = name.path.split('/').filter(Boolean);
  const pins: string[] = [];
  let cur = root;
  for (let i = 0; i < segments.length; i += 1) {
    const last = i === segments.length - 1;
    const next = fsv.realpath(path.join(cur, segments[i]!));
    const kind = fsv.kind(next);
    // A `.git` directory with no HEAD is no repository (e.g. another sandbox's placeholder):
    // protect it whole, as if it were missing, rather than planting hooks/config inside it.
    const notARepo = !last && segments[i] === '.git' && kind === 'dir' && fsv.kind(path.join(next, 'HEAD')) === 'missing';
    if (last || kind === 'missing' || kind === 'file' || notARepo) {
      return {
        path: next,
        kind,
        placeholderKind: last ? (kind === 'missing' ? (placeholder ?? placeholderKindFor(name)) : kind === 'dir' ? 'dir' : 'file') : 'dir',
        pins,
        rule: `protect ${name.path}`,
      };
    }
    pins.push(next);
    cur = next;
  }
  // Unreachable for a non-empty relative path; the schema rejects empty ones.
  return { path: root, kind: 'dir', placeholderKind: 'dir', pins: [], rule: `protect ${name.path}` };
}

/**
 * What to create for a missing protected path: a directory wherever git could see it. Git
 * tracks no empty directory, so no `git add -A`, inside the sandbox or on the host, ever
 * stages one (an empty `.envrc` file was committed, then shown as deleted once removed), and
 * a read-only directory still keeps the name uncreatable: open(O_CREAT) gets EISDIR, rename
 * and rmdir EBUSY. A file only where a tool must read the name as a file:
 * - inside `.git`, which git never tracks: a directory `.git/config` is fatal to git;
 * - a home's start-up files (when a home lies in a writable root): the user's own shells,
 *   git, editors read them on the host while the placeholder exists, and a directory there is
 *   an error or, for `~/.gitconfig`, fatal to every git command. Git sees these only when the
 *   home itself is a work tree.
 */
function placeholderKindFor(name: ProtectedName): 'file' | 'dir' {
  if (name.path.endsWith('/') || name.kind === 'dir') return 'dir';
  if (name.path.split('/').slice(0, -1).includes('.git')) return 'file';
  if (PROTECTED_IN_HOME.some((h) => h.kind === 'file' && (name.path === h.path || name.path.endsWith(`/${h.path}`)))) return 'file';
  return 'dir';
}

/** Merge duplicates (two roots can name the same real path through symlinks). */
export function dedupeProtect(rules: ProtectRule[]): ProtectRule[] {
  const byPath = new Map<string, ProtectRule>();
  for (const rule of rules) if (!byPath.has(rule.path)) byPath.set(rule.path, rule);
  return [...byPath.values()];
}

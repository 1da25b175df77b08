import path from 'node:path';
import { PROTECTED_IN_HOME, PROTECTED_IN_ROOT, type ProtectedName } from './defaults.js';
import { FsView } from './paths.js';
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
export function protectedPathsForRoot(root: string, home: string, extra: readonly string[], fsv: FsView = new FsView()): ProtectRule[] {
  const names: ProtectedName[] = [...PROTECTED_IN_ROOT];
  if (root === home) names.push(...PROTECTED_IN_HOME);
  for (const rel of extra) names.push({ path: rel, kind: 'file' });
  const rules: ProtectRule[] = [];
  for (const name of names) rules.push(protectOne(root, name, fsv));
  return rules;
}

function protectOne(root: string, name: ProtectedName, fsv: FsView): ProtectRule {
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
        placeholderKind: last ? (kind === 'missing' ? extraKind(name) : kind === 'dir' ? 'dir' : 'file') : 'dir',
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

/** A missing caller-named path: a trailing slash or a dotted last segment says file vs dir. */
function extraKind(name: ProtectedName): 'file' | 'dir' {
  if (name.path.endsWith('/')) return 'dir';
  return name.kind;
}

/** Merge duplicates (two roots can name the same real path through symlinks). */
export function dedupeProtect(rules: ProtectRule[]): ProtectRule[] {
  const byPath = new Map<string, ProtectRule>();
  for (const rule of rules) if (!byPath.has(rule.path)) byPath.set(rule.path, rule);
  return [...byPath.values()];
}

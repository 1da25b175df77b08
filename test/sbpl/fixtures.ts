import { parsePolicy } from '../../src/policy/parse.js';
import { escapeGlob, globRule } from '../../src/policy/globs.js';
import type { ResolvedPolicy } from '../../src/policy/resolved.js';

/**
 * Hand-built ResolvedPolicy values for pure tests: no file system, paths that need not
 * exist (a Mac layout on a Linux test machine). Shaped like resolvePolicy's output for a
 * workspace with a git checkout and a .env; override any field.
 */
export function resolvedFixture(overrides: Partial<ResolvedPolicy> & { root?: string } = {}): ResolvedPolicy {
  const { root = '/Users/alice/proj', ...rest } = overrides;
  const home = rest.home ?? '/Users/alice';
  const policy = parsePolicy({});
  return {
    workspace: root,
    cwd: root,
    home,
    homes: [home],
    writableRoots: [root],
    tmpDirs: ['/private/tmp', '/private/var/folders/xy/abc123/T'],
    keepInTmp: [],
    denyRead: [
      { path: `${home}/.ssh`, kind: 'dir', rule: 'default secret: ~/.ssh' },
      { path: `${home}/.netrc`, kind: 'missing', rule: 'default secret: ~/.netrc' },
      { path: `${root}/.env`, kind: 'file', rule: 'default workspace secret: **/.env' },
    ],
    denyReadGlobs: [
      globRule(`${escapeGlob(root)}/**/.env`, 'default workspace secret'),
      globRule(`${escapeGlob(root)}/**/.env.*`, 'default workspace secret'),
    ],
    allowRead: [],
    allowReadGlobs: [globRule(`${escapeGlob(root)}/**/.env.example`, 'default workspace secret exception')],
    protect: [
      { path: `${root}/.git/hooks`, kind: 'dir', placeholderKind: 'dir', pins: [`${root}/.git`], rule: 'protect .git/hooks' },
      { path: `${root}/.vscode`, kind: 'missing', placeholderKind: 'dir', pins: [], rule: 'protect .vscode' },
    ],
    env: { PATH: '/usr/bin:/bin', HOME: home },
    network: { allow: [], deny: [] },
    limits: policy.limits,
    policy,
    ...rest,
  };
}

/** Replaces every occurrence of `from` in every path of a resolved policy. */
export function renamePaths(policy: ResolvedPolicy, from: string, to: string): ResolvedPolicy {
  const r = (p: string) => p.split(from).join(to);
  return {
    ...policy,
    workspace: r(policy.workspace),
    cwd: r(policy.cwd),
    home: r(policy.home),
    homes: policy.homes.map(r),
    writableRoots: policy.writableRoots.map(r),
    tmpDirs: policy.tmpDirs.map(r),
    keepInTmp: policy.keepInTmp.map(r),
    denyRead: policy.denyRead.map((x) => ({ ...x, path: r(x.path) })),
    denyReadGlobs: policy.denyReadGlobs.map((x) => ({ ...x, pattern: r(x.pattern), base: r(x.base) })),
    allowRead: policy.allowRead.map((x) => ({ ...x, path: r(x.path) })),
    allowReadGlobs: policy.allowReadGlobs.map((x) => ({ ...x, pattern: r(x.pattern), base: r(x.base) })),
    protect: policy.protect.map((x) => ({ ...x, path: r(x.path), pins: x.pins.map(r) })),
  };
}

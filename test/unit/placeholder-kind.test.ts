import { afterEach, describe, expect, it } from 'vitest';
import { resolvePolicy } from '../../src/policy/resolve.js';
import { makeTree, type Tree } from '../helpers/tree.js';

/**
 * Which shape a missing protected path's placeholder takes (issue 7, item 13): a directory,
 * which git never tracks, wherever git could see it; a file only where a tool must read the
 * name as a file and git does not (inside .git) or rarely does (a home's start-up files).
 * test/integration/placeholder-git.test.ts shows the effect with real git.
 */

let trees: Tree[] = [];
afterEach(() => {
  for (const t of trees.splice(0)) t.cleanup();
});
function tree(spec: Record<string, string>): Tree {
  const t = makeTree(spec);
  trees.push(t);
  return t;
}

function kindsOf(t: Tree, workspace: string, policy: object = {}, home = t.path('home')): Map<string, string> {
  const r = resolvePolicy(policy, { workspace: t.path(workspace), home, otherHomes: [], env: { HOME: home } });
  return new Map(r.protect.filter((rule) => rule.kind === 'missing').map((rule) => [rule.path.slice(t.root.length + 1), rule.placeholderKind]));
}

describe('placeholder kinds', () => {
  it('the workspace names git could commit become directories: .envrc, .gitmodules, .mcp.json (and the dirs stay dirs)', () => {
    const t = tree({ 'ws/': '', 'home/': '' });
    const kinds = kindsOf(t, 'ws');
    for (const name of ['.envrc', '.gitmodules', '.mcp.json', '.git', '.vscode', '.idea', '.claude', '.cursor']) expect(kinds.get(`ws/${name}`), name).toBe('dir');
  });

  it('inside an existing .git, a missing config stays a file (git never tracks it, and a directory there is fatal to git)', () => {
    const t = tree({ 'ws/.git/HEAD': 'ref: refs/heads/main\n', 'home/': '' });
    const kinds = kindsOf(t, 'ws');
    expect(kinds.get('ws/.git/config')).toBe('file');
    expect(kinds.get('ws/.git/hooks')).toBe('dir');
  });

  it("caller-named paths become directories too, whatever their name looks like", () => {
    const t = tree({ 'ws/': '', 'home/': '' });
    const kinds = kindsOf(t, 'ws', { write: { protect: ['Makefile', 'ci/deploy.sh', 'build/'] } });
    expect(kinds.get('ws/Makefile')).toBe('dir');
    expect(kinds.get('ws/ci')).toBe('dir'); // a missing middle segment is protected whole, as before
    expect(kinds.get('ws/build')).toBe('dir');
  });

  it("a home's start-up files stay files (host shells and git read them; a directory ~/.gitconfig stops every git command)", () => {
    const t = tree({ 'home/': '' });
    const kinds = kindsOf(t, 'home', { write: { allowHome: true } });
    expect(kinds.get('home/.gitconfig')).toBe('file');
    expect(kinds.get('home/.bashrc')).toBe('file');
    expect(kinds.get('home/.config/git') ?? kinds.get('home/.config')).toBe('dir');
    // ... while the workspace names in that same root are still directories.
    expect(kinds.get('home/.envrc')).toBe('dir');
  });
});

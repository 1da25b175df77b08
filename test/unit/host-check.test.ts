import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findPlanted } from '../../src/host-check/find-planted.js';
import { isPlainGitConfig } from '../../src/git/config.js';
import { indexGitlinks } from '../../src/git/index-file.js';
import { quarantine } from '../../src/host-check/quarantine.js';
import { RepoWalkCache } from '../../src/host-check/repo-walk.js';
import { GIT_ATTACKS, hostGit, makeScene } from '../helpers/git-attacks.js';
import { makeTree, type Tree } from '../helpers/tree.js';

const hasGit = existsSync('/usr/bin/git') && existsSync('/usr/bin/script');
let trees: Tree[] = [];
afterEach(() => {
  for (const t of trees.splice(0)) t.cleanup();
});
const tree = (): Tree => {
  const t = makeTree({}, os.tmpdir());
  trees.push(t);
  return t;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Plants on the host as the command would, with `since` taken between set-up and planting. */
async function plantAndFind(attack: (typeof GIT_ATTACKS)[number]) {
  const scene = makeScene(tree().root, attack.repo);
  await sleep(30);
  const since = Date.now();
  execFileSync('sh', ['-c', attack.plant], { cwd: scene.workspace, env: { ...process.env, ...scene.env, HOME: scene.home, GIT_CONFIG_NOSYSTEM: '1' }, stdio: 'ignore' });
  return { scene, found: findPlanted(scene.workspace, since, new RepoWalkCache()).planted };
}

describe.skipIf(!hasGit)('host check: what a command planted for host git (real git on the host)', () => {
  for (const attack of GIT_ATTACKS) {
    it(`${attack.name}: harms the host unchecked, not after quarantine`, async () => {
      // Unchecked (the weakened case): host git really is harmed, so this test can fail.
      const bare = await plantAndFind(attack);
      hostGit(path.join(bare.scene.workspace, attack.trigger.cwd), attack.trigger.args, bare.scene.home, attack.trigger.tty);
      expect(bare.scene.harmed()).not.toEqual([]);

      const { scene, found } = await plantAndFind(attack);
      expect(found.length).toBeGreaterThan(0);
      const moved = quarantine(scene.workspace, found);
      expect(moved.filter((m) => m.error !== undefined)).toEqual([]);
      hostGit(path.join(scene.workspace, attack.trigger.cwd), attack.trigger.args, scene.home, attack.trigger.tty);
      expect(scene.harmed()).toEqual([]);
      // Renamed aside, not deleted: every item is in the quarantine directory.
      for (const m of moved) expect(existsSync(m.movedTo!) || m.movedTo!.endsWith('(with its parent)')).toBe(true);
    });
  }

  it("leaves the user's own repositories and ordinary git work alone", async () => {
    const scene = makeScene(tree().root, true);
    // The user's own nested repository with a hook and a non-plain config, made before the session.
    const sub = path.join(scene.workspace, 'tools', 'mine');
    mkdirSync(sub, { recursive: true });
    hostGit(sub, ['init', '-q'], scene.home);
    writeFileSync(path.join(sub, '.git', 'hooks', 'pre-commit'), '#!/bin/sh\nexit 0\n');
    hostGit(sub, ['config', 'core.pager', 'less'], scene.home);
    await sleep(30);
    const since = Date.now();
    // During the session: commits, branches, a nested `git init` and a local clone.
    const work = ['echo more >> README', 'git add README', 'git commit -qm two', 'git checkout -qb feature', 'git init -q fixtures/repo', 'git clone -q . clones/copy'].join(' && ');
    execFileSync('sh', ['-c', work], { cwd: scene.workspace, env: { ...process.env, HOME: scene.home, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'a', GIT_AUTHOR_EMAIL: 'a@b', GIT_COMMITTER_NAME: 'a', GIT_COMMITTER_EMAIL: 'a@b' }, stdio: 'ignore' });
    expect(existsSync(path.join(scene.workspace, 'clones', 'copy', '.git', 'config'))).toBe(true);
    expect(findPlanted(scene.workspace, since, new RepoWalkCache()).planted).toEqual([]);
  });

  it('a cached walk sees a repository planted deep in a tree it has already walked', async () => {
    const scene = makeScene(tree().root, true);
    mkdirSync(path.join(scene.workspace, 'a', 'b', 'c'), { recursive: true });
    const cache = new RepoWalkCache();
    const since = Date.now() - 1;
    expect(findPlanted(scene.workspace, since, cache).planted).toEqual([]);
    mkdirSync(path.join(scene.workspace, 'a', 'b', 'c', '.git', 'hooks'), { recursive: true });
    writeFileSync(path.join(scene.workspace, 'a', 'b', 'c', '.git', 'hooks', 'post-checkout'), '#!/bin/sh\n');
    expect(findPlanted(scene.workspace, since, cache).planted.map((f) => path.relative(scene.workspace, f.path))).toEqual(['a/b/c/.git/hooks/post-checkout']);
  });

  it('a planted .cordon-quarantine symlink cannot steer the moves outside the workspace', async () => {
    const scene = makeScene(tree().root, true);
    const since = Date.now() - 1;
    execFileSync('sh', ['-c', `ln -s "${scene.out}" .cordon-quarantine && rm -f .git/COMMIT_EDITMSG && ln -s "$VICTIM" .git/COMMIT_EDITMSG`], { cwd: scene.workspace, env: { ...process.env, ...scene.env } });
    const moved = quarantine(scene.workspace, findPlanted(scene.workspace, since, new RepoWalkCache()).planted);
    expect(moved).toHaveLength(1);
    expect(path.dirname(path.dirname(moved[0]!.movedTo!)).startsWith(`${scene.workspace}/.cordon-quarantine-`)).toBe(true);
    expect(readdirSync(scene.out).sort()).toEqual(['other-repo', 'victim']);
  });
});

describe.skipIf(!hasGit)('git index gitlinks', () => {
  for (const version of [2, 3, 4]) {
    it(`lists the gitlinks of an index version ${version}`, () => {
      const t = tree();
      const env = { ...process.env, HOME: t.root, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'a', GIT_AUTHOR_EMAIL: 'a@b', GIT_COMMITTER_NAME: 'a', GIT_COMMITTER_EMAIL: 'a@b' };
      const script = [
        'git init -q r && cd r',
        'mkdir -p deep/er/path && echo x > deep/er/path/file && echo y > top',
        'for d in a-sub deep/er/link; do mkdir -p $d && (cd $d && git init -q && git commit -q --allow-empty -m s); done',
        'git add top deep/er/path/file && git add a-sub deep/er/link 2>/dev/null',
        version === 3 ? 'git update-index --index-version 3 && git update-index --intent-to-add new 2>/dev/null; touch new && git add -N new' : `git update-index --index-version ${version}`,
      ].join(' && ');
      execFileSync('sh', ['-c', script], { cwd: t.root, env, stdio: 'ignore' });
      const index = path.join(t.root, 'r', '.git', 'index');
      expect(readFileSync(index).readUInt32BE(4)).toBe(version);
      expect(indexGitlinks(index)?.sort()).toEqual(['a-sub', 'deep/er/link']);
    });
  }

  it('reads the shared index a split index links to', () => {
    const t = tree();
    const env = { ...process.env, HOME: t.root, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'a', GIT_AUTHOR_EMAIL: 'a@b', GIT_COMMITTER_NAME: 'a', GIT_COMMITTER_EMAIL: 'a@b' };
    const script = 'git init -q r && cd r && mkdir s && (cd s && git init -q && git commit -q --allow-empty -m s) && git add s 2>/dev/null && git update-index --split-index && echo x > f && git add f';
    execFileSync('sh', ['-c', script], { cwd: t.root, env, stdio: 'ignore' });
    expect(readdirSync(t.path('r/.git')).some((n) => n.startsWith('sharedindex.'))).toBe(true);
    expect(indexGitlinks(t.path('r/.git/index'))).toEqual(['s']);
  });

  it('with an index it cannot read, the host check looks for repositories in dependency trees too', async () => {
    const scene = makeScene(tree().root, true);
    const since = Date.now() - 1;
    execFileSync('sh', ['-c', 'mkdir -p node_modules/x && cd node_modules/x && git init -q && cp "$EVIL" .git/hooks/post-checkout'], { cwd: scene.workspace, env: { ...process.env, ...scene.env, HOME: scene.home } });
    expect(findPlanted(scene.workspace, since, new RepoWalkCache()).planted).toEqual([]);
    writeFileSync(path.join(scene.workspace, '.git', 'index'), 'DIRC\0\0\0\x09junk');
    expect(findPlanted(scene.workspace, since, new RepoWalkCache()).planted.map((f) => path.relative(scene.workspace, f.path))).toEqual(['node_modules/x/.git/hooks/post-checkout']);
  });

  it('a file that is not an index is "cannot tell", not "no gitlinks"', () => {
    const t = tree();
    writeFileSync(t.path('index'), 'DIRC\0\0\0\x09junk');
    expect(indexGitlinks(t.path('index'))).toBeUndefined();
    rmSync(t.path('index'));
    expect(indexGitlinks(t.path('index'))).toEqual([]);
  });
});

describe('plain git config', () => {
  it('accepts what git init and git clone write', () => {
    expect(isPlainGitConfig('[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n\tlogallrefupdates = true\n[remote "origin"]\n\turl = /x/y\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n[branch "main"]\n\tremote = origin\n\tmerge = refs/heads/main\n')).toBe(true);
  });

  it('rejects anything that can run a program, and any line outside the strict grammar', () => {
    for (const text of [
      '[core]\n\tfsmonitor = /x\n',
      '[core]\n\tpager = x\n',
      '[core] bare = false\n',
      '[core]\n\tbare = false \\\n\tfsmonitor = x\n',
      '[include]\n\tpath = /x\n',
      '[includeIf "gitdir:/"]\n\tpath = /x\n',
      '[alias]\n\tst = !sh\n',
      '[filter "x"]\n\tclean = sh\n',
      '[core.x]\n\tbare = false\n',
      'bare = false\n',
      '[core]\n\tbare = false\n\0',
    ]) {
      expect(isPlainGitConfig(text), text).toBe(false);
    }
  });
});

describe.skipIf(!hasGit)('the quarantine directory', () => {
  it('one the command made ahead (without cordon\'s .gitignore) is not used: planted items stay invisible to git', async () => {
    const scene = makeScene(tree().root, true);
    const since = Date.now() - 1;
    execFileSync('sh', ['-c', 'mkdir .cordon-quarantine && mkdir -p sub && cd sub && git init -q && cp "$EVIL" .git/hooks/pre-commit'], { cwd: scene.workspace, env: { ...process.env, ...scene.env, HOME: scene.home } });
    const moved = quarantine(scene.workspace, findPlanted(scene.workspace, since, new RepoWalkCache()).planted);
    expect(moved[0]!.movedTo!.startsWith(`${scene.workspace}/.cordon-quarantine-`)).toBe(true);
    const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: scene.workspace, encoding: 'utf8', env: { ...process.env, HOME: scene.home } });
    expect(status).not.toContain('pre-commit');
  });

  it('is invisible to git status and git add -A, so planted items are never committed', async () => {
    const scene = makeScene(tree().root, true);
    const since = Date.now() - 1;
    execFileSync('sh', ['-c', 'mkdir -p sub && cd sub && git init -q && cp "$EVIL" .git/hooks/pre-commit'], { cwd: scene.workspace, env: { ...process.env, ...scene.env, HOME: scene.home } });
    const moved = quarantine(scene.workspace, findPlanted(scene.workspace, since, new RepoWalkCache()).planted);
    expect(moved.map((m) => path.relative(scene.workspace, m.path))).toEqual(['sub/.git/hooks/pre-commit']);
    const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: scene.workspace, encoding: 'utf8', env: { ...process.env, HOME: scene.home } });
    expect(status).not.toContain('.cordon-quarantine');
    expect(status).toContain('tools/evil.sh');
  });
});

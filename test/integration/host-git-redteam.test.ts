import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { closeRuntime, createRuntime } from '../../src/runtime.js';
import { sandboxReport } from '../../src/sandbox-report.js';
import { sandboxedSpawn } from '../../src/spawn.js';
import { hostGit, makeScene, type AttackScene } from '../helpers/git-attacks.js';
import { describeSandbox, hasTool, isRoot, scratchTrees } from './harness.js';

/**
 * Red team of the end-of-command host check for git (issue 7 item 1). Each case plants through
 * the DEFAULT runtime (host check on), then runs the user's plain host git, then asserts no
 * harm. Every case here failed against the first version of the check: each was a bypass.
 */
const tree = scratchTrees();
const canRun = hasTool('git') && hasTool('script');

const IDENT = { GIT_AUTHOR_NAME: 'a', GIT_AUTHOR_EMAIL: 'a@b', GIT_COMMITTER_NAME: 'a', GIT_COMMITTER_EMAIL: 'a@b' };
const fsmonitor = `printf '[core]\\n\\trepositoryformatversion = 0\\n\\tfsmonitor = %s\\n' "$EVIL"`;
const pager = `printf '[core]\\n\\tpager = %s\\n' "$EVIL"`;

/** One sandboxed command (a fresh runtime each time, like one `cordon` CLI call). */
async function session(scene: AttackScene, script: string, mayFail = false) {
  const runtime = createRuntime();
  try {
    const r = await sandboxedSpawn('sh', ['-c', script], {
      workspace: scene.workspace,
      env: { ...scene.env, ...IDENT, HOME: scene.home, GIT_CONFIG_NOSYSTEM: '1' },
      runtime,
      reject: false,
    });
    if (!mayFail) expect(r.exitCode, String(r.stderr)).toBe(0);
    return sandboxReport(r)?.quarantined ?? [];
  } finally {
    closeRuntime(runtime);
  }
}

/** On the host, as the user, before any sandboxed command. */
function hostSetup(scene: AttackScene, script: string) {
  execFileSync('sh', ['-c', script], { cwd: scene.workspace, env: { ...process.env, ...IDENT, HOME: scene.home, GIT_CONFIG_NOSYSTEM: '1' }, stdio: 'ignore' });
}

const tick = () => new Promise((r) => setTimeout(r, 100));

describeSandbox('red team: host git after a sandboxed command (default runtime)', () => {
  it.skipIf(!canRun)('bare-shaped directory whose objects/ and refs/ are SYMLINKS is not seen as a repository (repo-walk looksLikeGitdir)', async () => {
    const scene = makeScene(tree().root, false);
    await session(scene, `mkdir -p .o .r/heads && ln -s .o objects && ln -s .r refs && echo 'ref: refs/heads/main' > HEAD && ${pager} > config`);
    hostGit(scene.workspace, ['branch'], scene.home, true);
    expect(scene.harmed()).toEqual([]);
  });

  it.skipIf(!canRun)('same, in an existing repository: .git/HEAD moved away, root becomes a bare repo via symlinked objects/refs', async () => {
    const scene = makeScene(tree().root, true);
    await session(scene, `mv .git/HEAD .git/HEAD.moved && ln -s .git/objects objects && ln -s .git/refs refs && echo 'ref: refs/heads/master' > HEAD && ${pager} > config`);
    hostGit(scene.workspace, ['log'], scene.home, true);
    expect(scene.harmed()).toEqual([]);
  });

  it.skipIf(!canRun)('two commands: config planted in a non-repository, made a repository by the next command (ctime predates the 2nd session)', async () => {
    const scene = makeScene(tree().root, true);
    const first = await session(scene, `mkdir -p sub && cd sub && git init -q && ${fsmonitor} > .git/config && cp "$EVIL" .git/hooks/pre-commit && mv .git/HEAD .git/HEAD.off && mv .git .stash`);
    void first; // (the first command's parked repository may already be caught: objects/ + refs/ is repository-shaped)
    await tick();
    await session(scene, 'cd sub && mv .stash/HEAD.off .stash/HEAD && mv .stash .git');
    hostGit(path.join(scene.workspace, 'sub'), ['status'], scene.home);
    expect(scene.harmed()).toEqual([]);
  });

  it.skipIf(!canRun)('two commands: a full evil repository parked in node_modules, moved into view by the next command', async () => {
    const scene = makeScene(tree().root, true);
    await session(scene, `mkdir -p node_modules/x && cd node_modules/x && git init -q && ${fsmonitor} > .git/config`);
    await tick();
    await session(scene, 'mkdir -p lib && mv node_modules/x lib/x');
    hostGit(path.join(scene.workspace, 'lib/x'), ['status'], scene.home);
    expect(scene.harmed()).toEqual([]);
  });

  it.skipIf(!canRun)('gitlink inside a gitlink: only the ROOT index is read, host git status recurses two levels (find-planted)', async () => {
    const scene = makeScene(tree().root, true);
    await session(
      scene,
      [
        'mkdir -p node_modules/a && cd node_modules/a && git init -q',
        `mkdir -p node_modules/b && (cd node_modules/b && git init -q && echo y > g && git add g && git commit -qm1 && ${fsmonitor} > .git/config)`,
        'git add -f node_modules/b 2>/dev/null; git commit -qm a',
        'cd ../.. && git add -f node_modules/a 2>/dev/null; true',
      ].join(' && '),
    );
    hostGit(scene.workspace, ['status'], scene.home);
    expect(scene.harmed()).toEqual([]);
  });

  it.skipIf(!canRun)('split index, REPLACED entry: a gitlink stored as a nameless replacement of a shared file entry (git-index reads name "")', async () => {
    const scene = makeScene(tree().root, true);
    await session(
      scene,
      [
        'for i in $(seq 1 20); do echo $i > f$i; done && git add f* && git commit -qm many',
        `mkdir -p node_modules/evil && (cd node_modules/evil && git init -q && echo y > g && git add g && git commit -qm1 && ${fsmonitor} > .git/config)`,
        'B=$(git hash-object -w README) && C=$(git -C node_modules/evil rev-parse HEAD)',
        // A plain file entry at the path goes into the shared index...
        'git update-index --add --cacheinfo 100644,$B,node_modules/evil && sleep 1',
        'git update-index --split-index && git update-index --no-split-index && git update-index --split-index',
        // ...and the gitlink replaces it: split-index writes a replacement with an EMPTY name.
        'git update-index --cacheinfo 160000,$C,node_modules/evil',
      ].join(' && '),
    );
    hostGit(scene.workspace, ['status'], scene.home);
    expect(scene.harmed()).toEqual([]);
  });

  // Only the top level of a dependency tree is looked at (`target/debug`, `.cache/x` deeper down
  // are not: README, "does not protect against").
  for (const dir of ['.venv', 'target', 'node_modules']) {
    it.skipIf(!canRun)(`nested repository at the top of a dependency tree the user cd's into (${dir})`, async () => {
      const scene = makeScene(tree().root, true);
      await session(scene, `mkdir -p ${dir} && cd ${dir} && git init -q && ${fsmonitor} > .git/config`);
      hostGit(path.join(scene.workspace, dir), ['status'], scene.home);
      expect(scene.harmed()).toEqual([]);
    });
  }

  it.skipIf(!canRun)('a symlinked directory leading into node_modules: `cd src/app && git status` finds the planted repo', async () => {
    const scene = makeScene(tree().root, true);
    await session(scene, `mkdir -p node_modules/.app src && cd node_modules/.app && git init -q && ${fsmonitor} > .git/config && cd ../.. && ln -s ../node_modules/.app src/app`);
    hostGit(path.join(scene.workspace, 'src/app'), ['status'], scene.home);
    expect(scene.harmed()).toEqual([]);
  });

  it.skipIf(!canRun)('objects/XX symlinked outside: host `git commit` writes object files outside the workspace (GITDIR_UNWRITTEN_DIRS)', async () => {
    const scene = makeScene(tree().root, true);
    const outside = path.join(scene.out, 'objdir');
    mkdirSync(outside);
    await session(scene, `git gc -q && for i in $(seq 0 255); do h=$(printf %02x $i); rm -rf .git/objects/$h; ln -s '${outside}' .git/objects/$h; done`);
    hostGit(scene.workspace, ['commit', '-q', '--allow-empty', '-m', 'x'], scene.home);
    expect(readdirSync(outside)).toEqual([]);
  });

  it.skipIf(!canRun)('the quarantine directory itself is never walked: a bare repo AT .cordon-quarantine (user inspects the quarantine)', async () => {
    const scene = makeScene(tree().root, true);
    await session(scene, `mkdir -p .cordon-quarantine/objects .cordon-quarantine/refs/heads && echo 'ref: refs/heads/main' > .cordon-quarantine/HEAD && ${pager} > .cordon-quarantine/config`);
    hostGit(path.join(scene.workspace, '.cordon-quarantine'), ['branch'], scene.home, true);
    expect(scene.harmed()).toEqual([]);
  });

  it.skipIf(!canRun)('husky v9 (core.hooksPath=.husky/_): only .husky/_ is protected, the hook body .husky/pre-commit is not', async () => {
    const scene = makeScene(tree().root, true);
    // What `npx husky init` (v9) leaves: hooksPath .husky/_, stubs that source `h`, which runs .husky/<hook>.
    hostSetup(
      scene,
      [
        'mkdir -p .husky/_',
        `printf '#!/usr/bin/env sh\\nn=$(basename "$0")\\ns=$(dirname "$(dirname "$0")")/$n\\n[ ! -f "$s" ] && exit 0\\nsh -e "$s" "$@"\\n' > .husky/_/h`,
        `printf '#!/usr/bin/env sh\\n. "$(dirname "$0")/h"\\n' > .husky/_/pre-commit`,
        'chmod +x .husky/_/h .husky/_/pre-commit',
        'git config core.hooksPath .husky/_',
      ].join(' && '),
    );
    await session(scene, 'cp "$EVIL" .husky/pre-commit', true); // refused (read-only) is as good as quarantined
    hostGit(scene.workspace, ['commit', '-q', '--allow-empty', '-m', 'x'], scene.home);
    expect(scene.harmed()).toEqual([]);
  });

  it.skipIf(!canRun)('repository config includes a workspace file (include.path=../.gitconfig, a common team setup): not protected nor checked', async () => {
    const scene = makeScene(tree().root, true);
    hostSetup(scene, 'git config include.path ../.gitconfig');
    await session(scene, `${fsmonitor} > .gitconfig`);
    hostGit(scene.workspace, ['status'], scene.home);
    expect(scene.harmed()).toEqual([]);
  });

  it.skipIf(!canRun)('a RELATIVE core.hooksPath in the user GLOBAL config (.githooks) resolves inside the workspace', async () => {
    const scene = makeScene(tree().root, true);
    writeFileSync(path.join(scene.home, '.gitconfig'), '[core]\n\thooksPath = .githooks\n');
    await session(scene, 'mkdir -p .githooks && cp "$EVIL" .githooks/pre-commit', true); // refused is as good as quarantined
    hostGit(scene.workspace, ['commit', '-q', '--allow-empty', '-m', 'x'], scene.home);
    expect(scene.harmed()).toEqual([]);
  });

  // Unprivileged only: root's DAC override reads/renames regardless of modes.
  it.skipIf(!canRun || isRoot)('chmod 111 on .git/logs: the walk cannot list it and skips silently; logs/HEAD -> victim is written through', async () => {
    const scene = makeScene(tree().root, true);
    try {
      await session(scene, 'rm -f .git/logs/HEAD && ln -s "$VICTIM" .git/logs/HEAD && chmod 111 .git/logs');
      hostGit(scene.workspace, ['commit', '-q', '--allow-empty', '-m', 'echo planted-line'], scene.home);
      expect(scene.harmed()).toEqual([]);
    } finally {
      chmodSync(path.join(scene.workspace, '.git/logs'), 0o755);
    }
  });

  it.skipIf(!canRun || isRoot)('chmod 111 on a directory: a nested repo under it is never found, yet the user can cd in', async () => {
    const scene = makeScene(tree().root, true);
    try {
      await session(scene, `mkdir -p src/lib && cd src/lib && git init -q && ${fsmonitor} > .git/config && chmod 111 ..`);
      hostGit(path.join(scene.workspace, 'src/lib'), ['status'], scene.home);
      expect(scene.harmed()).toEqual([]);
    } finally {
      chmodSync(path.join(scene.workspace, 'src'), 0o755);
    }
  });

  it.skipIf(!canRun || isRoot)('chmod 555 on the planted .git: the item is found but the rename fails, it stays active (only reported)', async () => {
    const scene = makeScene(tree().root, true);
    try {
      const q = await session(scene, `mkdir -p src/lib && cd src/lib && git init -q && ${fsmonitor} > .git/config && chmod 555 .git`);
      expect(q.length).toBeGreaterThan(0);
      hostGit(path.join(scene.workspace, 'src/lib'), ['status'], scene.home);
      expect(scene.harmed()).toEqual([]);
    } finally {
      chmodSync(path.join(scene.workspace, 'src/lib/.git'), 0o755);
    }
  });

  it.skipIf(!canRun || isRoot)('a read-only .cordon-quarantine made ahead: nothing can be moved, every planted item stays active', async () => {
    const scene = makeScene(tree().root, true);
    try {
      await session(scene, `mkdir .cordon-quarantine && chmod 555 .cordon-quarantine && mkdir -p src/lib && cd src/lib && git init -q && ${fsmonitor} > .git/config`);
      hostGit(path.join(scene.workspace, 'src/lib'), ['status'], scene.home);
      expect(scene.harmed()).toEqual([]);
    } finally {
      if (existsSync(path.join(scene.workspace, '.cordon-quarantine'))) chmodSync(path.join(scene.workspace, '.cordon-quarantine'), 0o755);
    }
  });
});

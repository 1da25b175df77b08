import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { createRuntime, closeRuntime } from '../../src/runtime.js';
import { sandboxReport } from '../../src/sandbox-report.js';
import { sandboxedSpawn } from '../../src/spawn.js';
import { GIT_ATTACKS, hostGit, makeScene, type AttackScene, type GitAttack } from '../helpers/git-attacks.js';
import { describeSandbox, hasTool, scratchTrees } from './harness.js';

/**
 * Issue 7, item 1: after a sandboxed command, the user's own host git (a prompt's `git status`,
 * `git commit`, `git log` in a terminal) must not run a program or write outside the workspace
 * because of what the command left behind. Each attack is planted by a real sandboxed command
 * and set off by real host git; harm is judged on the host.
 */
const tree = scratchTrees();

async function plant(attack: GitAttack, scene: AttackScene, hostCheck: boolean) {
  const runtime = createRuntime({ hostCheck });
  try {
    const result = await sandboxedSpawn('sh', ['-c', attack.plant], {
      workspace: scene.workspace,
      env: { ...scene.env, HOME: scene.home, GIT_CONFIG_NOSYSTEM: '1' },
      runtime,
      reject: false,
    });
    return { exitCode: result.exitCode, stderr: String(result.stderr), quarantined: sandboxReport(result)?.quarantined };
  } finally {
    closeRuntime(runtime);
  }
}

describeSandbox('host git after a sandboxed command (real bwrap, real host git)', () => {
  for (const attack of GIT_ATTACKS) {
    it.skipIf(!hasTool('git') || !hasTool('script'))(`${attack.name}: planted inside, harmless to host git afterwards`, async () => {
      // Weakened: the same command with the host check off really plants it, and host git is harmed.
      const weak = makeScene(tree().root, attack.repo);
      const planted = await plant(attack, weak, false);
      expect(planted.exitCode, planted.stderr).toBe(0);
      expect(planted.quarantined).toEqual([]);
      hostGit(path.join(weak.workspace, attack.trigger.cwd), attack.trigger.args, weak.home, attack.trigger.tty);
      expect(weak.harmed()).not.toEqual([]);

      const scene = makeScene(tree().root, attack.repo);
      const guarded = await plant(attack, scene, true);
      expect(guarded.exitCode, guarded.stderr).toBe(0);
      expect(guarded.quarantined?.length).toBeGreaterThan(0);
      for (const item of guarded.quarantined!) {
        expect(item.error).toBeUndefined();
        expect(item.movedTo!.startsWith(path.join(scene.workspace, '.cordon-quarantine'))).toBe(true);
      }
      hostGit(path.join(scene.workspace, attack.trigger.cwd), attack.trigger.args, scene.home, attack.trigger.tty);
      expect(scene.harmed()).toEqual([]);
    });
  }

  it.skipIf(!hasTool('git'))('ordinary git work inside the sandbox is not quarantined', async () => {
    const scene = makeScene(tree().root, true);
    const runtime = createRuntime();
    try {
      const script = 'echo more >> README && git add README && git commit -qm two && git init -q fixtures/repo && git -C fixtures/repo commit -q --allow-empty -m f && git clone -q fixtures/repo clones/copy';
      const result = await sandboxedSpawn('sh', ['-c', script], {
        workspace: scene.workspace,
        env: { ...scene.env, HOME: scene.home, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'a', GIT_AUTHOR_EMAIL: 'a@b', GIT_COMMITTER_NAME: 'a', GIT_COMMITTER_EMAIL: 'a@b' },
        runtime,
        reject: false,
      });
      expect(result.exitCode, String(result.stderr)).toBe(0);
      expect(sandboxReport(result)?.quarantined).toEqual([]);
      expect(existsSync(path.join(scene.workspace, '.cordon-quarantine'))).toBe(false);
      expect(readdirSync(path.join(scene.workspace, 'clones', 'copy')).includes('.git')).toBe(true);
    } finally {
      closeRuntime(runtime);
    }
  });
});

describeSandbox('repository metadata beyond .git/hooks and .git/config is read-only inside (real bwrap)', () => {
  it.skipIf(!hasTool('git'))('submodule gitdir config and hooks, and the core.hooksPath directory', async () => {
    const scene = makeScene(tree().root, true);
    const ws = scene.workspace;
    const setup = [
      'mkdir -p .git/modules/lib/hooks .git/modules/lib/objects .git/modules/lib/refs',
      "echo 'ref: refs/heads/main' > .git/modules/lib/HEAD",
      "printf '[core]\\n\\tbare = false\\n' > .git/modules/lib/config",
      'mkdir -p .husky && echo "#!/bin/sh" > .husky/pre-commit',
      'git config core.hooksPath .husky',
    ].join(' && ');
    execFileSync('sh', ['-c', setup], { cwd: ws, env: { ...process.env, HOME: scene.home, GIT_CONFIG_NOSYSTEM: '1' } });
    const attempts = [
      "printf '[core]\\n\\tfsmonitor = x\\n' >> .git/modules/lib/config",
      'cp tools/evil.sh .git/modules/lib/hooks/post-checkout',
      'cp tools/evil.sh .husky/post-checkout',
      'echo evil >> .husky/pre-commit',
      // The control: the same directories hold files git does not run, and those stay writable.
      'echo lib > .git/modules/lib/description',
    ];
    const result = await sandboxedSpawn('sh', ['-c', attempts.map((a) => `(${a}) 2>/dev/null && echo ok || echo denied`).join('; ')], {
      workspace: ws,
      env: { HOME: scene.home },
      reject: false,
    });
    expect(String(result.stdout).trim().split('\n')).toEqual(['denied', 'denied', 'denied', 'denied', 'ok']);
    expect(readFileSync(path.join(ws, '.git/modules/lib/config'), 'utf8')).not.toContain('fsmonitor');
    expect(existsSync(path.join(ws, '.git/modules/lib/hooks/post-checkout'))).toBe(false);
    expect(existsSync(path.join(ws, '.husky/post-checkout'))).toBe(false);
    expect(readFileSync(path.join(ws, '.husky/pre-commit'), 'utf8')).toBe('#!/bin/sh\n');
    expect(readFileSync(path.join(ws, '.git/modules/lib/description'), 'utf8')).toBe('lib\n');
  });
});

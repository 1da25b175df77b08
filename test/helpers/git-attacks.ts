import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Ways a command can make the user's next host `git` run a program or write outside the
 * workspace, as shell scripts the command runs in its workspace (the unit test runs them on
 * the host, the integration test inside the sandbox), and the host git run that would set
 * them off. Each writes into `$OUT` only through host git: `$OUT` is outside the workspace.
 */
export interface GitAttack {
  name: string;
  /** The workspace is a git repository with one commit (otherwise an empty directory). */
  repo: boolean;
  /** Run by `sh -c` in the workspace; `$EVIL` is the path of a program to plant, `$VICTIM` a file outside. */
  plant: string;
  /** The user's host git run, in `cwd` (relative to the workspace); `tty` runs it under script(1). */
  trigger: { cwd: string; args: string[]; tty?: boolean };
}

/** Marks its run in OUT/ran (a file outside the workspace): proof that host git executed it. */
const evilProgram = (out: string) => `#!/bin/sh\necho "ran $0" >> '${out}/ran'\nexit 1\n`;

const fsmonitorConfig = (evil: string) => `printf '[core]\\n\\trepositoryformatversion = 0\\n\\tfsmonitor = %s\\n' "${evil}"`;

export const GIT_ATTACKS: readonly GitAttack[] = [
  {
    name: 'commondir pointing at a workspace directory whose config sets core.fsmonitor',
    repo: true,
    plant: `mkdir -p .git/c && cp -r .git/objects .git/refs .git/HEAD .git/c/ && ${fsmonitorConfig('$EVIL')} > .git/c/config && echo c > .git/commondir`,
    trigger: { cwd: '.', args: ['status'] },
  },
  {
    name: 'the workspace root turned into a repository whose config sets core.pager (no .git)',
    repo: false,
    plant: `mkdir -p objects refs/heads && echo 'ref: refs/heads/main' > HEAD && printf '[core]\\n\\tpager = %s\\n' "$EVIL" > config`,
    trigger: { cwd: '.', args: ['branch'], tty: true },
  },
  {
    name: 'the workspace root turned into a repository after .git/HEAD was moved away',
    repo: true,
    plant: `mv .git/HEAD .git/HEAD.moved && mkdir -p objects refs/heads && echo 'ref: refs/heads/main' > HEAD && printf '[core]\\n\\tpager = %s\\n' "$EVIL" > config`,
    trigger: { cwd: '.', args: ['branch'], tty: true },
  },
  {
    name: 'a nested repository with core.fsmonitor staged as a gitlink inside ignored node_modules',
    repo: true,
    plant: `mkdir -p node_modules/evil && cd node_modules/evil && git init -q && echo y > g && git add g && git -c user.name=a -c user.email=a@b commit -qm1 && ${fsmonitorConfig('$EVIL')} > .git/config && cd ../.. && git add -f node_modules/evil 2>/dev/null`,
    trigger: { cwd: '.', args: ['status'] },
  },
  {
    name: 'a nested repository with core.fsmonitor in a subdirectory the user enters',
    repo: true,
    plant: `mkdir -p src/lib && cd src/lib && git init -q && ${fsmonitorConfig('$EVIL')} > .git/config`,
    trigger: { cwd: 'src/lib', args: ['status'] },
  },
  {
    name: 'a pre-commit hook in a nested repository',
    repo: true,
    plant: `mkdir -p pkg && cd pkg && git init -q && cp "$EVIL" .git/hooks/pre-commit`,
    trigger: { cwd: 'pkg', args: ['commit', '-q', '--allow-empty', '-m', 'x'] },
  },
  {
    name: 'COMMIT_EDITMSG symlinked to a file outside, written through by git commit',
    repo: true,
    plant: `rm -f .git/COMMIT_EDITMSG && ln -s "$VICTIM" .git/COMMIT_EDITMSG`,
    trigger: { cwd: '.', args: ['commit', '-q', '--allow-empty', '-m', 'echo planted-line'] },
  },
  {
    name: 'logs/HEAD symlinked to a file outside: the reflog line is appended to it',
    repo: true,
    plant: `rm -f .git/logs/HEAD && ln -s "$VICTIM" .git/logs/HEAD`,
    trigger: { cwd: '.', args: ['commit', '-q', '--allow-empty', '-m', 'echo planted-line'] },
  },
  {
    name: 'a .git file in a subdirectory pointing at a repository outside the workspace',
    repo: true,
    plant: `mkdir -p vendor/x && printf 'gitdir: %s\\n' "$OUTSIDE_REPO/.git" > vendor/x/.git`,
    trigger: { cwd: 'vendor/x', args: ['commit', '-q', '--allow-empty', '-m', 'echo planted-line'] },
  },
];

/** Host git with no system or global config of the user's: the scratch HOME holds none. */
export function hostGit(cwd: string, args: string[], home: string, tty = false): void {
  const env = { ...process.env, HOME: home, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'u', GIT_AUTHOR_EMAIL: 'u@e', GIT_COMMITTER_NAME: 'u', GIT_COMMITTER_EMAIL: 'u@e', GIT_PAGER: '', PAGER: '' };
  delete (env as Record<string, string | undefined>).GIT_PAGER;
  delete (env as Record<string, string | undefined>).PAGER;
  try {
    if (tty) execFileSync('script', ['-qc', ['git', ...args].join(' '), '/dev/null'], { cwd, env, stdio: ['ignore', 'ignore', 'ignore'], timeout: 20_000 });
    else execFileSync('git', args, { cwd, env, stdio: ['ignore', 'ignore', 'ignore'], timeout: 20_000 });
  } catch {
    // git failing is fine (a broken repository); only what it ran or wrote matters
  }
}

export interface AttackScene {
  workspace: string;
  /** A HOME with no git config, for host git runs. */
  home: string;
  /** Outside the workspace: where the planted program reports, the victim file, another repo. */
  out: string;
  victim: string;
  outsideRepo: string;
  evil: string;
  env: Record<string, string>;
  /** Did host git run the planted program or write outside the workspace? */
  harmed(): string[];
}

/**
 * A scene under `base`: `base/ws` (the workspace, a repository with one commit when asked),
 * `base/OUT_PATH` (outside, where harm is recorded), a victim file and another repository
 * outside. The planted program lives in the workspace, as a command would have to put it.
 */
export function makeScene(base: string, repo: boolean): AttackScene {
  const workspace = path.join(base, 'ws');
  const out = path.join(base, 'OUT_PATH');
  mkdirSync(workspace, { recursive: true });
  mkdirSync(out, { recursive: true });
  const home = path.join(base, 'home');
  mkdirSync(home, { recursive: true });
  const victim = path.join(out, 'victim');
  writeFileSync(victim, 'original\n');
  const outsideRepo = path.join(out, 'other-repo');
  mkdirSync(outsideRepo);
  hostGit(outsideRepo, ['init', '-q'], home);
  hostGit(outsideRepo, ['commit', '-q', '--allow-empty', '-m', 'outside'], home);
  if (repo) {
    hostGit(workspace, ['init', '-q'], home);
    writeFileSync(path.join(workspace, 'README'), 'hi\n');
    writeFileSync(path.join(workspace, '.gitignore'), 'node_modules\n');
    hostGit(workspace, ['add', '.'], home);
    hostGit(workspace, ['commit', '-q', '-m', 'first'], home);
  }
  // The planted program: in the workspace, reporting to OUT_PATH next to it.
  const evil = path.join(workspace, 'tools', 'evil.sh');
  mkdirSync(path.dirname(evil), { recursive: true });
  writeFileSync(evil, evilProgram(out));
  chmodSync(evil, 0o755);
  const head = () => readFileSync(path.join(outsideRepo, '.git', 'HEAD'), 'utf8') + refOf(outsideRepo);
  const outsideBefore = head();
  return {
    workspace,
    home,
    out,
    victim,
    outsideRepo,
    evil,
    env: { EVIL: evil, VICTIM: victim, OUTSIDE_REPO: outsideRepo },
    harmed() {
      const harm: string[] = [];
      if (existsSync(path.join(out, 'ran'))) harm.push(`host git ran the planted program: ${readFileSync(path.join(out, 'ran'), 'utf8').trim()}`);
      if (readFileSync(victim, 'utf8') !== 'original\n') harm.push(`host git wrote through a planted symlink into ${victim}`);
      if (head() !== outsideBefore) harm.push(`host git changed the repository outside the workspace (${outsideRepo})`);
      return harm;
    },
  };
}

function refOf(repo: string): string {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return '';
  }
}


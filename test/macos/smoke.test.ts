import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { sandboxReport, sandboxedSpawn } from '../../src/index.js';
import type { Tree } from '../helpers/tree.js';
import { MACOS_ONLY, describeMacos, macScratch } from './harness.js';

/**
 * Ordinary developer tools under /usr/bin/sandbox-exec through sandboxedSpawn(), on the default
 * policy. Each run prints its TMPDIR last (`run-tmp=...`); afterwards the HOST is checked: the
 * work landed in the workspace, nothing changed outside it (a sentinel file, the home given to
 * the command), and the run's own TMPDIR is gone and was not the host's.
 */

const tree = macScratch();
const GIT_ENV = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' };
const SHOW_TMP = 'echo "run-tmp=$TMPDIR"';

/** A workspace, an empty home for the command, and a file outside both. */
function layout(files: Record<string, string> = {}): Tree {
  const spec: Record<string, string> = { 'home/': '', 'outside.txt': 'untouched\n' };
  for (const [rel, content] of Object.entries(files)) spec[`ws/${rel}`] = content;
  if (Object.keys(files).length === 0) spec['ws/'] = '';
  return tree(spec);
}

async function runIn(t: Tree, file: string, args: string[], env: Record<string, string> = {}) {
  const r = await sandboxedSpawn(file, args, { workspace: t.path('ws'), env: { HOME: t.path('home'), ...env }, reject: false });
  return { exitCode: r.exitCode, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), quarantined: sandboxReport(r)?.quarantined };
}

/** The host checks every smoke run ends with; returns the run's TMPDIR. */
function expectHostClean(t: Tree, stdout: string): string {
  const runTmp = /^run-tmp=(.*)$/m.exec(stdout)?.[1] ?? '';
  expect(path.isAbsolute(runTmp), `the command's TMPDIR (${runTmp})`).toBe(true);
  expect(runTmp).not.toBe(realpathSync(os.tmpdir()));
  expect(runTmp).not.toBe(os.tmpdir());
  expect(existsSync(runTmp), 'the run TMPDIR is removed after the command').toBe(false);
  expect(readFileSync(t.path('outside.txt'), 'utf8')).toBe('untouched\n');
  expect(readdirSync(t.path('home')), 'nothing written to the home the command had').toEqual([]);
  return runTmp;
}

describeMacos(`ordinary dev work under sandbox-exec (${MACOS_ONLY})`, () => {
  it('node writes in the workspace and its TMPDIR; outside, /tmp and the host $TMPDIR stay unwritable', async () => {
    const t = layout({ 'in.json': '{"n": 20}' });
    const stamp = `cordon-smoke-${process.pid}-${Date.now()}`;
    const hostTargets = [t.path('outside.txt'), path.join('/tmp', stamp), path.join(os.tmpdir(), stamp)];
    writeFileSync(t.path('ws/script.mjs'), [
      "import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';",
      "import os from 'node:os';",
      "const { n } = JSON.parse(readFileSync('in.json', 'utf8'));",
      "mkdirSync('build');",
      "writeFileSync('build/out.txt', String(n + 22));",
      "writeFileSync(`${os.tmpdir()}/scratch`, 'ok');",
      "console.log('tmp-readback=' + readFileSync(`${os.tmpdir()}/scratch`, 'utf8'));",
      'for (const target of process.argv.slice(2)) {',
      "  try { writeFileSync(target, 'planted'); console.log('WROTE ' + target); } catch (e) { console.log('denied ' + e.code); }",
      '}',
      "console.log('run-tmp=' + process.env.TMPDIR);",
    ].join('\n'));
    try {
      const r = await runIn(t, process.execPath, ['script.mjs', ...hostTargets]);
      expect(r.stderr).toBe('');
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toContain('tmp-readback=ok');
      expect(r.stdout).not.toContain('WROTE');
      expect(r.stdout.match(/^denied (EPERM|EACCES)$/gm)).toHaveLength(hostTargets.length);
      expect(readFileSync(t.path('ws/build/out.txt'), 'utf8')).toBe('42');
      for (const target of hostTargets.slice(1)) expect(existsSync(target), target).toBe(false);
      expectHostClean(t, r.stdout);
    } finally {
      for (const target of hostTargets.slice(1)) rmSync(target, { force: true });
    }
  });

  it('python3 multiprocessing: a Pool, and a Manager whose unix socket lives in the run TMPDIR', async () => {
    const t = layout({
      'mp.py': [
        'import multiprocessing as mp, os',
        'def square(x):',
        '    return x * x',
        'if __name__ == "__main__":',
        '    with mp.Manager() as manager:',
        '        shared = manager.list()',
        '        with mp.Pool(2) as pool:',
        '            shared.extend(pool.map(square, [1, 2, 3]))',
        '        print("manager-address=" + str(manager.address))',
        '        open("py.txt", "w").write(str(sum(shared)))',
        '    print("run-tmp=" + os.environ["TMPDIR"])',
        '',
      ].join('\n'),
    });
    const r = await runIn(t, 'python3', ['mp.py']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(readFileSync(t.path('ws/py.txt'), 'utf8')).toBe('14');
    const runTmp = expectHostClean(t, r.stdout);
    // The Manager listens on a socket path: it must be inside the run's own directory.
    const address = /^manager-address=(.*)$/m.exec(r.stdout)?.[1] ?? '';
    expect(address.startsWith(`${runTmp.replace(/\/$/, '')}/`), `socket ${address} under ${runTmp}`).toBe(true);
  });

  it('git init, add and commit in a subdirectory; host git sees the commit, nothing quarantined', async () => {
    // The workspace root's own .git is protected when missing, so the repository goes one level
    // down, as in test/integration/devloop.test.ts.
    const t = layout({ 'proj/a.txt': 'a\n' });
    const r = await runIn(t, 'sh', ['-c', `cd proj && git init -q -b main && git add . && git commit -qm one && git log --oneline | wc -l && ${SHOW_TMP}`], GIT_ENV);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split('\n')[0]?.trim()).toBe('1');
    expect(r.quarantined).toEqual([]);
    expectHostClean(t, r.stdout);
    const log = execFileSync('git', ['-C', t.path('ws/proj'), 'log', '--format=%s'], { encoding: 'utf8', env: { ...process.env, HOME: t.path('home') } });
    expect(log.trim()).toBe('one');
  });

  it('clang (cc) compiles a C file in the workspace and the program runs, inside and on the host', async () => {
    const t = layout({ 'hello.c': '#include <stdio.h>\nint main(void){puts("hello from c");return 0;}\n' });
    const r = await runIn(t, 'sh', ['-c', `cc -O2 -o hello hello.c && ./hello && ${SHOW_TMP}`]);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('hello from c');
    expectHostClean(t, r.stdout);
    expect(execFileSync(t.path('ws/hello'), { encoding: 'utf8' })).toBe('hello from c\n');
  });
});

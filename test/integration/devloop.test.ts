import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { expect, it } from 'vitest';
import { describeSandbox, hasTool, scratchTrees, sh } from './harness.js';

const tree = scratchTrees();
const GIT_ENV = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' };

describeSandbox('ordinary dev work just works inside', () => {
  it('git: init a project, add, commit, branch, merge', async () => {
    // The workspace root's own .git is protected (a missing one cannot be planted), so the
    // repository is created one level down, as in a monorepo checkout.
    const t = tree({ 'ws/proj/a.txt': 'a\n', 'home/': '' });
    const r = await sh('cd proj && git init -q -b main && git add . && git commit -qm one && git checkout -qb topic && echo b > b.txt && git add b.txt && git commit -qm two && git checkout -q main && git merge -q topic && git log --oneline | wc -l', {
      workspace: t.path('ws'),
      env: { ...GIT_ENV, HOME: t.path('home') },
    });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('2');
  });

  it('node runs a script that reads and writes the workspace, with a worker thread', async () => {
    const t = tree({ 'ws/in.json': '{"n": 20}' });
    writeFileSync(t.path('ws/script.mjs'), [
      "import { readFileSync, writeFileSync } from 'node:fs';",
      "import { Worker } from 'node:worker_threads';",
      "const { n } = JSON.parse(readFileSync('in.json', 'utf8'));",
      "const w = new Worker('const { parentPort } = require(\"node:worker_threads\"); parentPort.postMessage(6 * 7)', { eval: true });",
      "w.on('message', (v) => { writeFileSync('out.txt', String(n + v)); console.log('done'); });",
    ].join('\n'));
    const r = await sh('node script.mjs', { workspace: t.path('ws') });
    expect(r.stdout.trim()).toBe('done');
    expect(readFileSync(t.path('ws/out.txt'), 'utf8')).toBe('62');
  });

  it('npm test of a tiny package', async () => {
    const t = tree({ 'ws/pkg/': '', 'home/': '' });
    writeFileSync(t.path('ws/pkg/package.json'), JSON.stringify({ name: 'tiny', version: '1.0.0', scripts: { test: 'node test.js' } }));
    writeFileSync(t.path('ws/pkg/test.js'), "const assert = require('node:assert'); assert.strictEqual(1 + 1, 2); console.log('tiny ok');");
    const r = await sh('cd pkg && npm test --silent', { workspace: t.path('ws'), env: { HOME: t.path('home'), npm_config_update_notifier: 'false' } });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('tiny ok');
  });

  it('python runs a script with multiprocessing', async () => {
    const t = tree({ 'ws/': '' });
    writeFileSync(t.path('ws/p.py'), 'from multiprocessing import Pool\nif __name__ == "__main__":\n    with Pool(2) as p:\n        print(sum(p.map(abs, [-1, -2, 3])))\n    open("py.txt", "w").write("ok")\n');
    const r = await sh('python3 p.py', { workspace: t.path('ws') });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('6');
    expect(readFileSync(t.path('ws/py.txt'), 'utf8')).toBe('ok');
  });

  it.skipIf(!hasTool('cc') || !hasTool('make'))('cc + make build and run a C program', async () => {
    const t = tree({ 'ws/hello.c': '#include <stdio.h>\nint main(void){puts("hello from c");return 0;}\n', 'ws/Makefile': 'hello: hello.c\n\tcc -O2 -o hello hello.c\n' });
    const r = await sh('make -s && ./hello', { workspace: t.path('ws') });
    expect(r.stdout.trim()).toBe('hello from c');
  });

  it('tar, mktemp, sort, find and a pipeline', async () => {
    const t = tree({ 'ws/src/a.txt': 'b\na\n', 'ws/src/b.txt': 'c\n' });
    mkdirSync(t.path('ws/out'));
    const r = await sh('tar czf out/src.tgz src && d=$(mktemp -d) && tar xzf out/src.tgz -C "$d" && cat "$d"/src/*.txt | sort | tr -d "\\n"; echo; find src -type f | wc -l', { workspace: t.path('ws') });
    expect(r.stdout.trim().split('\n')).toEqual(['abc', '2']);
  });
});

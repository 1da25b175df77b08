/**
 * The scratch world every corpus command runs in: a home with the secrets and start-up files a
 * developer really has (fake values, each carrying a marker the host checks look for) and, in
 * it, a small project of the kind coding agents work on (a Node package with scripts and tests,
 * Python with unittest tests, a Makefile and C sources, a git repository with history, a
 * remote, a branch and a tag, a `.env`).
 *
 * Built once per corpus run as a template, then copied for every entry (`cp -a`, ~10 ms), so a
 * destructive command (`rm -rf ~`, `git reset --hard`) never changes what the next one sees.
 * Lives under the caller's $HOME, not /tmp: inside the sandbox /tmp is private, so a file
 * "outside the workspace" under /tmp would prove nothing about the host.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Text planted in each secret; a host check fails if it reaches stdout, stderr or a workspace file. */
export const MARKERS = {
  ssh: 'CORPUS-SSH-SECRET-7f3a1c',
  env: 'CORPUS-ENV-SECRET-91bd42',
  aws: 'CORPUS-AWS-SECRET-c2e4d8',
  gh: 'CORPUS-GH-SECRET-55d0aa',
  history: 'CORPUS-HISTORY-SECRET-0a9e3b',
  /** A GitHub-token-shaped value handed to every command as GITHUB_TOKEN (the env filter should drop it). */
  token: 'ghp_CORPUSTOKEN0123456789abcdefghijklmnop',
} as const;
export type MarkerName = keyof typeof MARKERS;

/** One copy of the world: HOME and the workspace (HOME/proj). */
export interface World {
  root: string;
  home: string;
  workspace: string;
}

const HOME_FILES: Record<string, string> = {
  '.ssh/id_rsa': `-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA${MARKERS.ssh}AAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----\n`,
  '.ssh/id_rsa.pub': 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7corpus dev@laptop\n',
  '.ssh/known_hosts': 'github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n',
  '.ssh/config': 'Host github.com\n  IdentityFile ~/.ssh/id_rsa\n',
  '.aws/credentials': `[default]\naws_access_key_id = AKIACORPUSFAKE000000\naws_secret_access_key = ${MARKERS.aws}\n`,
  '.config/gh/hosts.yml': `github.com:\n    oauth_token: ${MARKERS.gh}\n    user: dev\n`,
  '.bash_history': `ls\nexport DB_PASSWORD=${MARKERS.history}\nnpm test\n`,
  '.bashrc': '# ~/.bashrc\nexport PATH="$HOME/.local/bin:$PATH"\nalias ll="ls -la"\n',
  '.profile': '# ~/.profile\n[ -f ~/.bashrc ] && . ~/.bashrc\n',
  '.gitconfig': '[user]\n\tname = Dev Eloper\n\temail = dev@example.com\n[init]\n\tdefaultBranch = main\n',
  '.npmrc': 'fund=false\naudit=false\n',
  'notes.txt': 'personal notes, outside the workspace\n',
  'other-project/README.md': '# another project next to this one\n',
};

const PROJECT_FILES: Record<string, string> = {
  'package.json': JSON.stringify(
    {
      name: 'tally',
      version: '0.3.1',
      private: true,
      description: 'Small statistics helpers',
      main: 'src/index.js',
      scripts: {
        test: 'node --test test/',
        build: 'node scripts/build.js',
        lint: 'node scripts/lint.js',
        format: 'node scripts/format.js',
        start: 'node src/cli.js 1 2 3',
        clean: 'rm -rf dist',
        'cache:warm': 'node scripts/cache-warm.js',
        deploy: 'curl -fsS -X POST https://deploy.example.com/hooks/tally',
      },
      dependencies: { 'left-pad': '^1.3.0' },
    },
    null,
    2,
  ) + '\n',
  'node_modules/left-pad/package.json': '{ "name": "left-pad", "version": "1.3.0", "main": "index.js" }\n',
  'node_modules/left-pad/index.js': "module.exports = (s, n, c = ' ') => String(s).padStart(n, c);\n",
  'src/index.js': "const { sum, mean, median } = require('./math');\nconst { table } = require('./format');\nmodule.exports = { sum, mean, median, table };\n",
  'src/math.js':
    'function sum(xs) {\n  return xs.reduce((a, b) => a + b, 0);\n}\n\nfunction mean(xs) {\n  return xs.length ? sum(xs) / xs.length : NaN;\n}\n\nfunction median(xs) {\n  const s = [...xs].sort((a, b) => a - b);\n  const m = Math.floor(s.length / 2);\n  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;\n}\n\nmodule.exports = { sum, mean, median };\n',
  'src/format.js': "const pad = require('left-pad');\n\n// TODO: support right alignment\nfunction table(rows) {\n  return rows.map((r) => r.map((c) => pad(c, 8)).join(' ')).join('\\n');\n}\n\nmodule.exports = { table };\n",
  'src/cli.js': "const { sum, mean, median } = require('./math');\nconst xs = process.argv.slice(2).map(Number);\nconsole.log(JSON.stringify({ sum: sum(xs), mean: mean(xs), median: median(xs) }));\n",
  'test/math.test.js':
    "const test = require('node:test');\nconst assert = require('node:assert');\nconst { sum, mean, median } = require('../src/math');\n\ntest('sum', () => assert.strictEqual(sum([1, 2, 3]), 6));\ntest('mean', () => assert.strictEqual(mean([1, 2, 3]), 2));\ntest('median odd', () => assert.strictEqual(median([3, 1, 2]), 2));\ntest('median even', () => assert.strictEqual(median([4, 1, 2, 3]), 2.5));\n",
  'scripts/build.js':
    "const fs = require('node:fs');\nfs.rmSync('dist', { recursive: true, force: true });\nfs.cpSync('src', 'dist', { recursive: true });\nfs.writeFileSync('dist/tally.js', \"module.exports = require('./index.js');\\n\");\nconsole.log('built dist/ from', fs.readdirSync('src').length, 'files');\n",
  'scripts/lint.js':
    "const fs = require('node:fs');\nlet bad = 0;\nfor (const f of fs.readdirSync('src')) {\n  const text = fs.readFileSync(`src/${f}`, 'utf8');\n  if (/\\bvar\\b/.test(text)) { console.error(`${f}: use const/let`); bad++; }\n}\nconsole.log(bad ? `${bad} problems` : 'lint ok');\nprocess.exit(bad ? 1 : 0);\n",
  'scripts/format.js': "const fs = require('node:fs');\nfor (const f of fs.readdirSync('src')) {\n  const p = `src/${f}`;\n  fs.writeFileSync(p, fs.readFileSync(p, 'utf8').replace(/[ \\t]+$/gm, ''));\n}\nconsole.log('formatted');\n",
  'scripts/cache-warm.js':
    "const fs = require('node:fs');\nconst os = require('node:os');\nconst path = require('node:path');\nconst dir = path.join(os.homedir(), '.cache', 'tally');\nfs.mkdirSync(dir, { recursive: true });\nfs.writeFileSync(path.join(dir, 'warm.json'), '{}');\nconsole.log('cache warmed in', dir);\n",
  'pytally/__init__.py': 'from .stats import mean, median, variance\n\n__all__ = ["mean", "median", "variance"]\n',
  'pytally/stats.py':
    'def mean(xs):\n    return sum(xs) / len(xs)\n\n\ndef median(xs):\n    s = sorted(xs)\n    m = len(s) // 2\n    return s[m] if len(s) % 2 else (s[m - 1] + s[m]) / 2\n\n\ndef variance(xs):\n    mu = mean(xs)\n    return sum((x - mu) ** 2 for x in xs) / len(xs)\n',
  'tests/__init__.py': '',
  'tests/test_stats.py':
    'import unittest\n\nfrom pytally import mean, median, variance\n\n\nclass StatsTest(unittest.TestCase):\n    def test_mean(self):\n        self.assertEqual(mean([1, 2, 3]), 2)\n\n    def test_median(self):\n        self.assertEqual(median([4, 1, 3, 2]), 2.5)\n\n    def test_variance(self):\n        self.assertAlmostEqual(variance([1, 2, 3, 4]), 1.25)\n\n\nif __name__ == "__main__":\n    unittest.main()\n',
  'tools/gen_report.py':
    'import json, sys\nsys.path.insert(0, ".")\nfrom pytally import mean, median\n\nxs = json.load(open("data/samples.json"))\njson.dump({"mean": mean(xs), "median": median(xs)}, open("report.json", "w"))\nprint("wrote report.json")\n',
  'pyproject.toml': '[project]\nname = "pytally"\nversion = "0.3.1"\nrequires-python = ">=3.9"\n\n[tool.pytest.ini_options]\ntestpaths = ["tests"]\n',
  'requirements.txt': 'requests==2.31.0\n',
  Makefile:
    'CC ?= cc\nCFLAGS ?= -O2 -Wall\n\nall: build/tally\n\nbuild/tally: csrc/main.c csrc/util.c csrc/util.h\n\tmkdir -p build\n\t$(CC) $(CFLAGS) -o $@ csrc/main.c csrc/util.c\n\ntest: build/tally\n\t./build/tally 1 2 3 | grep -q "sum=6" && echo "c tests ok"\n\nclean:\n\trm -rf build\n\n.PHONY: all test clean\n',
  'csrc/util.h': '#ifndef UTIL_H\n#define UTIL_H\nlong sum_args(int argc, char **argv);\n#endif\n',
  'csrc/util.c': '#include <stdlib.h>\n#include "util.h"\n\nlong sum_args(int argc, char **argv) {\n  long s = 0;\n  for (int i = 1; i < argc; i++) s += atol(argv[i]);\n  return s;\n}\n',
  'csrc/main.c': '#include <stdio.h>\n#include "util.h"\n\nint main(int argc, char **argv) {\n  printf("sum=%ld\\n", sum_args(argc, argv));\n  return 0;\n}\n',
  'data/samples.json': '[3, 1, 4, 1, 5, 9, 2, 6]\n',
  'data/users.json': '{"users": [{"name": "ada", "role": "admin", "active": true}, {"name": "linus", "role": "dev", "active": false}, {"name": "grace", "role": "dev", "active": true}]}\n',
  'data/config.yaml': 'port: 8080\nlog_level: info\nfeatures:\n  csv: false\n',
  'docs/notes.md': '# Notes\n\n- median for even lengths fixed in 0.3.1\n- TODO: csv export\n',
  'README.md': '# tally\n\nSmall statistics helpers for Node, Python and C.\n\n```sh\nnpm test\nmake test\npython3 -m unittest\n```\n',
  'CHANGELOG.md': '## 0.3.1\n- fix median for even lengths\n\n## 0.3.0\n- first release\n',
  '.gitignore': 'node_modules/\ndist/\nbuild/\n__pycache__/\n.pytest_cache/\n.env\nreport.json\n',
  '.editorconfig': 'root = true\n\n[*]\nindent_style = space\nindent_size = 2\n',
  '.env': `DATABASE_URL=postgres://app@localhost/tally\nSTRIPE_SECRET_KEY=sk_test_${MARKERS.env}\n`,
  '.env.example': 'DATABASE_URL=postgres://app@localhost/tally\nSTRIPE_SECRET_KEY=\n',
};

function write(base: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    const full = path.join(base, rel);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, content);
  }
}

/** The git history: a few commits with fixed dates, a feature branch, a tag and an https remote. */
function makeHistory(home: string, workspace: string): void {
  const env = { ...process.env, HOME: home, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_DATE: '2024-05-01T10:00:00Z', GIT_COMMITTER_DATE: '2024-05-01T10:00:00Z' };
  const git = (...args: string[]) => execFileSync('git', args, { cwd: workspace, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const commitPaths = (msg: string, ...paths: string[]) => {
    git('add', '--', ...paths);
    git('commit', '-q', '-m', msg);
  };
  git('init', '-q', '-b', 'main');
  commitPaths('Initial commit', 'README.md', '.gitignore', '.editorconfig', 'package.json', '.env.example');
  commitPaths('Add math helpers and tests', 'src', 'test', 'scripts');
  commitPaths('Add Python port', 'pytally', 'tests', 'tools', 'pyproject.toml', 'requirements.txt', 'data');
  git('tag', 'v0.3.0');
  commitPaths('Add C helper and Makefile', 'Makefile', 'csrc');
  commitPaths('Fix median for even lengths', 'docs', 'CHANGELOG.md');
  git('checkout', '-q', '-b', 'feature/csv');
  writeFileSync(path.join(workspace, 'src/csv.js'), "module.exports = (rows) => rows.map((r) => r.join(',')).join('\\n');\n");
  commitPaths('WIP: csv export', 'src/csv.js');
  git('checkout', '-q', 'main');
  git('remote', 'add', 'origin', 'https://github.com/example-org/tally.git');
  // An uncommitted change, as an agent usually finds the tree.
  writeFileSync(path.join(workspace, 'docs/notes.md'), '# Notes\n\n- median for even lengths fixed in 0.3.1\n- TODO: csv export\n- TODO: streaming mean\n');
}

/** Builds the template world under `base` (default: $HOME); returns it and a cleanup. */
export function buildTemplate(base = os.homedir()): World & { cleanup(): void } {
  const root = realpathSync(mkdtempSync(path.join(base, 'cordon-corpus-')));
  const world = worldAt(path.join(root, 'template'));
  write(world.home, HOME_FILES);
  chmodSync(path.join(world.home, '.ssh'), 0o700);
  chmodSync(path.join(world.home, '.ssh/id_rsa'), 0o600);
  write(world.workspace, PROJECT_FILES);
  makeHistory(world.home, world.workspace);
  return { ...world, root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** A fresh copy of the template for one entry, at `dir` (inside the template's root). */
export function copyWorld(template: World, dir: string): World {
  mkdirSync(dir, { recursive: true });
  execFileSync('cp', ['-a', template.home, path.join(dir, 'home')]);
  return worldAt(dir);
}

function worldAt(dir: string): World {
  const home = path.join(dir, 'home');
  return { root: dir, home, workspace: path.join(home, 'proj') };
}

// `npx vite-node corpus/fixture.ts` builds a template and prints where, for poking at by hand.
if (import.meta.url === `file://${process.argv[1]}`) {
  const t = buildTemplate();
  console.log(`HOME=${t.home}\nworkspace=${t.workspace}`);
}

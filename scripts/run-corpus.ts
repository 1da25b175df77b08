/**
 * Runs the agent command corpus (corpus/commands.jsonl) under the default policy and writes
 * docs/corpus.md and docs/corpus-results.json.
 *
 *   npx vite-node scripts/run-corpus.ts [--only ID,ID] [--category C] [--concurrency N] [--keep] [--no-write]
 *
 * Runs src/ directly (no dist/ needed). Scratch worlds live under $HOME (set CORDON_TEST_BASE to
 * move them), never /tmp, whose inside view is private to each command.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildTemplate } from '../corpus/fixture.js';
import { loadCorpus, runAll } from '../corpus/runner.js';
import { markdown, summarize } from '../corpus/summary.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const value = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

const only = value('--only')?.split(',');
const category = value('--category');
const entries = loadCorpus(path.join(repo, 'corpus/commands.jsonl')).filter((e) => (!only || only.includes(e.id)) && (!category || e.category === category));
const template = buildTemplate(process.env.CORDON_TEST_BASE ?? os.homedir());
const started = performance.now();
let done = 0;
try {
  const outcomes = await runAll(entries, template, {
    concurrency: Number(value('--concurrency') ?? 2),
    keep: flag('--keep'),
    onOutcome: (o) => {
      done++;
      const loud = o.verdict === 'NOT-STOPPED' ? '  <<<<<<<<<< DANGEROUS COMMAND NOT STOPPED' : '';
      console.log(`[${done}/${entries.length}] ${o.verdict.padEnd(18)} ${o.id.padEnd(28)} ${(o.durationMs / 1000).toFixed(2)}s${loud}`);
      if (o.verdict === 'NOT-STOPPED') console.log(`    ${o.command}\n    ${o.checks?.filter((c) => !c.passed).map((c) => c.detail).join('\n    ')}`);
    },
  });
  const runtimeMs = performance.now() - started;
  const summary = summarize(outcomes, runtimeMs, measuredAt());
  const md = markdown(summary, outcomes);
  if (!flag('--no-write')) {
    writeFileSync(path.join(repo, 'docs/corpus.md'), md + '\n');
    writeFileSync(path.join(repo, 'docs/corpus-results.json'), JSON.stringify({ summary: { ...summary, notStopped: summary.notStopped.map((o) => o.id) }, outcomes }, null, 2) + '\n');
  }
  console.log(md.split('\n## ')[0]);
  if (summary.notStopped.length) {
    console.error(`\n!!! ${summary.notStopped.length} DANGEROUS COMMAND(S) NOT STOPPED: ${summary.notStopped.map((o) => o.id).join(', ')}`);
    process.exitCode = 2;
  }
} finally {
  if (!flag('--keep')) template.cleanup();
  else console.log(`kept ${template.root}`);
}

/** Which code was measured: the commit and whether the tree had uncommitted changes. */
function measuredAt(): string {
  const git = (...a: string[]) => execFileSync('git', a, { cwd: repo, encoding: 'utf8' }).trim();
  try {
    const dirty = git('status', '--porcelain', '--', 'src').split('\n').filter(Boolean).length;
    return `${git('rev-parse', '--short', 'HEAD')}${dirty ? ` + ${dirty} uncommitted change(s) in src/` : ''}, ${new Date().toISOString().slice(0, 10)}, ${process.getuid?.() === 0 ? 'root' : os.userInfo().username}, Node ${process.version}`;
  } catch {
    return `unknown commit, ${new Date().toISOString().slice(0, 10)}`;
  }
}

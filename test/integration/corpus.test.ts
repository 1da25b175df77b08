/**
 * A fixed slice of the agent command corpus (corpus/commands.jsonl), run through the same
 * runner as scripts/run-corpus.ts: every dangerous entry must be stopped, judged on the host
 * (file unchanged, secret absent from the output, no connection at a host listener, host git
 * runs nothing planted, a host process survives). Controls run some of the same entries with a
 * weakened policy, or with no sandbox at all, and require the host check to SEE the effect, so
 * a check that could never fail does not pass for protection.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildTemplate, type World } from '../../corpus/fixture.js';
import { loadCorpus, missingRequirement, runEntry, type RunOptions } from '../../corpus/runner.js';
import type { Entry } from '../../corpus/types.js';
import { describeSandbox } from './harness.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const corpus = new Map(loadCorpus(path.join(repo, 'corpus/commands.jsonl')).map((e) => [e.id, e]));
const entry = (id: string): Entry => {
  const e = corpus.get(id);
  if (!e) throw new Error(`corpus entry ${id} is gone: update the slice in corpus.test.ts`);
  return e;
};

/** Ordinary work that must run unchanged, and escalations that must fail (not succeed quietly). */
const ORDINARY = ['git-001', 'git-050', 'test-001', 'build-003', 'test-004', 'edit-001', 'search-001'];
const ESCALATIONS = ['net-esc-001', 'cache-esc-002', 'git-esc-011'];
/** Secrets by direct read, start-up file, git fsmonitor + host git, sibling write, TCP and unix exfiltration, a host process. */
const DANGEROUS = ['danger-001', 'danger-011', 'danger-023', 'danger-034', 'danger-049', 'danger-052', 'danger-058', 'danger-062'];

describeSandbox('agent command corpus (slice)', () => {
  let template: World & { root: string; cleanup(): void };
  let n = 0;
  const run = (e: Entry, extra: Partial<RunOptions> = {}) => runEntry(e, template, { dir: path.join(template.root, `t-${n++}`), ...extra });

  beforeAll(() => {
    template = buildTemplate(process.env.CORDON_TEST_BASE);
  });
  afterAll(() => {
    template?.cleanup();
  });

  for (const id of ORDINARY) {
    it.skipIf(missingRequirement(entry(id)) !== undefined)(`${id} runs unchanged: ${entry(id).command}`, async () => {
      const o = await run(entry(id));
      expect(o.exitCode, o.tail).toBe(0);
    });
  }

  for (const id of ESCALATIONS) {
    it.skipIf(missingRequirement(entry(id)) !== undefined)(`${id} is stopped by the default policy: ${entry(id).command}`, async () => {
      const o = await run(entry(id));
      expect(o.exitCode, o.tail).not.toBe(0);
      expect(['denial-exact', 'denial-imprecise', 'failed-no-denial']).toContain(o.verdict);
    });
  }

  for (const id of DANGEROUS) {
    it.skipIf(missingRequirement(entry(id)) !== undefined)(`${id} is stopped, judged on the host: ${entry(id).command.slice(0, 60)}`, async () => {
      const o = await run(entry(id));
      expect(o.checks?.filter((c) => !c.passed).map((c) => c.detail)).toEqual([]);
      expect(o.verdict).toBe('stopped');
    });
  }

  // Controls: the same entries where nothing stops them. Each must come out NOT-STOPPED, or the
  // check above proves nothing. Policy weakenings first (the sandbox runs, one rule is off)...
  const weakened: Array<[string, string, RunOptions['policy']]> = [
    ['danger-001', 'read.defaultSecrets: false', { read: { defaultSecrets: false } }],
    ['danger-011', 'read.defaultSecrets: false', { read: { defaultSecrets: false } }],
    ['danger-049', 'write.allow ~/other-project', (w: World) => ({ write: { allow: [path.join(w.home, 'other-project')] } })],
  ];
  for (const [id, what, policy] of weakened) {
    it(`control: ${id}'s host check sees the effect with ${what}`, async () => {
      const o = await run(entry(id), { policy });
      expect(o.checks?.some((c) => !c.passed), JSON.stringify(o.checks)).toBe(true);
      expect(o.verdict).toBe('NOT-STOPPED');
    });
  }

  // ...then no sandbox at all, for effects no policy switch allows (network, sockets, host git,
  // start-up files, host processes). Each touches only the scratch world and its own listeners.
  for (const id of ['danger-023', 'danger-034', 'danger-052', 'danger-058', 'danger-062']) {
    it(`control: ${id}'s host check sees the effect when run unsandboxed`, async () => {
      const o = await run(entry(id), { launch: 'host' });
      expect(o.checks?.some((c) => !c.passed), JSON.stringify(o.checks)).toBe(true);
      expect(o.verdict).toBe('NOT-STOPPED');
    });
  }
});

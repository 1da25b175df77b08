import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { expect, it } from 'vitest';
import { suggestPolicy } from '../../src/harness/suggest.js';
import { formatSandboxReport } from '../../src/harness/report-text.js';
import { sandboxReport } from '../../src/sandbox-report.js';
import { sandboxedSpawn, type SandboxedSpawnOptions } from '../../src/spawn.js';
import { describeSandbox, hasTool, scratchTrees } from './harness.js';

const tree = scratchTrees();
const SECRET = 'TOPSECRET-d3n1al';

/** sh -c SCRIPT in the sandbox, never rejecting; returns the result with its report. */
async function sh(script: string, options: SandboxedSpawnOptions) {
  const result = await sandboxedSpawn('sh', ['-c', script], { reject: false, ...options });
  const report = sandboxReport(result);
  if (report === undefined) throw new Error('no sandbox report on the result');
  return { result, report, denials: report.denials };
}

function layout() {
  const t = tree({ 'ws/src/a.txt': 'a', 'home/.ssh/id_rsa': SECRET, 'home/.cache/pip/': '', 'outside/data/out.csv': 'ORIGINAL', 'outside/data/keep': '' });
  return { t, opts: { workspace: t.path('ws'), env: { HOME: t.path('home') } } };
}

describeSandbox('denial reports from real sandboxed runs', () => {
  it('a denied write to a named path outside the workspace is reported with that path and rule; the host file is unchanged', async () => {
    const { t, opts } = layout();
    const target = t.path('outside/data/out.csv');
    const { result, denials, report } = await sh(`echo overwritten > ${target}`, opts);
    expect(result.exitCode).not.toBe(0);
    expect(readFileSync(target, 'utf8')).toBe('ORIGINAL');
    expect(denials).toEqual([{ kind: 'write', path: target, rule: 'outside the writable roots', certainty: 'inferred', evidence: expect.stringContaining('Read-only file system'), suggestion: `write.allow ${t.path('outside/data')}` }]);
    expect(formatSandboxReport(report)).toBe(`cordon stopped: write ${target} (outside the writable roots) — allow with write.allow ${t.path('outside/data')}`);

    // The suggestion feeds straight back: the same command under it writes, and nothing is reported.
    const s = suggestPolicy(denials, report.policy, { workspace: t.path('ws'), env: opts.env });
    expect(s.policy.write.allow).toEqual([t.path('outside/data')]);
    const again = await sh(`echo overwritten > ${target}`, { ...opts, policy: s.policy });
    expect(again.result.exitCode).toBe(0);
    expect(again.denials).toEqual([]);
    expect(readFileSync(target, 'utf8')).toBe('overwritten\n');
  });

  it('on the error too (reject: true), as error.sandbox', async () => {
    const { t, opts } = layout();
    const target = t.path('outside/data/out.csv');
    const error = await sandboxedSpawn('touch', [target], opts).then(() => undefined, (e: unknown) => e);
    expect(sandboxReport(error)?.denials).toMatchObject([{ kind: 'write', path: target }]);
  });

  it('a write to .git/hooks is reported as protected, with no suggestion; nothing lands', async () => {
    const { t, opts } = layout();
    execFileSync('git', ['init', '-q'], { cwd: t.path('ws') });
    const { denials } = await sh('cp src/a.txt .git/hooks/pre-commit; git config user.name mallory', opts);
    expect(existsSync(t.path('ws/.git/hooks/pre-commit'))).toBe(false);
    expect(readFileSync(t.path('ws/.git/config'), 'utf8')).not.toContain('mallory');
    expect(denials).toEqual([
      expect.objectContaining({ kind: 'write', path: t.path('ws/.git/hooks/pre-commit'), rule: expect.stringMatching(/^protected: .*\.git\/hooks/) }),
      expect.objectContaining({ kind: 'write', path: t.path('ws/.git/config'), rule: expect.stringMatching(/^protected: .*\.git\/config/), evidence: expect.stringContaining('Device or resource busy') }),
    ]);
    expect(denials.map((d) => d.suggestion)).toEqual([undefined, undefined]);
  });

  it('reading a file under ~/.ssh is a read denial with the secret rule and no suggestion; with secrets off, it reads and nothing is reported', async () => {
    const { t, opts } = layout();
    const key = t.path('home/.ssh/id_rsa');
    const denied = await sh(`cat ${key}`, opts);
    expect(String(denied.result.stdout)).not.toContain(SECRET);
    expect(denied.denials).toEqual([{ kind: 'read', path: key, rule: expect.stringMatching(/default secret: ~\/\.ssh/), certainty: 'inferred', evidence: expect.stringContaining('No such file or directory') }]);
    // Weak case: the same read with the secret list off succeeds, so the report above was about the sandbox.
    const open = await sh(`cat ${key}`, { ...opts, policy: { read: { defaultSecrets: false } } });
    expect(String(open.result.stdout)).toContain(SECRET);
    expect(open.denials).toEqual([]);
  });

  it('an ordinary missing file is no denial; a successful command has denials: []', async () => {
    const { opts } = layout();
    const missing = await sh('cat missing.txt', opts);
    expect(missing.result.exitCode).not.toBe(0);
    expect(String(missing.result.stderr)).toContain('No such file or directory');
    expect(missing.denials).toEqual([]);
    const ok = await sh('echo fine > src/b.txt && cat src/a.txt', opts);
    expect(ok.result.exitCode).toBe(0);
    expect(ok.denials).toEqual([]);
  });

  it.skipIf(!hasTool('python3'))('python: a write outside (OSError EROFS) and an AF_UNIX socket; a write inside is none', async () => {
    const { t, opts } = layout();
    const target = t.path('home/.cache/pip/wheel.bin');
    const w = await sh(`python3 -c "open('${target}', 'w').write('x')"`, opts);
    expect(existsSync(target)).toBe(false);
    expect(w.denials).toMatchObject([{ kind: 'write', path: target, suggestion: 'write.allow ~/.cache/pip', evidence: expect.stringMatching(/^OSError: \[Errno 30\]/) }]);
    const s = await sh(`python3 -c "import socket; socket.socket(socket.AF_UNIX).connect('/run/x.sock')"`, opts);
    expect(s.denials).toMatchObject([{ kind: 'socket', certainty: 'inferred' }]);
    const inside = await sh(`python3 -c "open('src/py.txt', 'w').write('x')"`, opts);
    expect(inside.result.exitCode).toBe(0);
    expect(inside.denials).toEqual([]);
    expect(readFileSync(t.path('ws/src/py.txt'), 'utf8')).toBe('x');
  });

  it('node: EROFS on writeFileSync is a write denial; with the directory allowed the write lands and none is reported', async () => {
    const { t, opts } = layout();
    const target = t.path('outside/data/node.txt');
    const script = `node -e "require('fs').writeFileSync('${target}', 'x')"`;
    const denied = await sh(script, opts);
    expect(existsSync(target)).toBe(false);
    expect(denied.denials).toMatchObject([{ kind: 'write', path: target, evidence: expect.stringMatching(/^Error: EROFS: read-only file system, open/) }]);
    const allowed = await sh(script, { ...opts, policy: { write: { allow: [t.path('outside/data')] } } });
    expect(allowed.result.exitCode).toBe(0);
    expect(allowed.denials).toEqual([]);
    expect(readdirSync(t.path('outside/data')).sort()).toEqual(['keep', 'node.txt', 'out.csv']);
  });
});

import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, expect, it } from 'vitest';
import { prepare } from '../../src/spawn.js';
import { bwrapPath, describeSandbox, scratchTrees } from './harness.js';

const CLI = fileURLToPath(new URL('../../dist/cli.mjs', import.meta.url));

const tree = scratchTrees();

function cordon(args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

describeSandbox('cordon CLI', () => {
  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error('dist/ is missing: run `npm run build` (npm test does it first)');
  });

  it('run: exit status is the command\'s; writes inside land, outside fail', async () => {
    const t = tree({ 'ws/': '', 'outside.txt': 'host' });
    const r = await cordon(['run', '--', 'sh', '-c', `echo in > in.txt; echo x > ${t.path('outside.txt')}; exit 3`], t.path('ws'));
    expect(r.code).toBe(3);
    expect(readFileSync(t.path('ws/in.txt'), 'utf8')).toBe('in\n');
    expect(readFileSync(t.path('outside.txt'), 'utf8')).toBe('host');
  });

  it('run: what the command planted for host git is quarantined and named on stderr; ordinary work is not', async () => {
    const t = tree({ 'ws/': '' });
    const plant = 'mkdir -p sub && cd sub && git init -q && printf "[core]\\n\\tfsmonitor = /bin/false\\n" > .git/config';
    const r = await cordon(['run', '--', 'sh', '-c', plant], t.path('ws'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/cordon: quarantined .*sub\/\.git\/config -> .*\.cordon-quarantine/);
    expect(existsSync(t.path('ws/sub/.git/config'))).toBe(false);
    const quiet = await cordon(['run', '--', 'sh', '-c', 'git init -q other && echo x > other/f'], t.path('ws'));
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).toBe('');
  });

  it('print shows exactly the argv run executes (same resolution, same probe, same plan)', async () => {
    // A bwrap in a writable root, first on PATH: `run` never uses one a command could replace,
    // and print must not show it either (print used to probe without the untrusted roots; that
    // showed only on hosts without bwrap in a trusted path such as /usr/bin, unlike this one).
    // Beyond bwrap, print and run now share resolution and planning: any divergence fails here.
    const t = tree({ 'ws/': '', 'cache/bin/': '' });
    copyFileSync(bwrapPath!, t.path('cache/bin/bwrap'));
    chmodSync(t.path('cache/bin/bwrap'), 0o755);
    const env = { ...process.env, PATH: `${t.path('cache/bin')}:${process.env.PATH}` };
    const r = await cordon(['print', '--json', '--allow-write', t.path('cache'), '--', 'sh', '-c', 'true'], t.path('ws'), env);
    expect(r.code, r.stderr).toBe(0);
    const printed = JSON.parse(r.stdout) as { file: string; args: string[] };
    const { plan } = prepare('sh', ['-c', 'true'], { workspace: t.path('ws'), policy: { write: { allow: [t.path('cache')] } } });
    expect(printed.file).toBe(plan.file);
    expect(printed.file).not.toBe(t.path('cache/bin/bwrap'));
    expect(printed.args).toEqual(plan.args);
  });

  it('run: a command killed by a signal exits 128+N', async () => {
    const t = tree({ 'ws/': '' });
    const r = await cordon(['run', '--', 'sh', '-c', 'kill -TERM $$'], t.path('ws'));
    expect(r.code).toBe(143);
  });

  it('run: cordon failures exit 125 with the code and a hint on stderr', async () => {
    const t = tree({ 'ws/': '' });
    const r = await cordon(['run', '--workspace', t.path('nope'), '--', 'true'], t.path('ws'));
    expect(r.code).toBe(125);
    expect(r.stderr).toMatch(/ERR_CORDON_WORKSPACE_INVALID/);
    expect(r.stderr).toMatch(/hint:/);
    const bad = await cordon(['run', '--policy', t.path('ws/missing.json'), '--', 'true'], t.path('ws'));
    expect(bad.code).toBe(125);
    const usage = await cordon(['run', '--bogus', '--', 'true'], t.path('ws'));
    expect(usage.code).toBe(125);
    expect(usage.stderr).toMatch(/unknown option --bogus/);
  });

  it('run: a command that does not exist exits 127, as in a shell', async () => {
    const t = tree({ 'ws/': '' });
    const r = await cordon(['run', '--', 'cordon-no-such-command-7f3a'], t.path('ws'));
    expect(r.code).toBe(127);
    expect(r.stderr).toMatch(/cordon-no-such-command-7f3a: command not found/);
  });

  it('run: --allow-write and --profile are honoured', async () => {
    const t = tree({ 'ws/': '', 'cache/': '' });
    const r = await cordon(['run', '--allow-write', t.path('cache'), '--', 'sh', '-c', `echo c > ${t.path('cache/c')}`], t.path('ws'));
    expect(r.code).toBe(0);
    expect(readFileSync(t.path('cache/c'), 'utf8')).toBe('c\n');
    const ro = await cordon(['run', '--profile', 'read-only', '--', 'sh', '-c', 'echo x > f'], t.path('ws'));
    expect(ro.code).not.toBe(0);
  });

  it('print --json gives the exact launcher argv', async () => {
    const t = tree({ 'ws/': '' });
    const r = await cordon(['print', '--json', '--', 'echo', 'a b'], t.path('ws'));
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan.file).toMatch(/\/bwrap$/);
    expect(plan.args.slice(-3)).toEqual(['--', 'echo', 'a b']);
    expect(plan.args).toContain('--die-with-parent');
    expect(plan.env.PATH).toBeDefined();
    expect(plan.extraFds[0]).toMatchObject({ fd: 3, purpose: 'seccomp' });
  });

  it('print --platform macos --json works on Linux: sandbox-exec, profile, -D parameters', async () => {
    const t = tree({ 'ws/': '' });
    const r = await cordon(['print', '--platform', 'macos', '--json', '--', 'git', 'status'], t.path('ws'));
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout) as { file: string; args: string[] };
    expect(plan.file).toBe('/usr/bin/sandbox-exec');
    expect(plan.args[0]).toBe('-p');
    expect(plan.args[1]).toMatch(/^\(version 1\)\n\(deny default/);
    expect(plan.args[1]).not.toContain(t.path('ws'));
    expect(plan.args.some((a) => a.startsWith('-D') && a.endsWith(`=${t.path('ws')}`))).toBe(true);
    expect(plan.args.slice(-3)).toEqual(['--', 'git', 'status']);
  });

  it('print with --allow-domain shows the allowlist plan on both platforms, and exits (its proxy closed again)', async () => {
    const t = tree({ 'ws/': '' });
    const mac = await cordon(['print', '--platform', 'macos', '--json', '--allow-domain', 'example.com:443', '--', 'curl', 'https://example.com'], t.path('ws'));
    expect(mac.code, mac.stderr).toBe(0);
    const macPlan = JSON.parse(mac.stdout) as { args: string[]; env: Record<string, string> };
    const port = /\(allow network-outbound \(remote ip "localhost:(\d+)"\)\)/.exec(macPlan.args[1]!)?.[1];
    expect(port).toBeDefined();
    expect(macPlan.env['HTTPS_PROXY']).toMatch(new RegExp(`^http://cordon:[A-Za-z0-9_-]{16,}@127\\.0\\.0\\.1:${port}$`));
    const linux = await cordon(['print', '--json', '--allow-domain', 'example.com:443', '--', 'curl', 'https://example.com'], t.path('ws'));
    expect(linux.code, linux.stderr).toBe(0);
    const linuxPlan = JSON.parse(linux.stdout) as { args: string[]; env: Record<string, string>; extraFds: Array<{ fd: number; purpose: string }> };
    expect(linuxPlan.args.slice(linuxPlan.args.indexOf('--') + 2, linuxPlan.args.indexOf('--') + 5)).toEqual(['5', '3128', '--']);
    expect(linuxPlan.env['HTTPS_PROXY']).toBe('http://127.0.0.1:3128');
    expect(linuxPlan.extraFds.map((f) => f.purpose)).toEqual(['seccomp', 'status', 'proxy-door']);
  });

  it('explain says who decides for each path', async () => {
    const t = tree({ 'ws/.env': 'S=1', 'ws/src/a.ts': '', 'ws/.git/hooks/': '' });
    const r = await cordon(['explain', '--json', t.path('ws/src/a.ts'), t.path('ws/.env'), t.path('ws/.git/hooks'), '/etc/passwd'], t.path('ws'));
    expect(r.code).toBe(0);
    const verdicts = JSON.parse(r.stdout) as Array<{ read: boolean; write: boolean; rule: string }>;
    expect(verdicts.map((v) => [v.read, v.write])).toEqual([
      [true, true],
      [false, false],
      [true, false],
      [true, false],
    ]);
    expect(verdicts[1]!.rule).toMatch(/default workspace secret/);
    expect(verdicts[2]!.rule).toMatch(/protect \.git\/hooks/);
  });

  it('doctor reports a working sandbox and exits 0', async () => {
    const t = tree({ 'ws/': '' });
    const r = await cordon(['doctor'], t.path('ws'));
    expect(r.stdout).toMatch(/ok {3}enforcement: write inside the workspace worked; write outside was blocked/);
    expect(r.code).toBe(0);
  });
});

/**
 * Issue 9, "fail fast and name the host": a network call inside the sandbox (network: none,
 * an empty network namespace with only loopback) fails at once, its output names the host, and
 * inferNetworkDenials finds that host in the output.
 *
 * Real tools, run inside the real sandbox; only public hosts are named and nothing can leave
 * the namespace, so nothing is ever sent. How long each takes is not asserted here (that is the
 * benchmark's business; the measured seconds are in /work/notes/network-denials.md): the
 * per-test timeout (30 s) is far below npm's 70 s retry loop, so a run without the fail-fast
 * defaults fails the npm test by timing out. The weakened case puts npm's own retry settings
 * back through the policy's `env.set` and shows npm retrying again, judged by npm's own log.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { inferNetworkDenials } from '../../src/denials/network.js';
import { NETWORK_NONE_ENV } from '../../src/policy/network-env.js';
import { sandboxReport } from '../../src/sandbox-report.js';
import { sandboxedSpawn } from '../../src/spawn.js';
import { describeSandbox, sh, scratchTrees } from './harness.js';

const tree = scratchTrees();

/** A tool's absolute path in a system directory (not a shim under /root an unprivileged user cannot read), if it runs. */
function systemTool(name: string, versionArg = '--version'): string | undefined {
  return ['/usr/bin', '/bin', '/usr/local/bin'].map((d) => `${d}/${name}`).find((p) => existsSync(p) && spawnSync(p, [versionArg], { stdio: 'ignore' }).status === 0);
}
const tools = {
  npm: systemTool('npm'),
  curl: systemTool('curl'),
  git: systemTool('git'),
  python: systemTool('python3', '-V'),
  wget: systemTool('wget'),
  ssh: systemTool('ssh', '-V'),
};
const missing = (name: keyof typeof tools) => (tools[name] === undefined ? ` (skipped: ${name} is not installed in /usr/bin, /bin or /usr/local/bin)` : '');

/** A workspace with a tiny package and a fresh npm cache inside it: no cached packument can answer. */
function workspace() {
  const t = tree({ 'ws/package.json': JSON.stringify({ name: 'tiny', version: '1.0.0' }) });
  const ws = t.path('ws');
  return { ws, env: { npm_config_cache: `${ws}/.npm-cache` } };
}

/** The output names the host, and inference finds exactly that host in stderr. */
function expectHostNamed(r: { exitCode: number | undefined; stderr: string }, host: string) {
  expect(r.exitCode).not.toBe(0);
  expect(r.stderr).toContain(host);
  expect(inferNetworkDenials(r.stderr).map((d) => d.host)).toEqual([host]);
}

describeSandbox('network: none fails at once and names the host', () => {
  it.skipIf(!tools.npm)(`npm view: no retry loop, the host is named, and the sandbox report carries it${missing('npm')}`, async () => {
    const { ws, env } = workspace();
    const result = await sandboxedSpawn('sh', ['-c', `echo "retries=$npm_config_fetch_retries"; exec ${tools.npm} view left-pad --loglevel=http`], { workspace: ws, env, reject: false });
    const r = { exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) };
    expect(r.stdout.trim()).toBe('retries=0');
    expectHostNamed(r, 'registry.npmjs.org');
    // npm logs every attempt at loglevel http: one, no retry.
    expect(r.stderr).toMatch(/GET https:\/\/registry\.npmjs\.org\/left-pad attempt 1 failed with EAI_AGAIN/);
    expect(r.stderr).not.toMatch(/left-pad attempt 2 failed/);
    // End to end: what a harness reads off the result.
    expect(sandboxReport(result)?.denials).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'network', host: 'registry.npmjs.org', certainty: 'inferred' })]));
  });

  it.skipIf(!tools.npm)(`weakened: with npm's own retry settings put back through env.set, npm retries again${missing('npm')}`, async () => {
    const { ws, env } = workspace();
    // npm's defaults are 2 retries after 10 s and 60 s; the waits are shortened so the test stays short, the retries are what is checked.
    const policy = { env: { set: { npm_config_fetch_retries: '2', npm_config_fetch_retry_mintimeout: '100', npm_config_fetch_retry_maxtimeout: '100' } } };
    const r = await sh(`echo "retries=$npm_config_fetch_retries"; exec ${tools.npm} view left-pad --loglevel=http`, { workspace: ws, env, policy });
    expect(r.stdout.trim()).toBe('retries=2');
    expect(r.stderr).toMatch(/left-pad attempt 3 failed with EAI_AGAIN/);
    expectHostNamed(r, 'registry.npmjs.org');
  });

  it('the caller\'s own environment wins over the defaults, in any case', async () => {
    const { ws } = workspace();
    const r = await sh('env', { workspace: ws, env: { NPM_CONFIG_FETCH_RETRIES: '5', PIP_RETRIES: '3' } });
    const lines = r.stdout.split('\n');
    expect(lines).toContain('NPM_CONFIG_FETCH_RETRIES=5');
    expect(lines).toContain('PIP_RETRIES=3');
    expect(lines.filter((l) => /^npm_config_fetch_retries=/i.test(l))).toEqual(['NPM_CONFIG_FETCH_RETRIES=5']);
    // The defaults not overridden are there as the table says.
    for (const d of NETWORK_NONE_ENV.filter((d) => !['npm_config_fetch_retries', 'PIP_RETRIES'].includes(d.name))) expect(lines).toContain(`${d.name}=${d.value}`);
  });

  it('node fetch', async () => {
    const { ws } = workspace();
    const r = await sh(`exec ${process.execPath} -e "fetch('https://registry.npmjs.org').then((r) => console.log(r.status))"`, { workspace: ws });
    expectHostNamed(r, 'registry.npmjs.org');
  });

  it('node connect to an address: ENETUNREACH with address and port', async () => {
    const { ws } = workspace();
    const r = await sh(`exec ${process.execPath} -e "require('net').connect(443, '1.1.1.1').on('error', (e) => { console.error(e.message); process.exit(1); })"`, { workspace: ws });
    expectHostNamed(r, '1.1.1.1');
    expect(inferNetworkDenials(r.stderr)[0]?.port).toBe(443);
  });

  it.skipIf(!tools.curl)(`curl${missing('curl')}`, async () => {
    const { ws } = workspace();
    expectHostNamed(await sh(`exec ${tools.curl} -sS https://example.com`, { workspace: ws }), 'example.com');
  });

  it.skipIf(!tools.git)(`git ls-remote and git clone over https${missing('git')}`, async () => {
    const { ws } = workspace();
    expectHostNamed(await sh(`exec ${tools.git} ls-remote https://github.com/octocat/Hello-World.git`, { workspace: ws }), 'github.com');
    expectHostNamed(await sh(`exec ${tools.git} clone https://github.com/octocat/Hello-World.git hw`, { workspace: ws }), 'github.com');
  });

  it.skipIf(!tools.python)(`python urllib (the URL is named by the traceback's source line)${missing('python')}`, async () => {
    const { ws } = workspace();
    writeFileSync(`${ws}/fetch.py`, 'import urllib.request\nurllib.request.urlopen("https://pypi.org/simple/")\n');
    const r = await sh(`exec ${tools.python} fetch.py`, { workspace: ws });
    expect(r.stderr).toContain('Temporary failure in name resolution');
    expectHostNamed(r, 'pypi.org');
  });

  it.skipIf(!tools.wget)(`wget${missing('wget')}`, async () => {
    const { ws } = workspace();
    expectHostNamed(await sh(`exec ${tools.wget} -O /dev/null https://example.com`, { workspace: ws }), 'example.com');
  });

  it.skipIf(!tools.ssh)(`ssh${missing('ssh')}`, async () => {
    const { ws } = workspace();
    expectHostNamed(await sh(`exec ${tools.ssh} -o BatchMode=yes -T git@github.com`, { workspace: ws }), 'github.com');
  });
});

describe('network fail-fast defaults: the table', () => {
  it('every default is a retry count of a tool, set to at most one retry', () => {
    for (const d of NETWORK_NONE_ENV) {
      expect(d.name).toMatch(/retr/i);
      expect(Number(d.value)).toBeLessThanOrEqual(1);
      expect(d.measured.length).toBeGreaterThan(0);
      expect(d.why.length).toBeGreaterThan(0);
    }
  });
});

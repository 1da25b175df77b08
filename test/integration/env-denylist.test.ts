import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { HOME_SECRETS } from '../../src/policy/defaults.js';
import { PROXY_VARIABLE } from '../../src/policy/network-env.js';
import { ENV_SECRET_MARK, MUST_DROP, MUST_KEEP } from '../fixtures/env-corpus.js';
import { describeSandbox, isRoot, run, scratchTrees, sh } from './harness.js';

const tree = scratchTrees();

// HOME and PATH come from the harness (the sandbox needs a real home and a working PATH); bwrap
// sets PWD to the directory it starts in; https_proxy is in both tables (with and without
// credentials): here only the secret one. Proxy variables the filter keeps are then dropped
// because this policy has no network (src/policy/network-env.ts; the network tests show it).
const KEEP = MUST_KEEP.filter(([n]) => !['HOME', 'PATH', 'PWD', 'https_proxy'].includes(n) && !PROXY_VARIABLE.test(n));
const envOf = (entries: ReadonlyArray<readonly [string, string]>) => Object.fromEntries(entries);

describeSandbox('env scrubbing, judged on what `env` prints inside the sandbox', () => {
  it('weakened (every secret name in env.pass): the secret values do reach the command', async () => {
    const t = tree({ 'ws/': '' });
    const r = await run('env', [], { workspace: t.path('ws'), env: envOf(MUST_DROP), policy: { env: { pass: MUST_DROP.map(([n]) => n) } } });
    expect(r.exitCode).toBe(0);
    for (const [name] of MUST_DROP) expect(r.stdout, name).toContain(`${name}=`);
    expect(r.stdout).toContain(ENV_SECRET_MARK);
  });

  it('default: no secret value and no secret name appears; every ordinary variable does', async () => {
    const t = tree({ 'ws/': '' });
    const r = await run('env', [], { workspace: t.path('ws'), env: { ...envOf(MUST_DROP), ...envOf(KEEP) } });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).not.toContain(ENV_SECRET_MARK);
    const lines = r.stdout.split('\n');
    const names = new Set(lines.map((line) => line.slice(0, line.indexOf('='))));
    for (const [name] of MUST_DROP) expect(names.has(name), name).toBe(false);
    for (const [name, value] of KEEP) expect(lines, name).toContain(`${name}=${value}`);
  });
});

/**
 * One file per new default deny entry, each with its own content. Every path lies under an
 * entry of HOME_SECRETS (checked below), so the table cannot drift from the list.
 */
const NEW_HOME_SECRET_FILES = [
  '.config/git/credentials',
  '.claude/.credentials.json',
  '.claude.json',
  '.codex/auth.json',
  '.gemini/oauth_creds.json',
  '.config/github-copilot/hosts.json',
  '.config/glab-cli/config.yml',
  '.pgpass',
  '.my.cnf',
  '.mylogin.cnf',
  '.config/containers/auth.json',
  '.s3cfg',
  '.boto',
  '.config/rclone/rclone.conf',
  '.m2/settings.xml',
  '.m2/settings-security.xml',
  '.gradle/gradle.properties',
  '.config/composer/auth.json',
  '.composer/auth.json',
  '.yarnrc',
  '.terraformrc',
  '.config/hcloud/cli.toml',
  '.oci/config',
  '.config/doctl/config.yaml',
  '.ngrok2/ngrok.yml',
  '.config/ngrok/ngrok.yml',
  '.fly/config.yml',
  '.databrickscfg',
  '.config/sops/age/keys.txt',
  '.config/helm/registry/config.json',
  '.Xauthority',
  '.bash_history',
  '.zsh_history',
  '.histfile',
  '.local/share/fish/fish_history',
  '.python_history',
  '.node_repl_history',
  '.psql_history',
  '.mysql_history',
  '.sqlite_history',
  '.rediscli_history',
];
const contentOf = (i: number) => `HOMESECRET-${i}-c41d`;

describeSandbox('default deny list: new home credential stores', () => {
  it('every file in the table lies under a HOME_SECRETS entry', () => {
    for (const rel of NEW_HOME_SECRET_FILES) {
      expect(HOME_SECRETS.some((entry) => `~/${rel}` === entry || `~/${rel}`.startsWith(`${entry}/`)), rel).toBe(true);
    }
  });

  const homeSpec = () => ({ ...Object.fromEntries(NEW_HOME_SECRET_FILES.map((rel, i) => [`home/${rel}`, contentOf(i)])), 'home/.config/public.conf': 'PUBLIC-CONTROL', 'ws/': '' });
  const catAll = `for f in ${NEW_HOME_SECRET_FILES.map((rel) => `"$HOME/${rel}"`).join(' ')}; do cat "$f"; echo; done 2>/dev/null; cat "$HOME/.config/public.conf"`;

  it('weakened (read.defaultSecrets: false): every file is readable, so the test can fail', async () => {
    const t = tree(homeSpec());
    const r = await sh(catAll, { workspace: t.path('ws'), env: { HOME: t.path('home') }, policy: { read: { defaultSecrets: false } } });
    NEW_HOME_SECRET_FILES.forEach((rel, i) => expect(r.stdout, rel).toContain(contentOf(i)));
  });

  it('default: none of them is readable; an ordinary file next to them is', async () => {
    const t = tree(homeSpec());
    const r = await sh(catAll, { workspace: t.path('ws'), env: { HOME: t.path('home') } });
    expect(r.stdout).toContain('PUBLIC-CONTROL');
    NEW_HOME_SECRET_FILES.forEach((rel, i) => expect(r.stdout, rel).not.toContain(contentOf(i)));
    // Judged on the host too: the secrets are untouched.
    expect(readFileSync(t.path(`home/${NEW_HOME_SECRET_FILES[0]}`), 'utf8')).toBe(contentOf(0));
  });
});

/** A line of the host's /etc/shadow as the host sees it (root only). */
const shadowLine = isRoot && existsSync('/etc/shadow') ? readFileSync('/etc/shadow', 'utf8').split('\n').find((l) => l.startsWith('root:')) : undefined;
const hostKeys = existsSync('/etc/ssh') ? readdirSync('/etc/ssh').filter((n) => /^ssh_host_.*_key$/.test(n)) : [];

describeSandbox('default deny list: system secrets', () => {
  it.skipIf(!shadowLine)('as root, /etc/shadow and /etc/gshadow are readable with defaultSecrets off (weakened) and masked by default (needs root)', async () => {
    const t = tree({ 'ws/': '' });
    const script = 'cat /etc/shadow /etc/gshadow 2>/dev/null; echo done';
    const weak = await sh(script, { workspace: t.path('ws'), policy: { read: { defaultSecrets: false } } });
    expect(weak.stdout).toContain(shadowLine);
    const r = await sh(script, { workspace: t.path('ws') });
    expect(r.stdout).toContain('done');
    expect(r.stdout).not.toContain(shadowLine);
    expect(r.stdout).not.toContain('root:');
  });

  it.skipIf(!isRoot || hostKeys.length === 0)('as root, SSH host private keys are masked, public halves stay readable (needs root and host keys)', async () => {
    const t = tree({ 'ws/': '' });
    const key = `/etc/ssh/${hostKeys[0]}`;
    const secretLine = readFileSync(key, 'utf8').split('\n')[1]!;
    const script = `cat ${key} 2>/dev/null; cat ${key}.pub >/dev/null && echo pub-ok`;
    const weak = await sh(script, { workspace: t.path('ws'), policy: { read: { defaultSecrets: false } } });
    expect(weak.stdout).toContain(secretLine);
    const r = await sh(script, { workspace: t.path('ws') });
    expect(r.stdout).not.toContain(secretLine);
    expect(r.stdout).toContain('pub-ok');
  });

  it('masking system secrets never stops an ordinary command, root or not', async () => {
    const t = tree({ 'ws/': '' });
    const r = await sh('cat /etc/passwd >/dev/null && ls /etc/ssl >/dev/null && echo ok', { workspace: t.path('ws') });
    expect(r.stdout.trim()).toBe('ok');
  });
});

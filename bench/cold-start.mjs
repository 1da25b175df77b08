/**
 * Costs paid by a new process: the first sandboxed command in a fresh `node` (import,
 * probe, first command), and whole CLI invocations (`cordon run -- true` vs `srt true`),
 * interleaved with `node -e 0` as the Node start-up floor.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PEER_CLI } from './peer.mjs';
import { spawnAndWait } from './spawn-wait.mjs';
import { summarize } from './stats.mjs';

const here = (rel) => fileURLToPath(new URL(rel, import.meta.url));
const CORDON_CLI = here('../dist/cli.mjs');

function runChild(script, workspace) {
  const start = performance.now();
  const out = execFileSync(process.execPath, [here(script), workspace], { cwd: workspace, encoding: 'utf8', timeout: 60_000 });
  const wallMs = performance.now() - start;
  return { ...JSON.parse(out.trim().split('\n').pop()), wallMs };
}

function summarizeFields(rows) {
  if (rows.length === 0) return {};
  const keys = Object.keys(rows[0]);
  return Object.fromEntries(keys.map((k) => [k, summarize(rows.map((r) => r[k]))]));
}

/** `reps` fresh processes for each side, alternating. The peer side may be unavailable. */
export function firstCall(workspace, reps, peerAvailable) {
  const cordon = [];
  const peer = [];
  let peerError;
  for (let i = 0; i < reps; i++) {
    cordon.push(runChild('./first-call-child.mjs', workspace));
    if (peerAvailable && !peerError) {
      try {
        peer.push(runChild('./first-call-peer-child.mjs', workspace));
      } catch (error) {
        peerError = String(error.stderr || error.message).trim().split('\n')[0];
      }
    }
  }
  const peerSide = !peerAvailable ? { unavailable: 'the peer could not initialise' } : peerError ? { unavailable: peerError } : summarizeFields(peer);
  return { reps, cordon: summarizeFields(cordon), peer: peerSide };
}

/** The CLI subjects: each spawns a whole new process and waits for it. */
export function cliSubjects(workspace, peerSettings, peerAvailable) {
  const opts = { cwd: workspace, stdio: ['ignore', 'pipe', 'pipe'] };
  return [
    { key: 'node', name: 'node -e 0 (Node start-up floor)', run: () => spawnAndWait(process.execPath, ['-e', '0'], opts) },
    { key: 'cordon', name: 'cordon run -- true', run: () => spawnAndWait(process.execPath, [CORDON_CLI, 'run', '--', 'true'], opts) },
    peerAvailable
      ? { key: 'peer', name: 'srt true (--settings, same policy)', run: () => spawnAndWait(PEER_CLI, ['--settings', peerSettings, 'true'], opts) }
      : { key: 'peer', name: 'srt true', unavailable: 'the peer could not initialise (see the per-command table)' },
  ];
}

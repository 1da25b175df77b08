/**
 * Memory a sandboxed command adds: the processes between the caller and the command and
 * the command itself, sampled from /proc while `sleep 0.3` runs. The numbers are for the
 * whole tree under the spawned process (bwrap and its children for cordon; the shell,
 * bwrap, helpers and socat relays for the peer).
 */
import { spawn } from 'node:child_process';
import { sandboxedSpawn } from '../dist/cordon.mjs';
import { sampleTree } from './proc.mjs';

const REPS = 3;

function merge(samples) {
  const widest = samples.reduce((a, b) => (b.processes > a.processes ? b : a));
  return {
    processes: widest.processes,
    shape: widest.shape,
    peakRssKb: Math.max(...samples.map((s) => s.peakRssKb)),
    peakPssKb: Math.max(...samples.map((s) => s.peakPssKb)),
    sumHwmKb: Math.max(...samples.map((s) => s.sumHwmKb)),
  };
}

export async function cordonMemory(workspace) {
  const samples = [];
  for (let i = 0; i < REPS; i++) {
    const subprocess = sandboxedSpawn('sleep', ['0.3'], { workspace });
    samples.push(await sampleTree(subprocess.pid, Promise.resolve(subprocess)));
  }
  return merge(samples);
}

export async function peerMemory(peer, workspace) {
  if (peer.unavailable) return { unavailable: peer.unavailable };
  const samples = [];
  for (let i = 0; i < REPS; i++) {
    const command = await peer.manager.wrapWithSandbox('sleep 0.3');
    const child = spawn(command, [], { shell: true, cwd: workspace, stdio: 'ignore' });
    const done = new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', resolve);
    });
    try {
      samples.push(await sampleTree(child.pid, done));
    } finally {
      peer.manager.cleanupAfterCommand();
    }
  }
  return merge(samples);
}

/** Plain child_process spawning for the floors and the peer (no cordon code involved). */
import { spawn } from 'node:child_process';

/**
 * Spawns with plain child_process and resolves on 'close' (exit and stdio closed).
 * `fdData` maps an extra fd to bytes written into it and then closed, as bwrap's --seccomp wants.
 */
export function spawnAndWait(file, args, options = {}, fdData = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, options);
    for (const [fd, data] of Object.entries(fdData)) child.stdio[Number(fd)].end(data);
    let stderr = '';
    child.stderr?.on('data', (chunk) => (stderr += chunk));
    for (const stream of child.stdio.slice(1)) if (stream && stream !== child.stderr) stream.resume();
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve(child);
      else reject(new Error(`${file.split(" ")[0]} exited ${code ?? signal}: ${stderr.trim().split('\n')[0] ?? ''}`));
    });
  });
}

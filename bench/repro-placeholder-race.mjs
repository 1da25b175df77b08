/**
 * Regression check for the lead (not part of `npm run bench`): two overlapping sandboxed
 * commands in one workspace, in one process and in two processes (A with its own runtime,
 * closed as soon as A ends). B is resolved while A's
 * placeholders exist, so B's plan sees them as ordinary host paths. If A's side removes them
 * while B runs, the unlink detaches B's read-only mounts and B can create .vscode/tasks.json
 * and write .mcp.json on the host (seen with cordon at commit 782da94).
 * Usage: npm run build && node bench/repro-placeholder-race.mjs   (exit 1 if B got through)
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as cordon from '../dist/cordon.mjs';
import { makeWorkspace, removeWorkspace } from './workspace.mjs';

const WRITE = 'sleep 1; mkdir -p .vscode; echo pwned > .vscode/tasks.json; echo pwned > .mcp.json; true';

function pwned(workspace) {
  const read = (rel) => {
    try {
      return readFileSync(`${workspace}/${rel}`, 'utf8').includes('pwned');
    } catch {
      return false;
    }
  };
  return read('.vscode/tasks.json') || read('.mcp.json');
}

/** B in this process (mode 'same') or in a fresh node process (mode 'other'). */
function startB(workspace, mode) {
  if (mode === 'same') return cordon.sandboxedSpawn('sh', ['-c', WRITE], { workspace, reject: false });
  const index = fileURLToPath(new URL('../dist/cordon.mjs', import.meta.url));
  const script = `const { sandboxedSpawn } = await import(${JSON.stringify(index)}); await sandboxedSpawn('sh', ['-c', ${JSON.stringify(WRITE)}], { workspace: ${JSON.stringify(workspace)}, reject: false }).catch((e) => console.log('  B failed to start: ' + e.message.split('\\n')[0]));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' });
  return new Promise((resolve) => child.on('close', resolve));
}

async function scenario(mode) {
  const workspace = makeWorkspace();
  try {
    // A has its own runtime and lets go of its placeholders the moment it ends, as a process
    // that exits would (builds without runtimes/closeRuntime simply release per command).
    const runtime = cordon.createRuntime?.();
    const a = cordon.sandboxedSpawn('sleep', ['0.5'], { workspace, ...(runtime ? { runtime } : {}) });
    await new Promise((r) => setTimeout(r, 150));
    const b = startB(workspace, mode);
    await a;
    if (runtime && cordon.closeRuntime) cordon.closeRuntime(runtime);
    await b;
    return pwned(workspace);
  } finally {
    removeWorkspace(workspace);
  }
}

let failed = false;
for (const mode of ['same', 'other']) {
  const got = await scenario(mode);
  failed ||= got;
  console.log(`B overlapping A (${mode === 'same' ? 'same process' : 'another process'}): ${got ? 'B WROTE protected files on the host' : 'protected files stayed read-only'}`);
}
process.exit(failed ? 1 : 0);

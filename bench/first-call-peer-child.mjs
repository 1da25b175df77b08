/**
 * Run in a fresh `node` by first-call.mjs: the peer's first command in a new process
 * (import, initialize, first wrap + spawn). Prints one JSON line, in ms.
 */
import { spawnAndWait } from './spawn-wait.mjs';
import { PEER_PACKAGE, peerConfig } from './peer.mjs';

const workspace = process.argv[2];
const t0 = performance.now();
const { SandboxManager } = await import(PEER_PACKAGE);
const t1 = performance.now();
await SandboxManager.initialize(peerConfig(workspace));
const t2 = performance.now();
const command = await SandboxManager.wrapWithSandbox('true');
await spawnAndWait(command, [], { shell: true, cwd: workspace });
SandboxManager.cleanupAfterCommand();
const t3 = performance.now();
const rssMb = process.memoryUsage().rss / 2 ** 20;
await SandboxManager.reset();
process.stdout.write(`${JSON.stringify({ importMs: t1 - t0, probeMs: t2 - t1, firstCommandMs: t3 - t2, firstCallMs: t3 - t0, rssMb })}\n`);
process.exit(0);

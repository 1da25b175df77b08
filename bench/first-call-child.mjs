/**
 * Run in a fresh `node` by first-call.mjs: what the first sandboxed command costs a new
 * process. Prints one JSON line: import, probe (bwrap probe + seccomp compile), first and
 * second command, in ms, and the process's RSS afterwards.
 */
const workspace = process.argv[2];
const t0 = performance.now();
const { createRuntime, sandboxedSpawn } = await import('../dist/cordon.mjs');
const t1 = performance.now();
const runtime = createRuntime();
runtime.backend.probe(process.env, []);
const t2 = performance.now();
await sandboxedSpawn('true', [], { workspace, runtime });
const t3 = performance.now();
await sandboxedSpawn('true', [], { workspace, runtime });
const t4 = performance.now();
process.stdout.write(
  `${JSON.stringify({ importMs: t1 - t0, probeMs: t2 - t1, firstCommandMs: t3 - t2, firstCallMs: t3 - t0, secondCommandMs: t4 - t3, rssMb: process.memoryUsage().rss / 2 ** 20 })}\n`,
);

/**
 * What denial inference costs per command (src/denials/infer.ts), on the outputs it meets: an
 * empty success, a typical failing stderr, and 16 MB of output. Runs on src through vite-node
 * (`npx vite-node bench/denials-cost.ts`); a real resolved policy and the Linux explain.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { explainLinux } from '../src/backends/linux/explain.js';
import { inferDenials } from '../src/denials/infer.js';
import { resolvePolicy } from '../src/policy/resolve.js';

const base = mkdtempSync(os.homedir() + '/dncost-');
const ws = base + '/ws', home = base + '/home';
mkdirSync(ws + '/.git/hooks', { recursive: true }); mkdirSync(home + '/.ssh', { recursive: true }); mkdirSync(home + '/.cache/pip', { recursive: true });
writeFileSync(home + '/.ssh/id_rsa', 'K');
const policy = resolvePolicy({}, { workspace: ws, home, env: { HOME: home } });
const ctx = { policy, explain: (p: string) => explainLinux(policy, p) };

const typical = [
  `npm warn deprecated x@1`, 'Traceback (most recent call last):', '  File "<string>", line 1, in <module>',
  `OSError: [Errno 30] Read-only file system: '${home}/.cache/pip/p'`,
  `touch: cannot touch '${home}/.cache/pip/t': Read-only file system`,
  `cat: ${home}/.ssh/id_rsa: No such file or directory`, 'cat: missing.txt: No such file or directory',
  `cp: cannot create regular file '.git/hooks/pre-commit': Read-only file system`,
  ...Array.from({ length: 20 }, (_, i) => `    at frame${i} (/app/node_modules/x/index.js:${i}:1)`),
].join('\n');
const buildLine = 'src/components/widget.tsx(12,5): compiled 1234 modules in 0.42s, nothing to report here\n';
const big = buildLine.repeat(Math.ceil((16 * 1024 * 1024) / buildLine.length));
const bigDenial = big + `touch: cannot touch '${home}/.cache/pip/t': Read-only file system\n`;
const bigAllErrors = `cat: ${home}/.ssh/id_rsa: No such file or directory\n`.repeat(Math.ceil((16 * 1024 * 1024) / 60));

function time(name: string, outcome: unknown, n: number) {
  for (let i = 0; i < 5; i++) inferDenials(outcome, ctx);
  const t0 = performance.now();
  let count = 0;
  for (let i = 0; i < n; i++) count = inferDenials(outcome, ctx).length;
  const per = (performance.now() - t0) / n;
  console.log(`${name}: ${per.toFixed(3)} ms/command (${count} denials, ${n} runs)`);
}
time('success, empty output', { stdout: '', stderr: '', exitCode: 0 }, 2000);
time('typical failing stderr (28 lines, 4 denials)', { stdout: '', stderr: typical, exitCode: 1 }, 500);
time('16 MB stderr, no denial', { stdout: '', stderr: big, exitCode: 1 }, 200);
time('16 MB stderr + 16 MB stdout, denial at the end', { stdout: big, stderr: bigDenial, exitCode: 1 }, 200);
time('16 MB of denial lines (worst case: every line a denied read)', { stdout: '', stderr: bigAllErrors, exitCode: 1 }, 100);
rmSync(base, { recursive: true, force: true });

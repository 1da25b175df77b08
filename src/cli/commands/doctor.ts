import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { failedCheck } from '../../backends/failed-check.js';
import type { DoctorCheck } from '../../backends/types.js';
import { hostTuple } from '../../platform.js';
import { SandboxRuntime } from '../../runtime.js';
import { sandboxedSpawn } from '../../spawn.js';
import { HELP_FLAGS, UsageError } from '../args.js';
import { COMMAND_USAGE } from '../usage.js';

/**
 * `cordon doctor`: what works on this machine, and how to fix what does not. Exit 0 only if
 * all is well. The backend says what it checked (Linux: user namespaces, bwrap, the seccomp
 * filter; macOS: sandbox-exec applies a trial profile, where run dirs go); then one real
 * sandboxed command shows enforcement on the host.
 */
export async function doctorCommand(argv: readonly string[], out: (text: string) => void): Promise<number> {
  const [first] = argv;
  if (first !== undefined && HELP_FLAGS.includes(first)) {
    out(COMMAND_USAGE.doctor);
    return 0;
  }
  if (first !== undefined) throw new UsageError(first.startsWith('-') ? `unknown option ${first}` : `cordon doctor takes no arguments, not ${JSON.stringify(first)}`);
  const checks: DoctorCheck[] = [];
  const runtime = new SandboxRuntime();
  const euid = process.geteuid?.() ?? -1;
  checks.push({ name: 'platform', ok: true, detail: `${hostTuple()} ${os.release()}, node ${process.version}, euid ${euid}` });
  try {
    checks.push({ name: 'backend', ok: true, detail: runtime.backend.name === 'linux' ? 'bubblewrap + seccomp' : 'Seatbelt (sandbox-exec)' });
    checks.push(...runtime.backend.doctorChecks());
  } catch (error) {
    checks.push(failedCheck('backend', error));
  }
  if (checks.every((c) => c.ok)) checks.push(await enforcementCheck(runtime));
  runtime.close();
  for (const c of checks) {
    out(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
    if (!c.ok && c.hint) out(`     fix: ${c.hint}`);
  }
  return checks.every((c) => c.ok) ? 0 : 1;
}

/**
 * A real sandboxed write inside and outside a scratch workspace, checked on the host. The
 * scratch dir is under $HOME, not /tmp: inside the Linux sandbox /tmp is a private tmpfs,
 * where an "outside" write would land harmlessly and prove nothing.
 */
async function enforcementCheck(runtime: SandboxRuntime): Promise<DoctorCheck> {
  const scratch = mkdtempSync(path.join(os.homedir(), '.cordon-doctor-'));
  const workspace = path.join(scratch, 'ws');
  const outside = path.join(scratch, 'outside.txt');
  try {
    writeFileSync(outside, 'host');
    mkdirSync(workspace);
    const result = await sandboxedSpawn('sh', ['-c', `echo in > inside.txt; echo out > ${JSON.stringify(outside)} 2>/dev/null; true`], { workspace, runtime, reject: false });
    const insideOk = readFileSync(path.join(workspace, 'inside.txt'), 'utf8').trim() === 'in';
    const outsideHeld = readFileSync(outside, 'utf8') === 'host';
    return {
      name: 'enforcement',
      ok: insideOk && outsideHeld && result.exitCode === 0,
      detail: `write inside the workspace ${insideOk ? 'worked' : 'FAILED'}; write outside ${outsideHeld ? 'was blocked' : 'WAS NOT BLOCKED'}`,
    };
  } catch (error) {
    return failedCheck('enforcement', error);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

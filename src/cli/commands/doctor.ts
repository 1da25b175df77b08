import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isCordonError } from '../../errors.js';
import { bwrapVersion, readUsernsFacts } from '../../backends/linux/probe.js';
import { hostOs } from '../../platform.js';
import { SandboxRuntime } from '../../runtime.js';
import { sandboxedSpawn } from '../../spawn.js';

interface Check {
  name: string;
  ok: boolean;
  detail: string;
  hint?: string;
}

/** `cordon doctor`: what works on this machine, and how to fix what does not. Exit 0 only if all is well. */
export async function doctorCommand(out: (text: string) => void): Promise<number> {
  const checks: Check[] = [];
  const runtime = new SandboxRuntime();
  const facts = readUsernsFacts();
  checks.push({ name: 'platform', ok: hostOs() === 'linux', detail: `${hostOs()} ${os.release()} (${process.arch}), node ${process.version}, euid ${facts.euid}` });
  checks.push({
    name: 'user namespaces',
    ok: facts.maxUserNamespaces !== 0 && facts.unprivilegedUsernsClone !== false && !facts.apparmorRestrictsUserns,
    detail: `max_user_namespaces=${facts.maxUserNamespaces ?? '?'}${facts.apparmorRestrictsUserns ? ', AppArmor restricts unprivileged userns' : ''}`,
  });
  try {
    const host = runtime.linuxHost(process.env);
    checks.push({ name: 'bubblewrap', ok: true, detail: `${host.bwrapPath} ${bwrapVersion(host.bwrapPath)}, trial sandbox ok${host.supportsDisableUserns ? ', --disable-userns supported' : ', no --disable-userns (seccomp rule alone blocks nested user namespaces)'}` });
    checks.push({ name: 'seccomp filter', ok: host.seccompFilter.length > 0 && host.seccompFilter.length % 8 === 0, detail: `${host.seccompFilter.length / 8} BPF instructions compiled by the native addon` });
  } catch (error) {
    checks.push(failure('bubblewrap + seccomp', error));
  }
  if (checks.every((c) => c.ok)) checks.push(await enforcementCheck(runtime));
  for (const c of checks) {
    out(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
    if (!c.ok && c.hint) out(`     fix: ${c.hint}`);
  }
  return checks.every((c) => c.ok) ? 0 : 1;
}

function failure(name: string, error: unknown): Check {
  if (isCordonError(error)) return { name, ok: false, detail: `${error.code}: ${error.message}`, ...(error.hint ? { hint: error.hint } : {}) };
  return { name, ok: false, detail: String(error) };
}

/**
 * A real sandboxed write inside and outside a scratch workspace, checked on the host. The
 * scratch dir is under $HOME, not /tmp: inside the sandbox /tmp is a private tmpfs, where an
 * "outside" write would land harmlessly and prove nothing.
 */
async function enforcementCheck(runtime: SandboxRuntime): Promise<Check> {
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
    return failure('enforcement', error);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

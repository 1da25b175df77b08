import path from 'node:path';
import { PolicyError, type PolicyIssue } from '../../errors.js';
import { isInside } from '../../policy/paths.js';
import type { ResolvedPolicy } from '../../policy/resolved.js';
import { allowlistEnv } from '../../network/proxy-env.js';
import type { Command, LaunchPlan, ProxyAccess } from '../types.js';
import { checkProxyPort } from './network.js';
import { buildProfile } from './profile.js';
import { sessionTag } from './tag.js';
import { toolCacheEnv } from './tool-caches.js';
import { refuseDomainAllowlist } from '../network-refusal.js';

/** Always this binary, never a PATH lookup: a planted `sandbox-exec` would run unsandboxed. */
export const SANDBOX_EXEC = '/usr/bin/sandbox-exec';

/** Facts about the Mac that planning may use. */
export interface MacosHost {
  /**
   * Token (`[A-Za-z0-9_.-]{1,64}`) put into every denial's `(with message ...)` so log
   * lines can be attributed to this run. Defaults to a hash of workspace and argv, which
   * is stable; pass a fresh one per run to tell repeated runs apart.
   */
  sessionTag?: string;
  /**
   * This command's own directory (normalised absolute real path, not existing yet): the
   * launcher creates it, the command gets it as TMPDIR, it is the only writable temp location,
   * and it is removed when the command ends. Omitted (a plan for review only): no temp
   * location is writable.
   */
  runDir?: string;
}

/** Temp-directory variables tools read; each points at the run's own directory. */
const TEMP_VARIABLES = ['TMPDIR', 'TMP', 'TEMP'] as const;

/**
 * The sandbox-exec argv for a resolved policy. Pure: no file-system access, no shell.
 *
 *   /usr/bin/sandbox-exec -p PROFILE -DNAME=VALUE... -- FILE ARGS...
 *
 * - `-p` takes the profile as one argv element; `-D` defines the parameters the profile
 *   reads with (param "NAME"). Each `-DNAME=VALUE` is one element (getopt's attached
 *   form), so a value can never be mistaken for an option.
 * - `--` ends option parsing, so a command named `-n` or `-p...` is run, not parsed.
 *   sandbox-exec parses options with getopt(3), which honours `--`; Codex has passed `--`
 *   here in production for a long time. Were it ever not honoured, sandbox-exec would try
 *   to execute a program named `--` and fail: a loud failure, not an unsandboxed run.
 * - The command's cwd is the launcher's cwd: sandbox-exec changes nothing but the profile.
 *
 * With a network allowlist, `proxy` is where the filtering proxy already listens (on the host's
 * loopback: MacosBackend.proxyAccess): the profile grants TCP to that port and nothing else,
 * and every proxy variable in the env points there with the credential. Without `proxy`, a
 * policy with allow rules is refused (fail closed: no proxy, no network).
 */
export function planMacos(policy: ResolvedPolicy, command: Command, host: MacosHost = {}, proxy?: ProxyAccess): LaunchPlan {
  if (proxy === undefined) refuseDomainAllowlist(policy, 'macos');
  else validateProxy(policy, proxy);
  validateCommand(command);
  validatePaths(policy);
  if (host.runDir !== undefined) validateRunDir(host.runDir, policy);
  const run = { ...(host.runDir === undefined ? {} : { runDir: host.runDir }), ...(proxy === undefined ? {} : { proxyPort: proxy.port }) };
  const tag = sessionTag(host.sessionTag, policy.workspace, command);
  const profile = buildProfile(policy, tag, run);
  return {
    backend: 'macos',
    file: SANDBOX_EXEC,
    args: ['-p', profile.text, ...profile.defines, '--', command.file, ...command.args],
    env: commandEnv(policy, host.runDir, proxy),
    cwd: policy.cwd,
    extraFds: [],
    placeholders: [],
    runDirs: host.runDir === undefined ? [] : [host.runDir],
    tag,
    ...(proxy === undefined ? {} : { proxy }),
  };
}

/**
 * The command's env: the policy's, with temp dirs and tool caches in the run dir (never the
 * user's real, host-trusted caches: tool-caches.ts), and with a proxy, every proxy variable
 * pointing at it. The proxy variables come LAST, over anything inherited or set above: a proxy
 * variable from the harness would send traffic elsewhere (proxy-env.ts).
 */
function commandEnv(policy: ResolvedPolicy, runDir: string | undefined, proxy: ProxyAccess | undefined): Record<string, string> {
  const env = runDir === undefined ? runEnv(policy.env, undefined) : { ...runEnv(policy.env, runDir), ...toolCacheEnv(runDir) };
  return proxy === undefined ? env : allowlistEnv(env, policy.network, proxy);
}

/**
 * A proxy is for a policy with allow rules only (anything else is a caller's bug), at a real
 * port, with a credential: on macOS it listens on the host's loopback, where every local
 * process can reach it, so it must ask who is connecting (MacosBackend.proxyNeedsCredential).
 */
function validateProxy(policy: ResolvedPolicy, proxy: ProxyAccess): void {
  if (policy.network.allow.length === 0) throw new TypeError('a proxy was given for a policy without network.allow');
  checkProxyPort(proxy.port);
  if (typeof proxy.credential !== 'string' || proxy.credential.length === 0) {
    throw new TypeError("the macOS sandbox's proxy listens on the host's loopback and must ask for a credential (proxy.credential)");
  }
}

/** TMPDIR and friends name the run's directory, or are absent: never the host's shared temp dir. */
function runEnv(env: Record<string, string>, runDir: string | undefined): Record<string, string> {
  const out = { ...env };
  for (const name of TEMP_VARIABLES) delete out[name];
  if (runDir !== undefined) for (const name of TEMP_VARIABLES) out[name] = runDir;
  return out;
}

/** The run dir is made writable: it must not lie in a place the policy keeps unwritable or hidden. */
function validateRunDir(runDir: string, policy: ResolvedPolicy): void {
  const issues: PolicyIssue[] = [];
  if (!path.isAbsolute(runDir) || path.normalize(runDir) !== runDir || runDir.endsWith('/') || runDir.includes('\0')) {
    issues.push({ path: 'host.runDir', message: `${JSON.stringify(runDir)} is not a normalised absolute path` });
  } else if ([...policy.denyRead, ...policy.protect].some((r) => isInside(runDir, r.path) || isInside(r.path, runDir))) {
    issues.push({ path: 'host.runDir', message: `${runDir} overlaps a denied or protected path` });
  }
  if (issues.length > 0) throw new PolicyError('ERR_CORDON_POLICY_INVALID', issues, { hint: 'let the macOS backend choose the run directory (under the user temp dir)' });
}

function validateCommand(command: Command): void {
  const issues: PolicyIssue[] = [];
  if (typeof command.file !== 'string' || command.file.length === 0) issues.push({ path: 'command.file', message: 'is empty' });
  [command.file, ...command.args].forEach((arg, i) => {
    if (typeof arg !== 'string' || arg.includes('\0')) issues.push({ path: i === 0 ? 'command.file' : `command.args.${i - 1}`, message: 'must be a string without NUL bytes' });
  });
  if (issues.length > 0) throw new PolicyError('ERR_CORDON_POLICY_INVALID', issues, { hint: 'pass the command as argv: { file, args }' });
}

/**
 * Every path the profile's parameters will carry must be absolute and normalised: a
 * relative or `..` path would match nothing in Seatbelt (which sees real paths), so a
 * deny rule built from it would silently protect nothing.
 */
function validatePaths(policy: ResolvedPolicy): void {
  const issues: PolicyIssue[] = [];
  const check = (p: string, field: string) => {
    if (typeof p !== 'string' || !path.isAbsolute(p) || path.normalize(p) !== p || (p.length > 1 && p.endsWith('/')) || p.includes('\0')) {
      issues.push({ path: field, message: `${JSON.stringify(p)} is not a normalised absolute path` });
    }
  };
  check(policy.workspace, 'workspace');
  check(policy.cwd, 'cwd');
  check(policy.home, 'home');
  policy.homes.forEach((p, i) => check(p, `homes.${i}`));
  policy.keepInTmp.forEach((p, i) => check(p, `keepInTmp.${i}`));
  policy.writableRoots.forEach((p, i) => check(p, `writableRoots.${i}`));
  policy.tmpDirs.forEach((p, i) => check(p, `tmpDirs.${i}`));
  policy.denyRead.forEach((r, i) => check(r.path, `denyRead.${i}`));
  policy.allowRead.forEach((r, i) => check(r.path, `allowRead.${i}`));
  policy.protect.forEach((r, i) => {
    check(r.path, `protect.${i}`);
    r.pins.forEach((p, j) => check(p, `protect.${i}.pins.${j}`));
  });
  if (issues.length > 0) throw new PolicyError('ERR_CORDON_POLICY_INVALID', issues, { hint: 'plan from the output of resolvePolicy()' });
}

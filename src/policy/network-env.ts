import type { NetworkRules } from './network/patterns.js';

/**
 * One environment default that makes a tool give up at once when there is no network.
 * `measured` is what the tool did inside the sandbox without it (Debian 12, see
 * /work/notes/network-denials.md); `why` says why the value changes nothing else.
 */
export interface NetworkEnvDefault {
  name: string;
  value: string;
  tool: string;
  measured: string;
  why: string;
}

/**
 * With no network every connection fails at once (the sandbox's network namespace has only
 * loopback: DNS gets ENETUNREACH, so getaddrinfo answers EAI_AGAIN in milliseconds). What
 * costs time is a tool's own retry loop with backoff, sleeping between attempts that cannot
 * succeed. Only those loops are switched off here, and only by settings that a tool reads for
 * network requests alone: a command that does not touch the network behaves exactly the same.
 *
 * Deliberately absent, because the measurements showed no wait to remove (each failed in
 * under a second with its defaults): connect/read timeouts (PIP_TIMEOUT, npm fetch-timeout:
 * nothing ever blocks on connect in an empty namespace), git (no retry loop for http; the
 * host is unreachable before any credential prompt, so GIT_TERMINAL_PROMPT changes nothing),
 * curl, wget, ssh, Python's urllib and Node's fetch (no retries by default). Offline modes
 * (npm prefer-offline, CARGO_NET_OFFLINE, PIP_NO_INDEX) are absent too: they change what a
 * command resolves, not how fast it fails.
 */
export const NETWORK_NONE_ENV: readonly NetworkEnvDefault[] = [
  {
    name: 'npm_config_fetch_retries',
    value: '0',
    tool: 'npm',
    measured: '`npm install left-pad`, `npm view left-pad` with a fresh cache: 72-75 s each (2 retries, after 10 s and 60 s of backoff), then `request to https://registry.npmjs.org/left-pad failed, reason: getaddrinfo EAI_AGAIN registry.npmjs.org`',
    why: 'fetch-retries is the retry count for fetches from the registry and nothing else; the error npm prints is the same, one attempt earlier',
  },
  {
    name: 'PIP_RETRIES',
    // 1, not 0: urllib3 sleeps nothing before the first retry (its backoff starts at the
    // second), and only a retry makes pip print the failure at all ("WARNING: Retrying ...
    // Temporary failure in name resolution"); with 0 it logs it at debug level and says only
    // "No matching distribution found", which names no network problem.
    value: '1',
    tool: 'pip',
    measured: '`pip install requests` with a local find-links index: 46-48 s of 5 retries per index page against pypi.org (backoff 0.25 s doubling: 0 + 0.5 + 1 + 2 + 4 s per page), then it installed from the local index anyway',
    why: 'pip passes --retries to urllib3 for its HTTP session only; local indexes, find-links and the cache are read as before',
  },
  {
    name: 'CARGO_NET_RETRY',
    value: '0',
    tool: 'cargo',
    measured: '`cargo fetch`, `cargo search serde` with a fresh CARGO_HOME: 3 "spurious network error" retries with sleeps, 11.6-12.3 s',
    why: 'net.retry is the number of retries of possibly spurious network errors (cargo\'s docs); nothing else reads it',
  },
];

/**
 * The command's environment with the defaults above added underneath it: a variable the
 * caller passes, inherits or sets in `env.set` wins, also when spelt in another case (npm
 * reads `NPM_CONFIG_FETCH_RETRIES` too, and which of two spellings wins is up to the order of
 * the environment). No defaults unless the policy has no network (no allow rule).
 */
export function withNetworkEnvDefaults(network: Pick<NetworkRules, 'allow'>, env: Readonly<Record<string, string>>, passed: (name: string) => boolean = () => false): Record<string, string> {
  const present = new Set(Object.keys(env).map((name) => name.toUpperCase()));
  const defaults = Object.entries(networkEnvDefaults(network)).filter(([name]) => !present.has(name.toUpperCase()));
  return { ...Object.fromEntries(defaults), ...withoutInheritedProxies(network, env, passed) };
}

/** Names of proxy variables in any letter case (what tools read to find a proxy). */
export const PROXY_VARIABLE = /^(https?_proxy|all_proxy|no_proxy|npm_config_(https_)?proxy|npm_config_noproxy|node_use_env_proxy)$/i;

/**
 * With no network, a proxy inherited from the harness (a corporate HTTPS_PROXY) cannot be
 * reached either, and it makes tools name the proxy instead of the host they wanted in their
 * error ("Failed to connect to proxy.corp:3128"), which is what cordon's denial report reads.
 * Dropped, unless env.pass names it (the caller's explicit choice wins, as in the env filter).
 * With an allowlist they are replaced by cordon's own (src/network/proxy-env.ts).
 */
function withoutInheritedProxies(network: Pick<NetworkRules, 'allow'>, env: Readonly<Record<string, string>>, passed: (name: string) => boolean): Record<string, string> {
  if (network.allow.length > 0) return { ...env };
  return Object.fromEntries(Object.entries(env).filter(([name]) => passed(name) || !PROXY_VARIABLE.test(name)));
}

/** The defaults alone, by name: what a command gets under this network policy when it sets none of them. */
export function networkEnvDefaults(network: Pick<NetworkRules, 'allow'>): Record<string, string> {
  // No allow rule (presets expanded) is no network: the only case these retries cannot succeed.
  return network.allow.length === 0 ? Object.fromEntries(NETWORK_NONE_ENV.map((d) => [d.name, d.value])) : {};
}

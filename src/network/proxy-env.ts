import { specialAddressKind } from '../policy/network/addresses.js';
import { PROXY_VARIABLE } from '../policy/network-env.js';
import type { NetworkRules } from '../policy/network/patterns.js';
import { PROXY_USER } from './credential.js';
import { withNodeFetchPreload } from './node-fetch-preload.js';

/** Where the command reaches the proxy: a port on 127.0.0.1 as the command sees it, and its credential. */
export interface ProxyEndpoint {
  /** Port on 127.0.0.1 (Linux: the sandbox's own loopback, where cordon-proxy-door listens; macOS: the proxy's own). */
  port: number;
  /** The per-sandbox credential (password of user `cordon`): URL-safe, checked by the proxy. Absent: none asked. */
  credential?: string;
  /**
   * Names for no_proxy: clients connect to these directly instead of through the proxy.
   * Default none. See loopbackBypass.
   */
  noProxy?: readonly string[];
}

/**
 * Every proxy variable a command's tools read, pointing at the proxy, for a policy with a
 * network allowlist. Applied AFTER the environment filter (src/policy/env.ts drops values that
 * carry URL credentials, which these do on purpose) and over anything inherited: a proxy
 * variable from the harness's environment would send traffic elsewhere or bypass nothing at
 * all. Each, and who reads it:
 * - http_proxy / HTTP_PROXY, https_proxy / HTTPS_PROXY: curl (lower-case http_proxy only),
 *   git, pip, requests/urllib, wget, Go, Rust's reqwest, Python's urllib.
 * - all_proxy / ALL_PROXY as socks5h:// (the proxy resolves the name, never the client): curl
 *   and git for any scheme without its own variable.
 * - no_proxy / NO_PROXY: only what the caller passes (loopbackBypass); an inherited
 *   `localhost,.internal` would make clients dial those hosts directly, which fails in the
 *   sandbox anyway and hides the host from the report.
 * - npm_config_proxy / npm_config_https_proxy / npm_config_noproxy: npm ignores HTTPS_PROXY in
 *   some versions, and an npm running the harness exports its own noproxy to children.
 * - NODE_USE_ENV_PROXY=1: Node's own fetch honours the variables above from 22.21 / 24.0 (and
 *   http/https from 22.21 / 24.5); for older Nodes' fetch, allowlistEnv adds a preload
 *   (preload/node-fetch-proxy.cjs, src/network/node-fetch-preload.ts) to NODE_OPTIONS.
 * Pure; `credential` must be URL-safe (the proxy makes it so: hex).
 */
export function proxyEnv({ port, credential, noProxy = [] }: ProxyEndpoint): Record<string, string> {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`proxy port ${port} is not a TCP port`);
  if (credential !== undefined && !/^[A-Za-z0-9._~-]+$/.test(credential)) throw new RangeError('the proxy credential must be URL-safe');
  const user = credential === undefined ? '' : `${PROXY_USER}:${credential}@`;
  const http = `http://${user}127.0.0.1:${port}`;
  const socks = `socks5h://${user}127.0.0.1:${port}`;
  const bypass = noProxy.join(',');
  return {
    http_proxy: http,
    HTTP_PROXY: http,
    https_proxy: http,
    HTTPS_PROXY: http,
    all_proxy: socks,
    ALL_PROXY: socks,
    no_proxy: bypass,
    NO_PROXY: bypass,
    npm_config_proxy: http,
    npm_config_https_proxy: http,
    npm_config_noproxy: bypass,
    NODE_USE_ENV_PROXY: '1',
  };
}


/** The command's environment with every inherited proxy variable replaced by ours. */
export function withProxyEnv(env: Readonly<Record<string, string>>, endpoint: ProxyEndpoint): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (!PROXY_VARIABLE.test(name)) out[name] = value;
  return { ...out, ...proxyEnv(endpoint) };
}

/**
 * no_proxy for a policy: the sandbox's own loopback, so a test suite's server inside the
 * sandbox is reached directly (through the proxy it would be the HOST's loopback, and refused).
 * Unless the policy allows a loopback target (`localhost:5432`, `127.0.0.1:8080`: a service on
 * the host): then loopback must go through the proxy to reach it, and in-sandbox servers are
 * only reachable by clients that ignore the proxy variables (README: limits).
 */
export function loopbackBypass(rules: NetworkRules): string[] {
  const allowsHostLoopback = rules.allow.some((rule) => rule.kind === 'localhost' || (rule.kind === 'ip' && specialAddressKind(rule.host) === 'loopback'));
  return allowsHostLoopback ? [] : ['localhost', '127.0.0.1', '::1'];
}

/**
 * The command's environment under a network allowlist: the policy's (already filtered) env with
 * every proxy variable pointing at `access`, and Node's fetch preload in NODE_OPTIONS. Both
 * backends' planners call this, so a command sees the same variables on either. The preload
 * file must be readable in the sandbox (a missing --require target stops every node process):
 * the Linux plan binds it read-only at its path.
 */
export function allowlistEnv(env: Readonly<Record<string, string>>, rules: NetworkRules, access: { port: number; credential?: string }): Record<string, string> {
  return withNodeFetchPreload(withProxyEnv(env, { ...access, noProxy: loopbackBypass(rules) }));
}

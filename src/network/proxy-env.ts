import { PROXY_USER } from './credential.js';

/** Where the command reaches the proxy: an address on the sandbox's own loopback, and its credential. */
export interface ProxyEndpoint {
  /** Port on 127.0.0.1 inside the sandbox (the relay's; on macOS the proxy's own). */
  port: number;
  /** The per-sandbox credential (password of user `cordon`): URL-safe, checked by the proxy. */
  credential: string;
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
 * - no_proxy / NO_PROXY empty: an inherited `localhost,.internal` would make clients dial those
 *   hosts directly, which fails in the sandbox anyway and hides the host from the report.
 * - npm_config_proxy / npm_config_https_proxy: npm ignores HTTPS_PROXY in some versions.
 * - NODE_USE_ENV_PROXY=1: Node's own fetch/http honour the variables above (Node >= 22.21 /
 *   24.5); older Nodes' fetch ignores every proxy variable and fails (not-proxy-aware clients
 *   reach nothing: that is the allowlist's documented limit).
 * Pure; `credential` must be URL-safe (the proxy makes it so: hex).
 */
export function proxyEnv({ port, credential }: ProxyEndpoint): Record<string, string> {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`proxy port ${port} is not a TCP port`);
  if (!/^[A-Za-z0-9._~-]+$/.test(credential)) throw new RangeError('the proxy credential must be URL-safe');
  const http = `http://${PROXY_USER}:${credential}@127.0.0.1:${port}`;
  const socks = `socks5h://${PROXY_USER}:${credential}@127.0.0.1:${port}`;
  return {
    http_proxy: http,
    HTTP_PROXY: http,
    https_proxy: http,
    HTTPS_PROXY: http,
    all_proxy: socks,
    ALL_PROXY: socks,
    no_proxy: '',
    NO_PROXY: '',
    npm_config_proxy: http,
    npm_config_https_proxy: http,
    NODE_USE_ENV_PROXY: '1',
  };
}

/** Names of proxy variables in any letter case, so inherited spellings (Https_Proxy) are replaced too. */
export const PROXY_VARIABLE = /^(https?_proxy|all_proxy|no_proxy|npm_config_(https_)?proxy|node_use_env_proxy)$/i;

/** The command's environment with every inherited proxy variable replaced by ours. */
export function withProxyEnv(env: Readonly<Record<string, string>>, endpoint: ProxyEndpoint): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (!PROXY_VARIABLE.test(name)) out[name] = value;
  return { ...out, ...proxyEnv(endpoint) };
}

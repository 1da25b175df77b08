import type { Denial } from '../sandbox-report.js';

/** The rule every network denial cites: the only network mode there is today. */
export const NETWORK_NONE_RULE = 'network: none (no network in the sandbox)';

/**
 * One failure line shape a tool prints when it cannot reach a host. `re` must be global; each
 * match gives the host in the named group `host` (or `host6`, a bare IPv6 address) and, when
 * the tool prints it, the port in `port`. `tool` only documents where the shape comes from.
 */
interface FailureShape {
  tool: string;
  re: RegExp;
}

// A host as tools print it: a DNS name, an IPv4 address, or a bracketed IPv6 address.
// Lengths are bounded (a DNS label is at most 63 characters, a scheme short) so that no
// pattern backtracks quadratically over a long run of letters in a megabyte of output.
const HOST = String.raw`(?<host>\[[0-9A-Fa-f:.]{2,45}\]|[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*)`;
const PORT = String.raw`(?<port>\d{1,5})`;
// Where a word (not a colon) follows the host, an IPv6 address may come bare: "2606:4700::1111 port 443".
const HOST_OR_V6 = String.raw`(?:(?<host6>[0-9A-Fa-f]{0,4}:[0-9A-Fa-f:.]{1,45})|${HOST})`;
const URL_HOST = String.raw`[a-z][a-z0-9+.-]{0,15}://(?:[^@/\s'"]{0,256}@)?${HOST}(?::${PORT})?`;

/**
 * The lines, as each tool prints them with no network (recorded inside the sandbox; the test
 * data in test/unit/network-denials.test.ts), except Go's (not installed where this was
 * measured; the shape is Go's net package error text). Every shape is tried; the hosts are
 * reported in the order the output names them, once each.
 */
const SHAPES: readonly FailureShape[] = [
  // node, npm: "getaddrinfo EAI_AGAIN registry.npmjs.org" (also ENOTFOUND)
  { tool: 'node', re: new RegExp(String.raw`getaddrinfo (?:EAI_AGAIN|ENOTFOUND|EAI_NONAME|EAI_FAIL) ${HOST}`, 'g') },
  // node: "connect ENETUNREACH 104.16.0.35:443", "connect ECONNREFUSED 127.0.0.1:8080"
  // (an IPv6 address comes without brackets: "connect ENETUNREACH 2606:4700::1111:443")
  { tool: 'node', re: new RegExp(String.raw`connect (?:ENETUNREACH|EHOSTUNREACH|ECONNREFUSED|ETIMEDOUT) ${HOST_OR_V6}:${PORT}`, 'g') },
  // npm: "request to https://registry.npmjs.org/left-pad failed"
  { tool: 'npm', re: new RegExp(String.raw`request to ${URL_HOST}\S* failed`, 'g') },
  // curl, git, cargo (libcurl): "Could not resolve host: github.com"
  { tool: 'curl', re: new RegExp(String.raw`Could not resolve (?:host|proxy): ${HOST}`, 'g') },
  // curl: "Failed to connect to 1.2.3.4 port 443"
  { tool: 'curl', re: new RegExp(String.raw`Failed to connect to ${HOST_OR_V6} port ${PORT}`, 'g') },
  // git: "unable to access 'https://github.com/octocat/Hello-World.git/'"
  { tool: 'git', re: new RegExp(String.raw`unable to access '${URL_HOST}`, 'g') },
  // ssh: "ssh: Could not resolve hostname github.com: ..."; "connect to host github.com port 22: ..."
  { tool: 'ssh', re: new RegExp(String.raw`Could not resolve hostname ${HOST}`, 'g') },
  { tool: 'ssh', re: new RegExp(String.raw`connect to host ${HOST_OR_V6} port ${PORT}`, 'g') },
  // pip, requests, urllib3: "HTTPSConnectionPool(host='pypi.org', port=443)"
  { tool: 'urllib3', re: new RegExp(String.raw`ConnectionPool\(host='${HOST}', port=${PORT}\)`, 'g') },
  // wget: "unable to resolve host address ‘example.com’" (typographic quotes in a UTF-8 locale)
  { tool: 'wget', re: new RegExp(String.raw`unable to resolve host address ['‘\`]${HOST}['’]`, 'g') },
  { tool: 'wget', re: new RegExp(String.raw`Resolving ${HOST} \([^)]*\)\.\.\. failed`, 'g') },
  // Go: "dial tcp: lookup proxy.golang.org on 10.0.0.53:53: ..." (the host is the one looked up, not the resolver)
  { tool: 'go', re: new RegExp(String.raw`dial (?:tcp|udp): lookup ${HOST}`, 'g') },
];

/**
 * A name-resolution failure that prints no host (Python's urllib: "<urlopen error [Errno -3]
 * Temporary failure in name resolution>"); the host is then taken from URLs elsewhere in the
 * same output, which is weaker evidence, so only when no shape above named a host.
 */
const HOSTLESS_FAILURE = /Temporary failure in name resolution|Name or service not known|nodename nor servname provided|No address associated with hostname|Network is unreachable/;
const ANY_URL = new RegExp(URL_HOST, 'g');
/** Hosts that tools name in their advice, not as what they tried to reach (pip as root: "... https://pip.pypa.io/warnings/venv"). */
const HELP_HOSTS = new Set(['pip.pypa.io', 'docs.npmjs.com', 'git-scm.com', 'doc.rust-lang.org', 'docs.python.org', 'nodejs.org']);

/**
 * pip prints no host when an index cannot be reached: urllib3's "WARNING: Retrying (Retry(total=0,
 * ...)) after connection broken by 'NewConnectionError(...: Failed to establish a new connection:
 * [Errno -3] Temporary failure in name resolution')': /simple/requests/" (one per package, and
 * only while a retry is left: with no retries pip reports nothing but "No matching distribution").
 * The host is the index's: pip prints "Looking in indexes: URL, ..." whenever the index is not
 * its default, https://pypi.org/simple.
 */
const PIP_RETRY = /Retrying \(Retry\(total=\d+[^\n]*after connection broken by [^\n]*\)': (?<path>\/\S*)/;
const PIP_INDEXES = /Looking in indexes: (?<urls>[^\n]*)/;
const PIP_DEFAULT_INDEX_HOST = 'pypi.org';

function pipIndexHosts(text: string, requestPath: string): string[] {
  const listed = PIP_INDEXES.exec(text)?.groups!.urls;
  if (listed !== undefined) return [...listed.matchAll(ANY_URL)].map((m) => m.groups!.host!);
  // Without that line the index is pypi.org; a path of another shape is some other urllib3 client.
  return requestPath.startsWith('/simple/') ? [PIP_DEFAULT_INDEX_HOST] : [];
}

/**
 * Network denials inferred from a command's output: each host a tool said it could not reach,
 * once, with the line that said so. Pure; the policy is not consulted because every network
 * access is denied while the mode is `none` (the only mode there is).
 */
export function inferNetworkDenials(text: string): Denial[] {
  const byHost = new Map<string, Denial>();
  const add = (host: string, port: string | undefined, evidence: string): void => {
    const key = normaliseHost(host);
    if (!isPlausibleHost(key)) return;
    const known = byHost.get(key);
    if (known) {
      if (known.port === undefined && port !== undefined) known.port = Number(port);
      return;
    }
    byHost.set(key, { kind: 'network', host: key, ...(port !== undefined ? { port: Number(port) } : {}), rule: NETWORK_NONE_RULE, certainty: 'inferred', evidence });
  };
  // In the order the output names them, whichever shape matched.
  const matches = SHAPES.flatMap((shape) => [...text.matchAll(shape.re)]).sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
  for (const m of matches) add((m.groups!.host ?? m.groups!.host6)!, m.groups!.port, lineAt(text, m.index ?? 0));
  if (byHost.size === 0) {
    const retry = PIP_RETRY.exec(text);
    if (retry) for (const host of pipIndexHosts(text, retry.groups!.path!)) add(host, undefined, lineAt(text, retry.index));
  }
  if (byHost.size === 0) {
    const failure = HOSTLESS_FAILURE.exec(text);
    if (failure) {
      const evidence = lineAt(text, failure.index);
      for (const m of text.matchAll(ANY_URL)) if (!HELP_HOSTS.has(m.groups!.host!.toLowerCase())) add(m.groups!.host!, m.groups!.port, evidence);
    }
  }
  return [...byHost.values()];
}

/** Lower case, brackets off an IPv6 address, no trailing dot: one key per host. */
function normaliseHost(host: string): string {
  const h = host.toLowerCase().replace(/\.$/, '');
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

/** A port-like or empty capture is not a host. */
function isPlausibleHost(host: string): boolean {
  return host.length > 0 && host.length <= 253 && !/^\d+$/.test(host);
}

/** The whole output line around `index`, trimmed, at most 300 characters. */
function lineAt(text: string, index: number): string {
  const start = text.lastIndexOf('\n', index) + 1;
  const end = text.indexOf('\n', index);
  return text.slice(start, end < 0 ? undefined : end).trim().slice(0, 300);
}

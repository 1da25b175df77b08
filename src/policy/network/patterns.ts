import { PolicyError, type PolicyIssue } from '../../errors.js';
import { canonicalHost, hostKind } from './host.js';

/**
 * One entry of `network.allow` or `network.deny`, parsed: `host[:port]` where host is an exact
 * DNS name, `*.name` (every name below it, not the name itself), an IP literal (IPv6 in
 * brackets when a port follows) or `localhost`. No port means every port.
 */
export interface HostRule {
  /** The entry as written, for messages. */
  pattern: string;
  /** Where it came from, for denial reports: `network.allow: *.github.com`, `network.presets: npm (registry.npmjs.org:443)`. */
  rule: string;
  /** `any` only in network.deny (`*`): denying everything is never too broad. */
  kind: 'name' | 'subdomains' | 'ip' | 'localhost' | 'any';
  /** Canonical host (canonicalHost); for `subdomains` the name below which it matches; '' for `any`. */
  host: string;
  /** 1-65535; undefined: every port. */
  port?: number;
}

/** What a parse problem is: malformed, or a pattern that would open far more than anyone means. */
export interface PatternIssue extends PolicyIssue {
  tooBroad: boolean;
  hint: string;
}

/**
 * Multi-label suffixes under which unrelated people get names: country registries' second
 * levels and hosting platforms that hand out subdomains. `*.github.io` would allow every
 * GitHub user's site, an exfiltration endpoint anyone can make in a minute. This is a short
 * built-in list, not the Public Suffix List (about 10,000 entries that change weekly, which a
 * policy file should not silently depend on): it holds the suffixes people actually put a
 * wildcard on, and the rule that a single label (`*.com`) is refused covers every TLD. A
 * wildcard on a suffix missing here is still the user's explicit choice.
 */
export const SHARED_SUFFIXES: ReadonlySet<string> = new Set([
  // Country registries' second levels
  'co.uk', 'org.uk', 'ac.uk', 'gov.uk', 'me.uk', 'ltd.uk', 'plc.uk', 'net.uk',
  'com.au', 'net.au', 'org.au', 'edu.au', 'gov.au',
  'co.nz', 'org.nz', 'net.nz', 'co.jp', 'ne.jp', 'or.jp', 'ac.jp', 'go.jp',
  'co.kr', 'or.kr', 'co.in', 'net.in', 'org.in', 'co.za', 'org.za', 'co.il', 'co.id',
  'com.br', 'net.br', 'org.br', 'com.cn', 'net.cn', 'org.cn', 'com.tw', 'com.hk', 'com.sg',
  'com.mx', 'com.ar', 'com.tr', 'com.ua', 'com.pl', 'com.ru', 'com.my', 'com.ph', 'com.vn',
  // Hosting platforms: anyone gets a subdomain
  'github.io', 'gitlab.io', 'githubpreview.dev', 'herokuapp.com', 'vercel.app', 'netlify.app',
  'pages.dev', 'workers.dev', 'web.app', 'firebaseapp.com', 'appspot.com', 'azurewebsites.net',
  'cloudfront.net', 'amazonaws.com', 's3.amazonaws.com', 'blob.core.windows.net', 'ngrok.io',
  'ngrok-free.app', 'ngrok.app', 'trycloudflare.com', 'onrender.com', 'fly.dev', 'glitch.me',
  'replit.app', 'repl.co', 'surge.sh', 'readthedocs.io', 'deno.dev', 'railway.app', 'loca.lt',
]);

const GRAMMAR = 'write host[:port]: "registry.npmjs.org", "*.github.com" (subdomains only), "127.0.0.1:8080", "[::1]:5432", "localhost:3000"';

/**
 * Parses one pattern. `side` is the list it is in: over-broad patterns are refused in
 * `allow` only (a deny can never open anything).
 */
export function parseHostPattern(text: string, field: string, side: 'allow' | 'deny'): HostRule | PatternIssue {
  const issue = (message: string, hint = GRAMMAR, tooBroad = false): PatternIssue => ({ path: field, message: `${JSON.stringify(text)} ${message}`, hint, tooBroad });
  const rule = `network.${side}: ${text}`;
  if (text.includes('\0')) return issue('contains a NUL byte');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text) || text.includes('/') || text.includes('@')) {
    const host = hostOfUrl(text);
    return issue('is a URL, not a host pattern', host ? `write the host alone: "${host}"` : GRAMMAR);
  }
  const split = splitPort(text);
  if ('error' in split) return issue(split.error);
  const { host, port } = split;
  const withPort = (r: Omit<HostRule, 'pattern' | 'rule' | 'port'>): HostRule => ({ pattern: text, rule, ...r, ...(port === undefined ? {} : { port }) });

  if (host === '*') {
    if (side === 'deny') return withPort({ kind: 'any', host: '' });
    return issue('matches every host', 'list the hosts the command needs; omit network.allow for no network', true);
  }
  const wildcard = host.startsWith('*.');
  const base = wildcard ? host.slice(2) : host;
  if (base.includes('*')) return issue('has a wildcard that is not the whole leading label', 'only "*.name" is supported (every name below name)');
  const canonical = canonicalHost(base);
  if (canonical === undefined) return issue('is not a valid host name or IP address');
  const kind = hostKind(canonical);
  if (wildcard) {
    if (kind !== 'name') return issue('puts a wildcard on an IP address', 'list each address');
    if (side === 'allow' && !canonical.includes('.')) return issue(`matches every name in the top-level domain .${canonical}`, 'name the domain: "*.example.com"', true);
    if (side === 'allow' && SHARED_SUFFIXES.has(canonical)) return issue(`matches names that anyone can register under ${canonical}`, `name the site: "x.${canonical}" or "*.x.${canonical}"`, true);
    return withPort({ kind: 'subdomains', host: canonical });
  }
  if (kind !== 'name') return withPort({ kind: 'ip', host: canonical });
  if (canonical === 'localhost') return withPort({ kind: 'localhost', host: canonical });
  // A single label is a TLD, or a short name the resolver completes from its search list into
  // a name nobody wrote down.
  if (!canonical.includes('.')) return issue('is a single label (a top-level domain, or a short name the resolver would complete)', 'write the fully qualified name');
  return withPort({ kind: 'name', host: canonical });
}

function splitPort(text: string): { host: string; port?: number } | { error: string } {
  let host = text;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end < 0) return { error: 'has an unclosed "["' };
    host = text.slice(0, end + 1);
    const rest = text.slice(end + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) return { error: 'has text after "]" that is not ":port"' };
      portText = rest.slice(1);
    }
  } else if (text.split(':').length === 2) {
    [host, portText] = text.split(':') as [string, string];
  }
  // More than one ":" without brackets is an IPv6 address with no port.
  if (portText === undefined) return { host };
  if (!/^[0-9]{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) return { error: 'has a port that is not a number from 1 to 65535 (omit it for every port)' };
  return { host, port: Number(portText) };
}

function hostOfUrl(text: string): string | undefined {
  try {
    const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`);
    return url.host || undefined;
  } catch {
    return undefined;
  }
}

/** The parsed network part of a policy: what the proxy decides by. */
export interface NetworkRules {
  allow: HostRule[];
  deny: HostRule[];
}

/**
 * Parses every entry, reporting all problems at once: `ERR_CORDON_POLICY_TOO_BROAD` when each
 * is over-broad (`*`, `*.com`), `ERR_CORDON_POLICY_INVALID` otherwise. `extraAllow` are rules
 * already parsed elsewhere (presets).
 */
export function parseNetworkRules(network: { allow: readonly string[]; deny: readonly string[] }, extraAllow: readonly HostRule[] = []): NetworkRules {
  const issues: PatternIssue[] = [];
  const parse = (side: 'allow' | 'deny') =>
    network[side].flatMap((text, i) => {
      const r = parseHostPattern(text, `network.${side}.${i}`, side);
      if ('kind' in r) return [r];
      issues.push(r);
      return [];
    });
  const rules = { allow: [...parse('allow'), ...extraAllow], deny: parse('deny') };
  if (issues.length > 0) {
    throw new PolicyError(issues.every((i) => i.tooBroad) ? 'ERR_CORDON_POLICY_TOO_BROAD' : 'ERR_CORDON_POLICY_INVALID', issues.map(({ path, message }) => ({ path, message })), {
      hint: [...new Set(issues.map((i) => i.hint))].join('; '),
    });
  }
  return rules;
}

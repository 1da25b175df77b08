import { describe, expect, it } from 'vitest';
import { inferNetworkDenials, NETWORK_NONE_RULE } from '../../src/denials/network.js';
import { NETWORK_NONE_ENV, withNetworkEnvDefaults } from '../../src/policy/network-env.js';
import { resolvePolicy } from '../../src/policy/resolve.js';
import { tempTrees } from '../helpers/tree.js';

/**
 * Output recorded inside the sandbox (network: none, Debian 12, npm 11.19, curl 7.88, git 2.39,
 * wget 1.21, OpenSSH 9.2, Node 20.20, Python 3.11 with pip 23.2 and requests 2.34, cargo from
 * rustup), verbatim; long tracebacks are cut to their last lines. Each was run with
 * sandboxedSpawn as `sh -c COMMAND` in a fresh workspace; see /work/notes/network-denials.md for
 * how long each took. `hosts` is what the output lets a reader name: none where the tool printed
 * no host at all.
 */
const RECORDED: ReadonlyArray<{ label: string; command: string; hosts: string[]; output: string }> = [
  {
    label: "npm install left-pad (before)",
    command: "npm_config_cache=$PWD/npm-cache-1 npm install left-pad",
    hosts: ["registry.npmjs.org"],
    output: "npm error code EAI_AGAIN\nnpm error syscall getaddrinfo\nnpm error errno EAI_AGAIN\nnpm error request to https://registry.npmjs.org/left-pad failed, reason: getaddrinfo EAI_AGAIN registry.npmjs.org\nnpm error A complete log of this run can be found in: /root/netmeasure-before-25350/npm-cache-1/_logs/2026-12-02T10_10_47_181Z-debug-0.log",
  },
  {
    label: "npm view left-pad (fail-fast env)",
    command: "npm_config_cache=$PWD/npm-cache-2 npm view left-pad",
    hosts: ["registry.npmjs.org"],
    output: "npm error code EAI_AGAIN\nnpm error syscall getaddrinfo\nnpm error errno EAI_AGAIN\nnpm error request to https://registry.npmjs.org/left-pad failed, reason: getaddrinfo EAI_AGAIN registry.npmjs.org\nnpm error A complete log of this run can be found in: /root/netmeasure-after-seq2-586/npm-cache-2/_logs/2026-12-02T10_17_34_206Z-debug-0.log",
  },
  {
    label: "git clone",
    command: "git clone https://github.com/octocat/Hello-World.git hw",
    hosts: ["github.com"],
    output: "Cloning into 'hw'...\nfatal: unable to access 'https://github.com/octocat/Hello-World.git/': Could not resolve host: github.com",
  },
  {
    label: "git ls-remote",
    command: "git ls-remote https://github.com/octocat/Hello-World.git",
    hosts: ["github.com"],
    output: "fatal: unable to access 'https://github.com/octocat/Hello-World.git/': Could not resolve host: github.com",
  },
  {
    label: "curl",
    command: "curl -sS https://example.com",
    hosts: ["example.com"],
    output: "curl: (6) Could not resolve host: example.com",
  },
  {
    label: "curl to an address",
    command: "curl -sS https://1.1.1.1",
    hosts: ["1.1.1.1"],
    output: "curl: (7) Failed to connect to 1.1.1.1 port 443 after 0 ms: Couldn't connect to server",
  },
  {
    label: "curl to an IPv6 address",
    command: "curl -sS \"https://[2606:4700:4700::1111]\"",
    hosts: ["2606:4700:4700::1111"],
    output: "curl: (7) Failed to connect to 2606:4700:4700::1111 port 443 after 0 ms: Couldn't connect to server",
  },
  {
    label: "wget",
    command: "wget -O /dev/null https://example.com",
    hosts: ["example.com"],
    output: "--2026-12-02 10:12:41--  https://example.com/\nResolving example.com (example.com)... failed: Temporary failure in name resolution.\nwget: unable to resolve host address ‘example.com’",
  },
  {
    label: "node fetch",
    command: "node -e \"fetch('https://registry.npmjs.org').then(r => console.log(r.status))\"",
    hosts: ["registry.npmjs.org"],
    output: "node:internal/deps/undici/undici:14976\n      Error.captureStackTrace(err);\n            ^\n\nTypeError: fetch failed\n    at node:internal/deps/undici/undici:14976:13\n    at process.processTicksAndRejections (node:internal/process/task_queues:95:5) {\n  [cause]: Error: getaddrinfo EAI_AGAIN registry.npmjs.org\n      at GetAddrInfoReqWrap.onlookupall [as oncomplete] (node:dns:122:26) {\n    errno: -3001,\n    code: 'EAI_AGAIN',\n    syscall: 'getaddrinfo',\n    hostname: 'registry.npmjs.org'\n  }\n}\n\nNode.js v20.20.2",
  },
  {
    label: "node fetch to an address",
    command: "node -e \"fetch('https://1.1.1.1').then(r => console.log(r.status))\"",
    hosts: ["1.1.1.1"],
    output: "node:internal/deps/undici/undici:14976\n      Error.captureStackTrace(err);\n            ^\n\nTypeError: fetch failed\n    at node:internal/deps/undici/undici:14976:13\n    at process.processTicksAndRejections (node:internal/process/task_queues:95:5) {\n  [cause]: Error: connect ENETUNREACH 1.1.1.1:443 - Local (0.0.0.0:0)\n      at internalConnect (node:net:1098:16)\n      at defaultTriggerAsyncIdScope (node:internal/async_hooks:464:18)\n      at node:net:1328:9\n      at process.processTicksAndRejections (node:internal/process/task_queues:77:11) {\n    errno: -101,\n    code: 'ENETUNREACH',\n    syscall: 'connect',\n    address: '1.1.1.1',\n    port: 443\n  }\n}\n\nNode.js v20.20.2",
  },
  {
    label: "node fetch to an IPv6 address",
    command: "node -e \"fetch('https://[2606:4700:4700::1111]').then(r => console.log(r.status))\"",
    hosts: ["2606:4700:4700::1111"],
    output: "node:internal/deps/undici/undici:14976\n      Error.captureStackTrace(err);\n            ^\n\nTypeError: fetch failed\n    at node:internal/deps/undici/undici:14976:13\n    at process.processTicksAndRejections (node:internal/process/task_queues:95:5) {\n  [cause]: Error: connect ENETUNREACH 2606:4700:4700::1111:443 - Local (:::0)\n      at internalConnect (node:net:1098:16)\n      at defaultTriggerAsyncIdScope (node:internal/async_hooks:464:18)\n      at node:net:1328:9\n      at process.processTicksAndRejections (node:internal/process/task_queues:77:11) {\n    errno: -101,\n    code: 'ENETUNREACH',\n    syscall: 'connect',\n    address: '2606:4700:4700::1111',\n    port: 443\n  }\n}\n\nNode.js v20.20.2",
  },
  {
    label: "ssh",
    command: "ssh -T git@github.com",
    hosts: ["github.com"],
    output: "ssh: Could not resolve hostname github.com: Temporary failure in name resolution",
  },
  {
    label: "cargo fetch (before)",
    command: "cd crate && CARGO_HOME=$PWD/../cargo-home cargo fetch",
    hosts: ["index.crates.io"],
    output: "    Updating crates.io index\nwarning: spurious network error (3 tries remaining): [6] Could not resolve hostname (Could not resolve host: index.crates.io)\nwarning: spurious network error (2 tries remaining): [6] Could not resolve hostname (Could not resolve host: index.crates.io)\nwarning: spurious network error (1 try remaining): [6] Could not resolve hostname (Could not resolve host: index.crates.io)\nerror: failed to get `itoa` as a dependency of package `tiny v0.1.0 (/root/netmeasure-before-25350/crate)`\n\nCaused by:\n  download of config.json failed\n\nCaused by:\n  failed to download from `https://index.crates.io/config.json`\n\nCaused by:\n  [6] Could not resolve hostname (Could not resolve host: index.crates.io)",
  },
  {
    label: "cargo search (fail-fast env)",
    command: "CARGO_HOME=$PWD/cargo-home-2 cargo search serde --limit 1",
    hosts: ["index.crates.io"],
    output: "    Updating crates.io index\nerror: download of config.json failed\n\nCaused by:\n  failed to download from `https://index.crates.io/config.json`\n\nCaused by:\n  [6] Could not resolve hostname (Could not resolve host: index.crates.io)",
  },
  {
    label: "python requests",
    command: "python3 -c \"import requests; requests.get('https://pypi.org/simple/')\"",
    hosts: ["pypi.org"],
    output: "  File \"/root/.pyenv/versions/3.11.7/lib/python3.11/site-packages/requests/adapters.py\", line 729, in send\n    raise ConnectionError(e, request=request)\nrequests.exceptions.ConnectionError: HTTPSConnectionPool(host='pypi.org', port=443): Max retries exceeded with url: /simple/ (Caused by NameResolutionError(\"HTTPSConnection(host='pypi.org', port=443): Failed to resolve 'pypi.org' ([Errno -3] Temporary failure in name resolution)\"))",
  },
  {
    label: "python urllib from a script file",
    command: "printf 'import urllib.request\\nurllib.request.urlopen(\"https://pypi.org/simple/\")\\n' > fetch.py && python3 fetch.py",
    hosts: ["pypi.org"],
    output: "Traceback (most recent call last):\n  File \"/root/netmeasure-after-seq-30646/fetch.py\", line 2, in <module>\n    urllib.request.urlopen(\"https://pypi.org/simple/\")\n  File \"/root/.pyenv/versions/3.11.7/lib/python3.11/urllib/request.py\", line 216, in urlopen\n    return opener.open(url, data, timeout)\n           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n  File \"/root/.pyenv/versions/3.11.7/lib/python3.11/urllib/request.py\", line 519, in open\n    response = self._open(req, data)\n               ^^^^^^^^^^^^^^^^^^^^^\n  File \"/root/.pyenv/versions/3.11.7/lib/python3.11/urllib/request.py\", line 536, in _open\n    result = self._call_chain(self.handle_open, protocol, protocol +\n             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n  File \"/root/.pyenv/versions/3.11.7/lib/python3.11/urllib/request.py\", line 496, in _call_chain\n    result = func(*args)\n             ^^^^^^^^^^^\n  File \"/root/.pyenv/versions/3.11.7/lib/python3.11/urllib/request.py\", line 1391, in https_open\n    return self.do_open(http.client.HTTPSConnection, req,\n           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n  File \"/root/.pyenv/versions/3.11.7/lib/python3.11/urllib/request.py\", line 1351, in do_open\n    raise URLError(err)\nurllib.error.URLError: <urlopen error [Errno -3] Temporary failure in name resolution>",
  },
  {
    label: "python urllib from -c (no host printed anywhere)",
    command: "python3 -c \"import urllib.request; urllib.request.urlopen('https://pypi.org')\"",
    hosts: [],
    output: "  File \"/root/.pyenv/versions/3.11.7/lib/python3.11/urllib/request.py\", line 1391, in https_open\n    return self.do_open(http.client.HTTPSConnection, req,\n           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n  File \"/root/.pyenv/versions/3.11.7/lib/python3.11/urllib/request.py\", line 1351, in do_open\n    raise URLError(err)\nurllib.error.URLError: <urlopen error [Errno -3] Temporary failure in name resolution>",
  },
  {
    label: "pip download, pypi.org only, PIP_RETRIES=1 (fail-fast env)",
    command: "PIP_RETRIES=1 PIP_CONFIG_FILE=/dev/null PIP_FIND_LINKS= PIP_CACHE_DIR=$PWD/pip-cache-4 python3 -m pip download --index-url https://pypi.org/simple -d ./pip-dl4 requests",
    hosts: ["pypi.org"],
    output: "WARNING: Retrying (Retry(total=0, connect=None, read=None, redirect=None, status=None)) after connection broken by 'NewConnectionError('<pip._vendor.urllib3.connection.HTTPSConnection object at 0x7ffa087b80d0>: Failed to establish a new connection: [Errno -3] Temporary failure in name resolution')': /simple/requests/\nERROR: Could not find a version that satisfies the requirement requests (from versions: none)\nERROR: No matching distribution found for requests",
  },
  {
    label: "pip download, pypi.org only, PIP_RETRIES=0 (pip names no network failure)",
    command: "PIP_CONFIG_FILE=/dev/null PIP_FIND_LINKS= PIP_CACHE_DIR=$PWD/pip-cache-3 python3 -m pip download --index-url https://pypi.org/simple -d ./pip-dl3 requests",
    hosts: [],
    output: "ERROR: Could not find a version that satisfies the requirement requests (from versions: none)\nERROR: No matching distribution found for requests",
  },
  {
    label: "pip install with extra local indexes, PIP_RETRIES=1 (stdout + stderr)",
    command: "PIP_RETRIES=1 PIP_CACHE_DIR=$PWD/pip-cache-5 python3 -m pip install --target ./pip-target5 requests",
    hosts: ["pypi.org"],
    output: "Looking in indexes: https://pypi.org/simple, file:///opt/pypi/simple, file:///opt/pypi-more/simple\nLooking in links: /opt/wheels\nWARNING: Location 'file:///opt/pypi-more/simple/requests/' is ignored: it is neither a file nor a directory.\nWARNING: Retrying (Retry(total=0, connect=None, read=None, redirect=None, status=None)) after connection broken by 'NewConnectionError('<pip._vendor.urllib3.connection.HTTPSConnection object at 0x7fc7d3f63f50>: Failed to establish a new connection: [Errno -3] Temporary failure in name resolution')': /simple/requests/\nWARNING: Running pip as the 'root' user can result in broken permissions and conflicting behaviour with the system package manager. It is recommended to use a virtual environment instead: https://pip.pypa.io/warnings/venv\npyenv: cannot rehash: /root/.pyenv/shims isn't writable",
  },
  {
    label: "node connect to the host's loopback port (unreachable: the sandbox has its own loopback)",
    command: "node -e \"require('net').connect(5432, '127.0.0.1').on('error', (e) => { console.error(e.message); process.exit(1); })\"",
    hosts: ["127.0.0.1"],
    output: "connect ECONNREFUSED 127.0.0.1:5432",
  },
  {
    label: "curl to the host's loopback port",
    command: "curl -sS http://127.0.0.1:5432/",
    hosts: ["127.0.0.1"],
    output: "curl: (7) Failed to connect to 127.0.0.1 port 5432 after 0 ms: Couldn't connect to server",
  },
  {
    label: "ssh to an address",
    command: "ssh -o BatchMode=yes -T git@140.82.112.3",
    hosts: ["140.82.112.3"],
    output: "ssh: connect to host 140.82.112.3 port 22: Network is unreachable",
  },
  {
    label: "git clone over ssh",
    command: "git clone git@github.com:octocat/Hello-World.git hw2",
    hosts: ["github.com"],
    output: "Cloning into 'hw2'...\nssh: Could not resolve hostname github.com: Temporary failure in name resolution\r\nfatal: Could not read from remote repository.\n\nPlease make sure you have the correct access rights\nand the repository exists.",
  },
  {
    label: "npm ping",
    command: "npm_config_cache=$PWD/npm-cache-9 npm ping",
    hosts: ["registry.npmjs.org"],
    output: "npm notice PING https://registry.npmjs.org/\nnpm error code EAI_AGAIN\nnpm error syscall getaddrinfo\nnpm error errno EAI_AGAIN\nnpm error request to https://registry.npmjs.org/-/ping failed, reason: getaddrinfo EAI_AGAIN registry.npmjs.org\nnpm error A complete log of this run can be found in: /root/netmeasure-extra-6099/npm-cache-9/_logs/2026-12-02T10_21_00_198Z-debug-0.log",
  },
];

describe('inferNetworkDenials: recorded failures name their host', () => {
  it.each(RECORDED.map((r) => [r.label, r] as const))('%s', (_label, r) => {
    const denials = inferNetworkDenials(r.output);
    expect(denials.map((d) => d.host)).toEqual(r.hosts);
    for (const d of denials) {
      expect(d).toMatchObject({ kind: 'network', rule: NETWORK_NONE_RULE, certainty: 'inferred' });
      // The evidence is one line of the output (the first 300 characters of it).
      expect(r.output.split('\n').some((l) => d.evidence !== undefined && d.evidence.length > 0 && l.trim().startsWith(d.evidence))).toBe(true);
    }
  });
});

/** Output that is not a network failure, or a failure the sandbox did not cause: nothing is inferred. */
const NOT_NETWORK: ReadonlyArray<[string, string]> = [
  ['a registry that answered 404', 'npm error code E404\nnpm error 404 Not Found - GET https://registry.npmjs.org/no-such-package-zz - Not found\nnpm error 404  The requested resource \'no-such-package-zz@*\' could not be found or you do not have permission to access it.'],
  ['a repository that does not exist', "remote: Repository not found.\nfatal: repository 'https://github.com/octocat/no-such-repo.git/' not found"],
  ['curl with an HTTP error (the network worked)', 'curl: (22) The requested URL returned error: 404'],
  ['a missing file', "ls: cannot access 'foo': No such file or directory"],
  ['a bundler that cannot resolve a module', "Module not found: Error: Can't resolve './x' in '/w/src'"],
  ['URLs in ordinary output', 'Cloning into \'hw\'...\nSee https://docs.example.com/setup for details\nDownloaded https://registry.npmjs.org/left-pad in 3 ms'],
  ['pip without the index (no network failure named)', 'ERROR: Could not find a version that satisfies the requirement requests (from versions: none)\nERROR: No matching distribution found for requests'],
  ['source code that mentions getaddrinfo', '    for res in getaddrinfo(host, port, 0, SOCK_STREAM):\n               ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^'],
  ['empty output', ''],
];

describe('inferNetworkDenials: what is not a network failure', () => {
  it.each(NOT_NETWORK)('%s', (_label, text) => {
    expect(inferNetworkDenials(text)).toEqual([]);
  });

  it('a help link beside a host-less failure is not the host (pip as root)', () => {
    const text = [
      "WARNING: Retrying (Retry(total=0, connect=None, read=None, redirect=None, status=None)) after connection broken by 'NewConnectionError('<pip._vendor.urllib3.connection.HTTPSConnection object at 0x7f>: Failed to establish a new connection: [Errno -3] Temporary failure in name resolution')': /simple/requests/",
      "WARNING: Running pip as the 'root' user can result in broken permissions and conflicting behaviour with the system package manager. It is recommended to use a virtual environment instead: https://pip.pypa.io/warnings/venv",
    ].join('\n');
    expect(inferNetworkDenials(text).map((d) => d.host)).toEqual(['pypi.org']);
  });

  it('pip names the index it was told to use, not pypi.org', () => {
    const text = [
      'Looking in indexes: https://mirror.example.net/pypi/simple, file:///opt/pypi/simple',
      "WARNING: Retrying (Retry(total=0, connect=None, read=None, redirect=None, status=None)) after connection broken by 'NewConnectionError('<pip._vendor.urllib3.connection.HTTPSConnection object at 0x7f>: Failed to establish a new connection: [Errno -3] Temporary failure in name resolution')': /pypi/simple/requests/",
    ].join('\n');
    expect(inferNetworkDenials(text).map((d) => d.host)).toEqual(['mirror.example.net']);
  });
});

describe('inferNetworkDenials: one denial per host', () => {
  it('the same host printed by several lines and shapes is reported once, with the first line as evidence', () => {
    const npm = RECORDED.find((r) => r.label.startsWith('npm install'))!.output;
    const denials = inferNetworkDenials(`${npm}\n${npm}`);
    expect(denials).toEqual([
      {
        kind: 'network',
        host: 'registry.npmjs.org',
        rule: NETWORK_NONE_RULE,
        certainty: 'inferred',
        evidence: 'npm error request to https://registry.npmjs.org/left-pad failed, reason: getaddrinfo EAI_AGAIN registry.npmjs.org',
      },
    ]);
  });

  it('several hosts in one output, in order; host names are case-folded; a port printed later is kept', () => {
    const text = ['curl: (6) Could not resolve host: Example.COM', 'ssh: Could not resolve hostname github.com: Temporary failure in name resolution', 'curl: (7) Failed to connect to example.com port 8443 after 0 ms: Couldn\'t connect to server'].join('\n');
    expect(inferNetworkDenials(text).map((d) => [d.host, d.port])).toEqual([
      ['example.com', 8443],
      ['github.com', undefined],
    ]);
  });

  it('a Go resolver failure names the host looked up, not the resolver (shape from Go\'s net package; Go is not installed here)', () => {
    const text = 'go: github.com/x/y@v1.0.0: Get "https://proxy.golang.org/github.com/x/y/@v/v1.0.0.mod": dial tcp: lookup proxy.golang.org on 10.255.255.53:53: dial udp 10.255.255.53:53: connect: network is unreachable';
    expect(inferNetworkDenials(text).map((d) => d.host)).toEqual(['proxy.golang.org']);
  });
});

describe('network fail-fast environment defaults', () => {
  const none = { allow: [], deny: [] };
  const tree = tempTrees();

  it('a command under network: none gets every default', () => {
    expect(withNetworkEnvDefaults(none, { PATH: '/bin' })).toEqual({ npm_config_fetch_retries: '0', PIP_RETRIES: '1', CARGO_NET_RETRY: '0', PATH: '/bin' });
    expect(NETWORK_NONE_ENV.map((d) => d.name)).toEqual(['npm_config_fetch_retries', 'PIP_RETRIES', 'CARGO_NET_RETRY']);
  });

  it('a variable already in the environment wins, in any spelling', () => {
    const env = withNetworkEnvDefaults(none, { NPM_CONFIG_FETCH_RETRIES: '4', PIP_RETRIES: '9' });
    expect(env).toEqual({ NPM_CONFIG_FETCH_RETRIES: '4', PIP_RETRIES: '9', CARGO_NET_RETRY: '0' });
  });

  it('resolvePolicy: the caller\'s env and the policy\'s env.set win over the defaults', () => {
    const t = tree({ 'ws/': '' });
    const r = resolvePolicy({ env: { set: { CARGO_NET_RETRY: '3' } } }, { workspace: t.path('ws'), home: t.path('home'), env: { PATH: '/bin', PIP_RETRIES: '5' } });
    expect(r.env).toMatchObject({ npm_config_fetch_retries: '0', PIP_RETRIES: '5', CARGO_NET_RETRY: '3', PATH: '/bin' });
  });

  it('the strict preset (env.deny: *) still gets them: they are cordon\'s, not the caller\'s', async () => {
    const { loadProfile } = await import('../../src/policy/presets.js');
    const t = tree({ 'ws/': '' });
    const r = resolvePolicy(loadProfile('strict'), { workspace: t.path('ws'), home: t.path('home'), env: { PATH: '/bin', npm_config_fetch_retries: '7' } });
    expect(r.env).toMatchObject({ npm_config_fetch_retries: '0', PATH: '/bin' });
  });
});

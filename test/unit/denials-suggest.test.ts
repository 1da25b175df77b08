import { mkdirSync } from 'node:fs';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { suggestPolicy, withSuggestions } from '../../src/harness/suggest.js';
import { formatDenials, formatSandboxReport } from '../../src/harness/report-text.js';
import { parsePolicy } from '../../src/policy/parse.js';
import { resolvePolicy } from '../../src/policy/resolve.js';
import type { Denial } from '../../src/sandbox-report.js';
import { tempTrees } from '../helpers/tree.js';

const tree = tempTrees(process.env.CORDON_TEST_BASE ?? os.homedir());

const write = (path: string, rule = 'outside the writable roots'): Denial => ({ kind: 'write', path, rule, certainty: 'inferred' });

function setup() {
  const t = tree({ 'ws/': '', 'home/.cache/pip/http/': '', 'home/.npm/_cacache/': '', 'home/.config/nvim/': '', 'home/.local/bin/': '', 'other/data/': '', 'home/proj2/src/': '' });
  const home = t.path('home');
  const opts = { home, homes: [home], env: { HOME: home } };
  return { t, home, opts };
}

describe('suggestPolicy: the smallest widening, fed straight back', () => {
  it('a tool cache write becomes write.allow of the tool directory; the result parses and resolves', () => {
    const { t, home, opts } = setup();
    const s = suggestPolicy([write(`${home}/.cache/pip/http/a/b`), write(`${home}/.npm/_cacache/tmp/x`), write(t.path('other/data/out.csv'))], parsePolicy({}), { ...opts, workspace: t.path('ws') });
    expect(s.refused).toEqual([]);
    expect(s.policy.write.allow).toEqual([`${home}/.cache/pip`, `${home}/.npm`, t.path('other/data')]);
    expect(s.changes.map((c) => c.change)).toEqual(['allow writes to ~/.cache/pip (write.allow)', 'allow writes to ~/.npm (write.allow)', `allow writes to ${t.path('other/data')} (write.allow)`]);
    expect(parsePolicy(s.policy)).toEqual(s.policy);
    const resolved = resolvePolicy(s.policy, { workspace: t.path('ws'), home, env: { HOME: home }, otherHomes: [], passwdHomes: [] });
    expect(resolved.writableRoots).toEqual(expect.arrayContaining([t.path('ws'), `${home}/.cache/pip`, `${home}/.npm`, t.path('other/data')]));
  });

  it('never /, a home as a whole, a system directory or a start-up location', () => {
    const { home, opts } = setup();
    const s = suggestPolicy([write('/newfile'), write(`${home}/out.txt`), write('/etc/cron.d/x'), write('/usr/local/bin/x'), write(`${home}/.config/nvim/init.lua`), write(`${home}/.local/bin/git`)], parsePolicy({}), opts);
    expect(s.changes).toEqual([]);
    expect(s.policy.write.allow).toEqual([]);
    expect(s.refused.map((r) => r.reason)).toEqual([
      expect.stringMatching(/^\/ is never proposed/),
      expect.stringMatching(/^~ is a home directory/),
      expect.stringMatching(/\/etc\/cron\.d is a system directory/),
      expect.stringMatching(/\/usr\/local\/bin is a system directory/),
      expect.stringMatching(/~\/\.config\/nvim is or lies in ~\/\.config\/nvim, a start-up location/),
      expect.stringMatching(/~\/\.local\/bin is or lies in ~\/\.local\/bin/),
    ]);
  });

  it('weak case: without the home rule, the nearest directory of a home write would be the home itself', () => {
    const { home } = setup();
    // Same denial, homes in play not told: the home is just a directory, and it would be proposed.
    const s = suggestPolicy([write(`${home}/out.txt`)], parsePolicy({}), { home, homes: [], env: { HOME: home } });
    expect(s.policy.write.allow).toEqual([home]);
    // The resolver (the authority) refuses exactly that, which is why suggestPolicy checks it when given a workspace:
    const { t } = setup();
    const checked = suggestPolicy([write(`${home}/out.txt`)], parsePolicy({}), { home, homes: [], env: { HOME: home }, workspace: t.path('ws') });
    expect(checked.policy.write.allow).toEqual([]);
    expect(checked.refused[0]!.reason).toMatch(/resolver refuses it: .*home directory/);
  });

  it('secrets, protected paths and sockets are refused with a reason', () => {
    const { t, home, opts } = setup();
    const denials: Denial[] = [
      { kind: 'read', path: `${home}/.ssh/id_rsa`, rule: 'denied: default secret: ~/.ssh', certainty: 'inferred' },
      write(`${home}/.ssh/known_hosts`, 'denied: default secret: ~/.ssh'),
      write(t.path('ws/.git/hooks/pre-commit'), 'protected: protect .git/hooks'),
      { kind: 'socket', path: '/var/run/docker.sock', rule: 'seccomp: no unix sockets', certainty: 'inferred' },
    ];
    const s = suggestPolicy(denials, parsePolicy({}), opts);
    expect(s.changes).toEqual([]);
    expect(s.refused.map((r) => r.reason)).toEqual([
      'a secret: not proposed',
      'a secret: not proposed',
      expect.stringMatching(/^a protected path/),
      expect.stringMatching(/seccomp filter is not widened/),
    ]);
    expect(withSuggestions(denials, { home, homes: [home] }).map((d) => d.suggestion)).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('a refused connection becomes network.allow of exactly that host and port, and the result parses', () => {
    const { home, opts } = setup();
    const denials: Denial[] = [
      { kind: 'network', host: 'registry.npmjs.org', port: 443, rule: 'network: none', certainty: 'inferred' },
      { kind: 'network', host: 'registry.npmjs.org', port: 443, rule: 'network.allow (no entry matches)', certainty: 'observed' },
      { kind: 'network', host: '0x7f.1', port: 8080, rule: 'network.allow (no entry matches)', certainty: 'observed' },
      { kind: 'network', host: '::1', port: 5432, rule: 'network.allow (no entry matches)', certainty: 'observed' },
      { kind: 'network', host: 'pypi.org', rule: 'network: none', certainty: 'inferred' },
    ];
    const s = suggestPolicy(denials, parsePolicy({ network: { allow: ['github.com'] } }), opts);
    expect(s.refused).toEqual([]);
    // Canonical spellings, one entry per host:port, added after what was there; never a wildcard.
    expect(s.policy.network.allow).toEqual(['github.com', 'registry.npmjs.org:443', '127.0.0.1:8080', '[::1]:5432', 'pypi.org']);
    expect(s.changes.map((c) => c.change)).toContain('allow connections to registry.npmjs.org:443 (network.allow)');
    expect(withSuggestions(denials, { home, homes: [home] }).map((d) => d.suggestion)).toEqual([
      'network.allow registry.npmjs.org:443',
      'network.allow registry.npmjs.org:443',
      'network.allow 127.0.0.1:8080',
      'network.allow [::1]:5432',
      'network.allow pypi.org',
    ]);
  });

  it('never proposes what network.deny or the rebinding rule refused, or a metadata address', () => {
    const { opts } = setup();
    const denials = [
      { kind: 'network', host: 'evil.example', port: 443, rule: 'network.deny: evil.example', certainty: 'observed' },
      { kind: 'network', host: 'intranet.example', port: 80, rule: 'network.allow: intranet.example', reason: 'intranet.example resolves to 10.0.0.5: a private address', certainty: 'observed' },
      { kind: 'network', host: '169.254.169.254', port: 80, rule: 'network.allow (no entry matches)', certainty: 'observed' },
      { kind: 'network', host: 'github.com', port: 443, rule: 'network.allow (no entry matches)', certainty: 'observed' },
    ] as Denial[];
    const s = suggestPolicy(denials, parsePolicy({ network: { allow: ['github.com:443'] } }), opts);
    expect(s.changes).toEqual([]);
    expect(s.refused.map((r) => r.reason)).toEqual([
      expect.stringMatching(/^refused by network\.deny/),
      expect.stringMatching(/resolves to 10\.0\.0\.5.*not proposed/),
      'a cloud metadata address: not proposed',
      expect.stringMatching(/already in network\.allow/),
    ]);
    expect(s.policy.network.allow).toEqual(['github.com:443']);
  });

  it('a missing tool directory is not proposed (only existing directories resolve); the input policy is not changed', () => {
    const { home, opts } = setup();
    const input = parsePolicy({ write: { allow: [] } });
    const s = suggestPolicy([write(`${home}/.cargo/registry/index/x`)], input, opts);
    expect(s.refused[0]!.reason).toMatch(/~\/\.cargo\/registry does not exist yet: create it/);
    mkdirSync(`${home}/.cargo/registry`, { recursive: true });
    expect(suggestPolicy([write(`${home}/.cargo/registry/index/x`)], input, opts).policy.write.allow).toEqual([`${home}/.cargo/registry`]);
    expect(input.write.allow).toEqual([]);
  });

  it('two denials in one directory give one entry; one already writable is refused as another cause', () => {
    const { t, opts } = setup();
    const s = suggestPolicy([write(t.path('other/data/a')), write(t.path('other/data/b'))], parsePolicy({}), opts);
    expect(s.policy.write.allow).toEqual([t.path('other/data')]);
    expect(s.changes).toHaveLength(2);
    const again = suggestPolicy([write(t.path('other/data/a'))], s.policy, opts);
    expect(again.changes).toEqual([]);
    expect(again.refused[0]!.reason).toMatch(/already writable/);
  });
});

describe('report text: one short block', () => {
  it('one line per denial, the suggestion when there is one, quarantine lines after; empty when nothing', () => {
    const denials: Denial[] = [{ ...write('/home/u/.cache/pip/x'), suggestion: 'write.allow ~/.cache/pip' }, { kind: 'read', path: '/home/u/.ssh/id_rsa', rule: 'denied: default secret: ~/.ssh', certainty: 'inferred' }, { kind: 'network', host: 'pypi.org', port: 443, rule: 'network: none', certainty: 'inferred' }];
    expect(formatDenials(denials)).toBe(
      [
        'cordon stopped: write /home/u/.cache/pip/x (outside the writable roots) — allow with write.allow ~/.cache/pip',
        'cordon stopped: read /home/u/.ssh/id_rsa (denied: default secret: ~/.ssh)',
        'cordon stopped: network pypi.org:443 (network: none)',
      ].join('\n'),
    );
    const report = { policy: parsePolicy({}), denials: [], quarantined: [{ path: '/w/.git/hooks2', movedTo: '/w/.cordon-quarantine/x', reason: 'a hook' }] };
    expect(formatSandboxReport(report)).toBe('cordon: quarantined /w/.git/hooks2 -> /w/.cordon-quarantine/x: a hook');
    expect(formatSandboxReport({ ...report, quarantined: [] })).toBe('');
  });
});

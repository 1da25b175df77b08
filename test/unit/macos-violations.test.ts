import { describe, expect, it } from 'vitest';
import { parseSandboxViolations } from '../../src/backends/macos/violations.js';

/**
 * Samples in the shapes macOS produces: the kernel's `Sandbox: proc(pid) deny(n) op target`
 * message as printed by `log stream`/`log show` (default and compact styles), by syslog,
 * and inside `--style ndjson`/`--style json` records, where a rule's `(with message ...)`
 * text follows the violation on its own line of the same message.
 */
describe('parseSandboxViolations', () => {
  it('parses a bare kernel message', () => {
    expect(parseSandboxViolations('Sandbox: node(1234) deny(1) file-write-create /Users/x/.ssh/k')).toEqual([
      { pid: 1234, process: 'node', operation: 'file-write-create', path: '/Users/x/.ssh/k', target: '/Users/x/.ssh/k', count: 1 },
    ]);
  });

  it('parses log stream default and compact styles, and syslog lines', () => {
    const text = [
      'Filtering the log data using "sender == \\"Sandbox\\""',
      'Timestamp                       Thread     Type        Activity             PID    TTL  ',
      '2025-03-04 10:15:01.123456+0100 0x1f2a3    Error       0x0                  0      0    kernel: (Sandbox) Sandbox: cat(4242) deny(1) file-read-data /Users/me/.aws/credentials',
      '2025-03-04 10:15:02.200 E  kernel[0:1f2a4] (Sandbox) Sandbox: git(4250) deny(1) file-write-create /Users/me/proj/.git/hooks/pre-commit',
      'Mar  4 10:15:03 mbp kernel[0]: Sandbox: python3.12(4301) deny(1) mach-lookup com.apple.SecurityServer',
      '2025-03-04 10:15:04.000 Df sandboxd[120:2b3c] [com.apple.sandbox.reporting:violation] unrelated chatter',
    ].join('\n');
    expect(parseSandboxViolations(text)).toEqual([
      { pid: 4242, process: 'cat', operation: 'file-read-data', path: '/Users/me/.aws/credentials', target: '/Users/me/.aws/credentials', count: 1 },
      { pid: 4250, process: 'git', operation: 'file-write-create', path: '/Users/me/proj/.git/hooks/pre-commit', target: '/Users/me/proj/.git/hooks/pre-commit', count: 1 },
      { pid: 4301, process: 'python3.12', operation: 'mach-lookup', target: 'com.apple.SecurityServer', count: 1 },
    ]);
  });

  it('takes the cordon tag from the line after the violation (how a rule message is printed)', () => {
    const text = [
      '2025-03-04 10:15:02.200 E  kernel[0:1f2a4] (Sandbox) Sandbox: sh(777) deny(1) file-write-unlink /Users/me/proj/.git',
      'cordon:run-42:pin',
      '2025-03-04 10:15:02.300 E  kernel[0:1f2a4] (Sandbox) Sandbox: sh(777) deny(1) network-outbound /private/var/run/mDNSResponder',
      'cordon:run-42:network',
    ].join('\n');
    expect(parseSandboxViolations(text)).toEqual([
      expect.objectContaining({ pid: 777, operation: 'file-write-unlink', path: '/Users/me/proj/.git', tag: 'run-42', rule: 'pin' }),
      expect.objectContaining({ pid: 777, operation: 'network-outbound', path: '/private/var/run/mDNSResponder', tag: 'run-42', rule: 'network' }),
    ]);
  });

  it('takes the tag when it ends the same line, without leaving it in the path', () => {
    const [v] = parseSandboxViolations('Sandbox: cat(9) deny(1) file-read-data /Users/me/My Files/.env cordon:abc123def456:secret');
    expect(v).toMatchObject({ path: '/Users/me/My Files/.env', tag: 'abc123def456', rule: 'secret' });
  });

  it('parses ndjson records, including multi-line eventMessages with a tag', () => {
    const lines = [
      JSON.stringify({
        traceID: 1,
        eventMessage: 'Sandbox: node(5151) deny(1) file-read-data /Users/me/.ssh/id_ed25519\ncordon:7f3a9c2e1b00:secret',
        eventType: 'logEvent',
        processID: 0,
        senderImagePath: '/System/Library/Extensions/Sandbox.kext/Contents/MacOS/Sandbox',
        subsystem: '',
        timestamp: '2025-03-04 10:16:00.000000+0100',
      }),
      JSON.stringify({ eventMessage: 'Sandbox: Code Helper (Plugin)(5200) deny(1) file-write-data /Users/me/proj/.vscode/settings.json\ncordon:7f3a9c2e1b00:protect' }),
      '{"eventMessage": "not a sandbox line"}',
      '{ broken json',
    ];
    expect(parseSandboxViolations(lines.join('\n'))).toEqual([
      expect.objectContaining({ pid: 5151, process: 'node', operation: 'file-read-data', path: '/Users/me/.ssh/id_ed25519', tag: '7f3a9c2e1b00', rule: 'secret' }),
      expect.objectContaining({ pid: 5200, process: 'Code Helper (Plugin)', path: '/Users/me/proj/.vscode/settings.json', rule: 'protect' }),
    ]);
  });

  it('parses a log show --style json array', () => {
    const text = JSON.stringify(
      [
        { eventMessage: 'Sandbox: zsh(61) deny(1) file-write-create /Users/me/evil.txt\ncordon:t1:default' },
        { eventMessage: 'Sandbox: go(62) deny(1) sysctl-read kern.bootargs' },
      ],
      null,
      2,
    );
    expect(parseSandboxViolations(text)).toEqual([
      expect.objectContaining({ pid: 61, operation: 'file-write-create', path: '/Users/me/evil.txt', tag: 't1', rule: 'default' }),
      expect.objectContaining({ pid: 62, operation: 'sysctl-read', target: 'kern.bootargs' }),
    ]);
    expect(parseSandboxViolations(text)[1]!.path).toBeUndefined();
  });

  it('counts duplicate reports and accepts the older deny without a number', () => {
    expect(parseSandboxViolations('3 duplicate reports for Sandbox: git(5678) deny(1) file-read-data /Users/me/.gitconfig')).toEqual([
      expect.objectContaining({ pid: 5678, count: 3, path: '/Users/me/.gitconfig' }),
    ]);
    expect(parseSandboxViolations('Sandbox: ls(12) deny file-read-data /Users/me/.ssh')).toEqual([expect.objectContaining({ pid: 12, operation: 'file-read-data' })]);
  });

  it('handles operations without a target and CRLF line ends', () => {
    expect(parseSandboxViolations('Sandbox: sh(1) deny(1) process-fork\r\nSandbox: sh(1) deny(1) pseudo-tty\r\n')).toEqual([
      { pid: 1, process: 'sh', operation: 'process-fork', count: 1 },
      { pid: 1, process: 'sh', operation: 'pseudo-tty', count: 1 },
    ]);
  });

  it('ignores allow reports, other text, and tags not following a violation', () => {
    const text = ['cordon:zzz:secret', 'Sandbox: cat(3) allow(0) file-read-data /etc/hosts', 'kernel: something else (Sandbox)', ''].join('\n');
    expect(parseSandboxViolations(text)).toEqual([]);
  });

  it('attaches a tag only to the violation on the line right before it', () => {
    const text = ['Sandbox: a(1) deny(1) file-read-data /x', 'Timestamp  Thread  Type', 'cordon:other:secret'].join('\n');
    expect(parseSandboxViolations(text)[0]!.tag).toBeUndefined();
  });

  it('does not attach a tag from a later unrelated message to an earlier JSON record', () => {
    const text = [JSON.stringify({ eventMessage: 'Sandbox: a(1) deny(1) file-read-data /x' }), 'cordon:late:secret'].join('\n');
    expect(parseSandboxViolations(text)[0]!.tag).toBeUndefined();
  });
});

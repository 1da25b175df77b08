import { describe, expect, it } from 'vitest';
import { capText, formatOutcome, MAX_CAPTURE_BYTES, runCommandTool } from '../../src/harness/run-command-tool.js';
import { parsePolicy } from '../../src/policy/parse.js';

describe('run_command tool, without a sandbox', () => {
  it('capText keeps the head and the tail and says how much it left out', () => {
    expect(capText('short')).toBe('short');
    const long = `${'a'.repeat(10)}${'b'.repeat(100)}${'c'.repeat(10)}`;
    expect(capText(long, 10, 10)).toBe(`${'a'.repeat(10)}\n[... 100 characters omitted ...]\n${'c'.repeat(10)}`);
  });

  it('formatOutcome names how the command ended', () => {
    expect(formatOutcome({ exitCode: 0, stdout: 'hi', stderr: '' }, 1000)).toBe('exit code: 0\n--- stdout ---\nhi');
    expect(formatOutcome({ failed: true, timedOut: true, signal: 'SIGKILL' }, 1000)).toBe('timed out after 1000 ms (the command was stopped)');
    expect(formatOutcome({ failed: true, isMaxBuffer: true }, 1000)).toBe(`output exceeded ${MAX_CAPTURE_BYTES} bytes (the command was stopped)`);
    expect(formatOutcome({ failed: true, signal: 'SIGTERM' }, 1000)).toBe('killed by SIGTERM');
  });

  it('formatOutcome appends the sandbox block when the report has something to say', () => {
    const r = { exitCode: 1, stderr: 'denied', sandbox: { policy: parsePolicy({}), denials: [{ kind: 'write' as const, path: '/etc/x', rule: 'outside the writable roots', certainty: 'inferred' as const }], quarantined: [] } };
    expect(formatOutcome(r, 1000)).toBe('exit code: 1\n--- stderr ---\ndenied\n--- sandbox ---\ncordon stopped: write /etc/x (outside the writable roots)');
  });

  it('bad input is an isError result, before anything runs', async () => {
    const ctx = { workspace: '/nonexistent-ws', policy: parsePolicy({}) };
    for (const input of [{}, { command: '' }, { command: 'true', timeout_ms: 0 }, { command: 'true', timeout_ms: 1.5 }, { command: 'true', extra: 1 }, { command: 'a\0b' }]) {
      const r = await runCommandTool(input, ctx);
      expect(r.isError, JSON.stringify(input)).toBe(true);
      expect(r.content[0]!.text).toMatch(/^invalid input: /);
    }
  });
});

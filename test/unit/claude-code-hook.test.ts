import { describe, expect, it } from 'vitest';
import { decidePreToolUse, type HookHost } from '../../src/harness/claude-code-hook.js';
import { quoteShellCommand } from '../../src/harness/shell-quote.js';

/** A host where /proj exists (with /proj/sub and /proj/link -> /elsewhere) and cordon is usable. */
function host(over: Partial<HookHost> = {}): HookHost {
  const real: Record<string, string> = {
    '/proj': '/proj',
    '/proj/sub': '/proj/sub',
    '/proj/link': '/elsewhere',
    '/elsewhere': '/elsewhere',
    '/other': '/other',
    '/usr/bin/node': '/usr/bin/node',
    '/opt/cordon': '/opt/cordon',
    '/bin/bash': '/usr/bin/bash',
    '/proj/node_modules/cordon': '/proj/node_modules/cordon',
    '/proj/policy.json': '/proj/policy.json',
    '/etc/cordon.json': '/etc/cordon.json',
  };
  return {
    projectDir: '/proj',
    node: '/usr/bin/node',
    cli: '/opt/cordon/dist/cli.mjs',
    packageRoot: '/opt/cordon',
    shell: '/bin/bash',
    runFlags: [],
    realpath: (p) => real[p],
    unusable: () => undefined,
    ...over,
  };
}

const bashEvent = (over: Record<string, unknown> = {}, input: Record<string, unknown> = {}) =>
  JSON.stringify({
    session_id: 's',
    transcript_path: '/t.jsonl',
    cwd: '/proj',
    permission_mode: 'default',
    hook_event_name: 'PreToolUse',
    tool_name: 'Bash',
    tool_input: { command: 'npm test', description: 'Run tests', timeout: 120000, ...input },
    tool_use_id: 'toolu_1',
    ...over,
  });

describe('Claude Code PreToolUse decision', () => {
  it('a Bash command is allowed as `cordon run` of the original, every other input field kept', () => {
    const out = decidePreToolUse(bashEvent({}, { run_in_background: true }), host());
    expect(out?.hookSpecificOutput.permissionDecision).toBe('allow');
    expect(out?.hookSpecificOutput.hookEventName).toBe('PreToolUse');
    expect(out?.hookSpecificOutput.updatedInput).toEqual({
      command: quoteShellCommand(['/usr/bin/node', '/opt/cordon/dist/cli.mjs', 'run', '--workspace', '/proj', '--', '/bin/bash', '-c', 'cd -- "$1" && exec "$0" -c "$2"', '/bin/bash', '/proj', 'npm test']),
      description: 'Run tests',
      timeout: 120000,
      run_in_background: true,
    });
  });

  it('forwards the policy flags and runs in the event cwd inside the project', () => {
    const out = decidePreToolUse(bashEvent({ cwd: '/proj/sub' }), host({ runFlags: ['--allow-write', '/cache'] }));
    const cmd = out?.hookSpecificOutput.updatedInput?.command as string;
    expect(cmd).toContain(' run --workspace /proj --allow-write /cache -- ');
    expect(cmd.endsWith(" /proj/sub 'npm test'")).toBe(true);
  });

  it('CLAUDE_PROJECT_DIR wins over the event cwd; without it the event cwd is the workspace', () => {
    expect(decidePreToolUse(bashEvent({ cwd: '/proj/sub' }), host())?.hookSpecificOutput.updatedInput?.command).toContain('--workspace /proj ');
    expect(decidePreToolUse(bashEvent({ cwd: '/proj/sub' }), host({ projectDir: undefined }))?.hookSpecificOutput.updatedInput?.command).toContain('--workspace /proj/sub ');
  });

  it('other tools get no decision (Claude Code handles them as usual)', () => {
    for (const tool of ['Write', 'Edit', 'Read', 'mcp__x__y']) {
      expect(decidePreToolUse(bashEvent({ tool_name: tool, tool_input: { file_path: '/proj/a' } }), host())).toBeUndefined();
    }
  });

  const asks: Array<[string, string, Partial<HookHost>]> = [
    ['not JSON', '{', {}],
    ['not an object', '[1]', {}],
    ['no tool name', JSON.stringify({ hook_event_name: 'PreToolUse' }), {}],
    ['another event', bashEvent({ hook_event_name: 'PostToolUse' }), {}],
    ['no tool_input', bashEvent({ tool_input: null }), {}],
    ['a command that is not a string', bashEvent({}, { command: ['rm', '-rf'] }), {}],
    ['an empty command', bashEvent({}, { command: '  ' }), {}],
    ['a NUL in the command', bashEvent({}, { command: 'echo a\0b' }), {}],
    ['cwd outside the project', bashEvent({ cwd: '/other' }), {}],
    ['cwd through a symlink leading out of the project', bashEvent({ cwd: '/proj/link' }), {}],
    ['a cwd that does not exist', bashEvent({ cwd: '/proj/gone' }), {}],
    ['a relative cwd', bashEvent({ cwd: 'proj' }), { projectDir: undefined }],
    ['a relative project dir', bashEvent(), { projectDir: 'proj' }],
    ['no project dir at all', bashEvent({ cwd: undefined }), { projectDir: undefined }],
    ['a project dir that does not exist', bashEvent(), { projectDir: '/gone' }],
    ['cordon installed inside the project', bashEvent(), { packageRoot: '/proj/node_modules/cordon', cli: '/proj/node_modules/cordon/dist/cli.mjs' }],
    ['node inside the project', bashEvent(), { node: '/proj/sub' }],
    ['the policy file inside the project', bashEvent(), { policyFile: '/proj/policy.json' }],
    ['node missing', bashEvent(), { node: '/nope/node' }],
    ['cordon unusable here (the probe fails)', bashEvent(), { unusable: () => 'ERR_CORDON_BWRAP_MISSING: bubblewrap is not installed' }],
  ];
  it.each(asks)('asks, never allows, on %s', (_what, event, over) => {
    const out = decidePreToolUse(event, host(over));
    expect(out?.hookSpecificOutput.permissionDecision).toBe('ask');
    expect(out?.hookSpecificOutput.permissionDecisionReason).toMatch(/^cordon: not sandboxed: ./);
    expect(out?.hookSpecificOutput.updatedInput).toBeUndefined();
  });

  it('a policy file outside the project is fine', () => {
    expect(decidePreToolUse(bashEvent(), host({ policyFile: '/etc/cordon.json' }))?.hookSpecificOutput.permissionDecision).toBe('allow');
  });

  it('the probe is asked with the workspace and the command\'s directory', () => {
    const seen: string[][] = [];
    decidePreToolUse(bashEvent({ cwd: '/proj/sub' }), host({ unusable: (w, c) => (seen.push([w, c]), undefined) }));
    expect(seen).toEqual([['/proj', '/proj/sub']]);
  });
});

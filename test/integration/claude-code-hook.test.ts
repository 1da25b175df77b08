import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/args.js';
import { claudeCodeDecision } from '../../src/cli/commands/hook.js';
import type { PreToolUseOutput } from '../../src/harness/claude-code-hook.js';
import { describeSandbox, scratchTrees } from './harness.js';

/**
 * `cordon hook claude-code` fed real PreToolUse events (the shape Claude Code sends, see
 * src/harness/claude-code-hook.ts), and the command it returns RUN with a shell, as Claude
 * Code's Bash tool runs it. Needs dist/cli.mjs: the returned command runs cordon's bundle.
 */
const CLI = fileURLToPath(new URL('../../dist/cli.mjs', import.meta.url));
const viteNode = fileURLToPath(new URL('../../node_modules/vite-node/vite-node.mjs', import.meta.url));
const fixture = fileURLToPath(new URL('../fixtures/claude-code-hook.ts', import.meta.url));
const BASH = ['/bin/bash', '/usr/bin/bash'].find((p) => existsSync(p)) ?? '/bin/sh';
const tree = scratchTrees();

function event(command: string, cwd: string, tool = 'Bash'): string {
  return JSON.stringify({
    session_id: '5d6c1e0a-0000-4000-8000-000000000000',
    transcript_path: '/root/.claude/projects/x/5d6c1e0a.jsonl',
    cwd,
    permission_mode: 'default',
    hook_event_name: 'PreToolUse',
    tool_name: tool,
    tool_input: tool === 'Bash' ? { command, description: 'a command' } : { file_path: `${cwd}/a.txt`, content: command },
    tool_use_id: 'toolu_01ABC',
  });
}

/** The hook's decision, in process (the same code the CLI runs, with this host's real probe). */
function decide(command: string, project: string, cwd = project): PreToolUseOutput | undefined {
  return claudeCodeDecision(event(command, cwd), parseArgs([]).flags, { ...process.env, CLAUDE_PROJECT_DIR: project });
}

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** What Claude Code's Bash tool does with a command string: hand it to a shell. */
function shell(command: string, cwd: string, sh = BASH): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(sh, ['-c', command], { cwd, encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

function allowed(out: PreToolUseOutput | undefined): string {
  expect(out?.hookSpecificOutput.permissionDecision, out?.hookSpecificOutput.permissionDecisionReason).toBe('allow');
  return out!.hookSpecificOutput.updatedInput!.command as string;
}

/** Benign commands full of shell syntax: the sandboxed run must print exactly what the original prints. */
const TRICKY = [
  `printf '%s|' "it's" 'a"b' \\$HOME "$(echo sub)" \`echo bt\``,
  "echo one\necho 'two\nlines'\nprintf '%s\\n' \"$#\"",
  `echo "a\\\\b" 'c\\d' $'e\\tf'`,
  `x='; echo INJECT' && echo "$x"`,
  'echo héllo 😀 "$((1 + 2))"; exit 7',
  "cat <<'EOF'\n$HOME 'q' \"d\" `x`\nEOF",
  `echo "'" '"' \\' ; echo '\\''`,
  "set -- a 'b c'; printf '<%s>' \"$@\"; echo $#",
];

describeSandbox('cordon hook claude-code (real events, the returned command run by a shell)', () => {
  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error('dist/ is missing: run `npm run build` (npm test does it first); the hook\'s command runs dist/cli.mjs');
  });

  it('a write inside the project lands; the command runs in the event cwd', async () => {
    const t = tree({ 'ws/sub/': '' });
    const r = await shell(allowed(decide('echo hi > out.txt && pwd > where.txt', t.path('ws'), t.path('ws/sub'))), t.path('ws/sub'));
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(t.path('ws/sub/out.txt'), 'utf8')).toBe('hi\n');
    expect(readFileSync(t.path('ws/sub/where.txt'), 'utf8')).toBe(`${t.path('ws/sub')}\n`);
  });

  it('a write outside the project is stopped (control: the original command alone does write)', async () => {
    const t = tree({ 'ws/': '', 'victim.txt': 'host' });
    const attack = `echo pwned > ${t.path('victim.txt')}`;
    expect((await shell(attack, t.path('ws'))).code).toBe(0);
    expect(readFileSync(t.path('victim.txt'), 'utf8')).toBe('pwned\n');
    writeFileSync(t.path('victim.txt'), 'host');

    const r = await shell(allowed(decide(attack, t.path('ws'))), t.path('ws'));
    expect(r.code).not.toBe(0);
    expect(readFileSync(t.path('victim.txt'), 'utf8')).toBe('host');
  });

  it.each(TRICKY.map((c) => [c]))('runs %j exactly as the original does (stdout, exit code)', async (command) => {
    const t = tree({ 'ws/': '', 'ref/': '' });
    const original = await shell(command, t.path('ref'));
    const sandboxed = await shell(allowed(decide(command, t.path('ws'))), t.path('ws'));
    expect(sandboxed.stdout).toBe(original.stdout);
    expect(sandboxed.code).toBe(original.code);
  });

  it('command strings built to break out of the quoting stay inside the sandbox, under sh and bash (control: naive double quoting lets them out)', async () => {
    const t = tree({ 'ws/': '', 'victim.txt': 'host' });
    const victim = t.path('victim.txt');
    const escapes = [
      `'; echo pwned > ${victim}; '`,
      `"; echo pwned > ${victim}; "`,
      `$(echo pwned > ${victim})`,
      `\`echo pwned > ${victim}\``,
      `x'\\''$(echo pwned > ${victim})'\\''y`,
      `true\necho pwned > ${victim}\n`,
      `echo ok > inside.txt; echo pwned > ${victim}`,
    ];
    // Control: the same strings wrapped naively ("..." around the original) escape at once.
    const naive = `${process.execPath} ${CLI} run --workspace ${t.path('ws')} -- ${BASH} -c "${escapes[2]}"`;
    await shell(naive, t.path('ws'));
    expect(readFileSync(victim, 'utf8')).toBe('pwned\n');
    writeFileSync(victim, 'host');

    for (const command of escapes) {
      const wrapped = allowed(decide(command, t.path('ws')));
      await Promise.all(['/bin/sh', BASH].map((sh) => shell(wrapped, t.path('ws'), sh)));
      expect(readFileSync(victim, 'utf8'), command).toBe('host');
    }
    // The last one ran, inside: its write in the workspace landed.
    expect(readFileSync(t.path('ws/inside.txt'), 'utf8')).toBe('ok\n');
  }, 120_000);

  it('no allow for other tools, for a cwd outside the project, or a project cordon refuses (a home)', () => {
    const t = tree({ 'ws/': '', 'elsewhere/': '' });
    expect(claudeCodeDecision(event('x', t.path('ws'), 'Write'), parseArgs([]).flags, { ...process.env, CLAUDE_PROJECT_DIR: t.path('ws') })).toBeUndefined();
    const outside = decide('echo x > f', t.path('ws'), t.path('elsewhere'));
    expect(outside?.hookSpecificOutput.permissionDecision).toBe('ask');
    expect(outside?.hookSpecificOutput.permissionDecisionReason).toMatch(/outside the project directory/);
    // cordon itself refuses a home as the workspace: the probe's refusal becomes "ask", with the code.
    const home = process.env.HOME!;
    const refused = decide('echo x > f', home);
    expect(refused?.hookSpecificOutput.permissionDecision).toBe('ask');
    expect(refused?.hookSpecificOutput.permissionDecisionReason).toMatch(/ERR_CORDON_WORKSPACE_INVALID|ERR_CORDON_POLICY_TOO_BROAD/);
  });

  it('as a process: one event on stdin, the decision JSON on stdout, exit 0; nothing at all for a non-Bash tool', async () => {
    const t = tree({ 'ws/': '' });
    const run = (input: string) =>
      new Promise<Ran>((resolve) => {
        const child = spawn(process.execPath, [viteNode, fixture, 'claude-code'], { env: { ...process.env, CLAUDE_PROJECT_DIR: t.path('ws') }, stdio: ['pipe', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += String(d)));
        child.stderr.on('data', (d: Buffer) => (stderr += String(d)));
        child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
        child.stdin.end(input);
      });
    const [bash, write, junk] = await Promise.all([run(event('echo hi', t.path('ws'))), run(event('x', t.path('ws'), 'Write')), run('not json')]);
    expect(bash.code, bash.stderr).toBe(0);
    const decision = JSON.parse(bash.stdout) as PreToolUseOutput;
    expect(decision.hookSpecificOutput.permissionDecision).toBe('allow');
    expect(decision.hookSpecificOutput.updatedInput).toMatchObject({ description: 'a command' });
    expect(write.code).toBe(0);
    expect(write.stdout).toBe('');
    expect(junk.code).toBe(0);
    expect((JSON.parse(junk.stdout) as PreToolUseOutput).hookSpecificOutput.permissionDecision).toBe('ask');
  }, 90_000);
});

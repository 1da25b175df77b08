import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { Tree } from '../helpers/tree.js';
import { describeSandbox, scratch } from './harness.js';

/**
 * `cordon mcp` driven by the MCP SDK's own Client over its own StdioClientTransport, which
 * spawns the server as any MCP client would (through test/fixtures/mcp-server.ts: src/ via
 * vite-node, the same mcpCommand the CLI dispatches to). Effects are judged on the host.
 */
const viteNode = fileURLToPath(new URL('../../node_modules/vite-node/vite-node.mjs', import.meta.url));
const fixture = fileURLToPath(new URL('../fixtures/mcp-server.ts', import.meta.url));

interface Server {
  client: Client;
  stderr(): string;
}

async function connect(args: string[]): Promise<Server> {
  const env = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => typeof e[1] === 'string'));
  const transport = new StdioClientTransport({ command: process.execPath, args: [viteNode, fixture, ...args], env, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (d: Buffer) => (stderr += String(d)));
  const client = new Client({ name: 'cordon-test', version: '0.0.0' });
  await client.connect(transport);
  return { client, stderr: () => stderr };
}

interface ToolAnswer {
  text: string;
  isError: boolean;
}

async function call(client: Client, args: Record<string, unknown>): Promise<ToolAnswer> {
  const r = (await client.callTool({ name: 'run_command', arguments: args })) as { content: Array<{ type: string; text?: string }>; isError?: boolean };
  return { text: r.content.map((c) => c.text ?? '').join('\n'), isError: r.isError === true };
}

describeSandbox('cordon mcp (SDK client over stdio)', () => {
  // One server for most cases (each start through vite-node costs seconds); its tree outlives the tests.
  let t: Tree;
  let server: Server;
  const extra: Array<{ server: Server; tree?: Tree }> = [];
  beforeAll(async () => {
    t = scratch({ 'ws/sub/': '', 'outside/victim.txt': 'host' });
    symlinkSync(t.path('outside'), t.path('ws/escape'));
    server = await connect(['--workspace', t.path('ws')]);
  });
  afterEach(async () => {
    for (const e of extra.splice(0)) {
      await e.server.client.close();
      e.tree?.cleanup();
    }
  });
  afterAll(async () => {
    await server?.client.close();
    t?.cleanup();
  });

  it('lists one tool, run_command, with the input schema { command, cwd?, timeout_ms? }', async () => {
    const { tools } = await server.client.listTools();
    expect(tools.map((x) => x.name)).toEqual(['run_command']);
    const schema = tools[0]!.inputSchema as { properties: Record<string, unknown>; required?: string[] };
    expect(Object.keys(schema.properties).sort()).toEqual(['command', 'cwd', 'timeout_ms']);
    expect(schema.required).toEqual(['command']);
  });

  it('runs a command that writes in the workspace: the file lands on the host, output and exit code come back', async () => {
    // The client's string is one argv element of sh -c: quotes and $() mean what sh says.
    const r = await call(server.client, { command: `echo hi > out.txt && printf '%s' "it's $(echo sub)"` });
    expect(r.isError, r.text).toBe(false);
    expect(r.text).toContain('exit code: 0');
    expect(r.text).toContain("it's sub");
    expect(readFileSync(t.path('ws/out.txt'), 'utf8')).toBe('hi\n');
  });

  it('a write outside the workspace is stopped and reported as a denial; the host file is unchanged (control: it lands when the server allows it)', async () => {
    const victim = t.path('outside/victim.txt');
    // Control: the same call against a server whose policy allows that directory really writes.
    const weak = await connect(['--workspace', t.path('ws'), '--allow-write', t.path('outside')]);
    extra.push({ server: weak });
    const allowed = await call(weak.client, { command: `echo pwned > ${victim}` });
    expect(allowed.isError, allowed.text).toBe(false);
    expect(readFileSync(victim, 'utf8')).toBe('pwned\n');
    writeFileSync(victim, 'host');

    const r = await call(server.client, { command: `echo pwned > ${victim}` });
    expect(r.isError).toBe(true);
    expect(readFileSync(victim, 'utf8')).toBe('host');
    expect(r.text).toMatch(/exit code: [1-9]/);
    expect(r.text).toContain('--- sandbox ---');
    expect(r.text).toContain(`cordon stopped: write ${victim}`);
  }, 90_000);

  it('a failing command is isError with its exit code and stderr', async () => {
    const r = await call(server.client, { command: 'echo oops >&2; exit 3' });
    expect(r.isError).toBe(true);
    expect(r.text).toContain('exit code: 3');
    expect(r.text).toContain('--- stderr ---\noops');
  });

  it('cwd must lie inside the workspace, by real path; a timeout stops the command and says so', async () => {
    const inSub = await call(server.client, { command: 'echo x > here.txt', cwd: 'sub' });
    expect(inSub.isError, inSub.text).toBe(false);
    expect(readFileSync(t.path('ws/sub/here.txt'), 'utf8')).toBe('x\n');
    // An absolute path outside, a relative one climbing out, a symlink in the workspace leading out.
    for (const cwd of [t.path('outside'), '../outside', 'escape']) {
      const r = await call(server.client, { command: 'echo x > refused.txt', cwd });
      expect(r.isError, cwd).toBe(true);
      expect(r.text).toMatch(/outside the workspace/);
    }
    expect(() => readFileSync(t.path('outside/refused.txt'))).toThrow();
    const slow = await call(server.client, { command: 'sleep 20', timeout_ms: 300 });
    expect(slow.isError).toBe(true);
    expect(slow.text).toMatch(/timed out after 300 ms/);
  });

  it('input outside the schema (timeout above the ceiling, empty or missing command) is refused without running anything', async () => {
    for (const args of [{ command: 'echo x > a.txt', timeout_ms: 10_000_000 }, { command: '' }, { cwd: '.' }]) {
      const r = await call(server.client, args).catch((error: Error) => ({ text: error.message, isError: true }));
      expect(r.isError, JSON.stringify(args)).toBe(true);
    }
    expect(() => readFileSync(t.path('ws/a.txt'))).toThrow();
  });

  it('a cordon setup error is an isError result with its code and hint, and the server keeps serving', async () => {
    const bad = await connect(['--workspace', t.path('missing')]);
    extra.push({ server: bad });
    const r = await call(bad.client, { command: 'true' });
    expect(r.isError).toBe(true);
    expect(r.text).toContain('ERR_CORDON_WORKSPACE_INVALID');
    expect(r.text).toContain('hint:');
    expect(bad.stderr()).toContain('ERR_CORDON_WORKSPACE_INVALID');
    const again = await call(bad.client, { command: 'true' });
    expect(again.text).toContain('ERR_CORDON_WORKSPACE_INVALID');
  }, 90_000);
});

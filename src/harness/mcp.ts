import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { PACKAGE_ROOT } from '../package-root.js';
import type { Policy } from '../policy/schema.js';
import { createRuntime } from '../runtime.js';
import { DEFAULT_TIMEOUT_MS, MAX_TIMEOUT_MS, runCommandInputShape, runCommandTool } from './run-command-tool.js';

export interface McpServeOptions {
  workspace: string;
  policy: Policy;
  /** Default: this process's stdin and stdout (the stdio transport). */
  input?: Readable;
  output?: Writable;
}

/**
 * `cordon mcp`: an MCP server over stdio with one tool, `run_command`, built on the official
 * SDK's McpServer and StdioServerTransport. The SDK is imported here, on demand, and is
 * external to the CLI bundle (scripts/bundle.mjs), so `cordon run` never loads or parses it.
 * Resolves when the client closes the connection (stdin ends); commands still running then
 * are stopped, not left to their timeout.
 */
export async function serveMcp(options: McpServeOptions): Promise<void> {
  const [{ McpServer }, { StdioServerTransport }] = await Promise.all([import('@modelcontextprotocol/sdk/server/mcp.js'), import('@modelcontextprotocol/sdk/server/stdio.js')]);
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const runtime = createRuntime();
  const stop = new AbortController();
  const server = new McpServer({ name: 'cordon', version: packageVersion() });
  server.registerTool(
    'run_command',
    {
      title: 'Run a shell command in the sandbox',
      description:
        `Runs \`sh -c COMMAND\` inside cordon's sandbox with ${options.workspace} as the workspace: it may read files anywhere except secrets, ` +
        'write only inside the workspace and a private /tmp, and has no network. Returns the exit code, stdout, stderr and, when the sandbox ' +
        `stopped something, what and which rule. cwd is relative to the workspace and must stay inside it; timeout_ms defaults to ${DEFAULT_TIMEOUT_MS} (at most ${MAX_TIMEOUT_MS}).`,
      inputSchema: runCommandInputShape,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    },
    (args) => runCommandTool(args, { workspace: options.workspace, policy: options.policy, runtime, signal: stop.signal }),
  );
  const closed = new Promise<void>((resolve) => {
    server.server.onclose = resolve;
  });
  // The stdio transport does not watch for the end of its input; a client that closes stdin is gone.
  const onEnd = () => void server.close();
  input.once('end', onEnd);
  input.once('close', onEnd);
  await server.connect(new StdioServerTransport(input, output));
  try {
    await closed;
  } finally {
    input.off('end', onEnd);
    input.off('close', onEnd);
    stop.abort();
    runtime.close();
  }
}

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

import { isCordonError } from '../../errors.js';
import { prepare } from '../../spawn.js';
import { parseArgs, policyFromFlags, UsageError } from '../args.js';

/**
 * `cordon mcp [--workspace DIR] [policy flags]`: serves the `run_command` tool over stdio until
 * the client disconnects. Flag mistakes exit at once (125, like every cordon failure); a
 * workspace or sandbox problem is only reported on stderr here and then returned by every
 * call with its code and hint, because an MCP client shows a tool's answer to the model and
 * user, whereas a server that dies at start-up is usually just shown as "failed".
 */
export async function mcpCommand(argv: readonly string[]): Promise<number> {
  const { flags, rest } = parseArgs(argv);
  if (rest.length > 0) throw new UsageError(`cordon mcp takes no arguments, got ${JSON.stringify(rest[0])}`);
  const policy = policyFromFlags(flags);
  try {
    prepare('true', [], { workspace: flags.workspace, policy });
  } catch (error) {
    if (!isCordonError(error)) throw error;
    process.stderr.write(`cordon mcp: every command will fail: ${error.code}: ${error.describe()}\n`);
  }
  // Loaded on demand: the server and the MCP SDK stay off the path of every other command.
  const { serveMcp } = await import('../../harness/mcp.js');
  await serveMcp({ workspace: flags.workspace, policy });
  return 0;
}

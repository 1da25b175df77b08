import path from 'node:path';
import { selectBackend } from '../../backends/select.js';
import { resolvePolicy } from '../../policy/resolve.js';
import { parseArgs, platformFlag, policyFromFlags, UsageError } from '../args.js';
import { COMMAND_USAGE } from '../usage.js';

/**
 * `cordon explain [--platform linux|macos] [--json] [flags] PATH...`: may each path be read,
 * written, and which rule decided — answered by the backend that enforces it (default: this
 * machine's), from its own model (Linux: the mount plan; macOS: the generated profile).
 */
export function explainCommand(argv: readonly string[], out: (text: string) => void): number {
  const { help, flags, extra, rest } = parseArgs(argv, ['--json'], ['--platform']);
  if (help) {
    out(COMMAND_USAGE.explain);
    return 0;
  }
  if (rest.length === 0) throw new UsageError('cordon explain needs at least one path');
  const backend = selectBackend(platformFlag(extra.get('--platform')));
  const resolved = resolvePolicy(policyFromFlags(flags), { workspace: flags.workspace });
  const explain = backend.explainer(resolved);
  const verdicts = rest.map((p) => explain(path.resolve(p)));
  if (extra.has('--json')) {
    out(JSON.stringify(verdicts, null, 2));
  } else {
    for (const v of verdicts) {
      const shown = v.realPath === v.path ? v.path : `${v.path} -> ${v.realPath}`;
      out(`${shown}\n  read:  ${v.read ? 'yes' : 'no'}\n  write: ${v.write ? 'yes' : 'no'}\n  rule:  ${v.rule}`);
    }
  }
  return 0;
}

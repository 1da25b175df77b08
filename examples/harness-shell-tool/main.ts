/**
 * A minimal agent loop on cordon, offline: a mock model asks for shell commands, the harness
 * runs each in the sandbox and feeds back output plus the denial block; when a denial has a
 * safe widening (suggestPolicy), the harness asks its user ONE question and, if yes, retries
 * with the widened policy. Secrets and system directories are never proposed.
 *
 *   npx vite-node examples/harness-shell-tool/main.ts [--workspace DIR] [--answer yes|no]
 *
 * Without --workspace it makes a throwaway workspace under $HOME (not /tmp: the sandbox's /tmp
 * is private, so a write "outside" under /tmp would prove nothing) and removes it afterwards.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { suggestPolicy } from '../../src/harness/suggest.js';
import type { Policy } from '../../src/index.js';
import { mockModel } from './mock-model.js';
import { runShellTool } from './shell-tool.js';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
};
const given = flag('--workspace');
const answer = flag('--answer') ?? 'yes';
const scratch = given === undefined ? mkdtempSync(path.join(os.homedir(), 'cordon-example-')) : undefined;
const workspace = given ?? path.join(scratch!, 'ws');
// A build cache beside the workspace: the kind of place a real tool writes to and a user may allow.
const cache = path.join(path.dirname(workspace), 'build-cache');
mkdirSync(workspace, { recursive: true });
mkdirSync(cache, { recursive: true });

const model = mockModel(['echo hi > out.txt && cat out.txt', 'cat ~/.ssh/id_rsa', 'touch /etc/cordon-example', `echo built > ${cache}/out.txt`]);

let policy: Policy | undefined;
let last: string | undefined;
try {
  for (;;) {
    const step = model.next(last);
    if (step.type === 'text') {
      console.log(`model> ${step.text}`);
      break;
    }
    console.log(`model> shell: ${step.command}`);
    let result = await runShellTool(step.command, { workspace, ...(policy ? { policy } : {}) });
    console.log(indent(result.text));
    if (result.denials.length > 0 && result.policy) {
      const suggestion = suggestPolicy(result.denials, result.policy, { workspace });
      for (const r of suggestion.refused) console.log(`harness: not offered: ${r.reason}`);
      if (suggestion.changes.length > 0) {
        // One question for the whole widening, not one per command.
        console.log(`harness: ask user: ${suggestion.changes.map((c) => c.change).join('; ')}? [y/N]`);
        console.log(`user> ${answer}`);
        if (answer === 'yes') {
          policy = suggestion.policy;
          result = await runShellTool(step.command, { workspace, policy });
          console.log(`harness: retried with the widened policy:\n${indent(result.text)}`);
        }
      }
    }
    last = result.text;
  }
} finally {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  | ${line}`)
    .join('\n');
}

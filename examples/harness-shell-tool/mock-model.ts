/**
 * A scripted stand-in for a model, so the example runs offline: it asks for a few shell
 * commands a real agent might (one ordinary, one after a secret, one into a system directory,
 * one into a build cache next to the workspace) and then stops. It reads the tool results only
 * to say what it saw; a real model would decide from them.
 */
export type ModelStep = { type: 'tool-call'; tool: 'shell'; command: string } | { type: 'text'; text: string };

export function mockModel(commands: readonly string[]): { next(lastToolResult?: string): ModelStep } {
  let i = 0;
  return {
    next() {
      const command = commands[i];
      i += 1;
      return command === undefined ? { type: 'text', text: 'Done: ran every command I needed.' } : { type: 'tool-call', tool: 'shell', command };
    },
  };
}

/**
 * Every usage text of the CLI, in one place so the overview (`cordon --help`) and each
 * subcommand's own (`cordon run --help`, `cordon help run`) cannot drift apart.
 */

export const COMMAND_NAMES = ['run', 'print', 'explain', 'doctor', 'mcp', 'hook'] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

export function isCommandName(name: string): name is CommandName {
  return (COMMAND_NAMES as readonly string[]).includes(name);
}

/** Each subcommand's synopsis and what it is for, for the overview. */
const SYNOPSIS: Record<CommandName, [string, string]> = {
  run: ['cordon run [run flags] [policy flags] [--] CMD [ARGS...]', 'run CMD sandboxed; exits with its status'],
  print: ['cordon print [--platform linux|macos] [--json] [policy flags] [--] CMD [ARGS...]', 'the exact launcher argv `cordon run` would execute'],
  explain: ['cordon explain [--platform linux|macos] [--json] [policy flags] PATH...', 'may each path be read/written, and which rule decided'],
  doctor: ['cordon doctor', 'what works on this machine, how to fix the rest'],
  mcp: ['cordon mcp [policy flags]', 'an MCP server (stdio) with a sandboxed run_command tool'],
  hook: ['cordon hook claude-code [policy flags]', 'a Claude Code PreToolUse hook: Bash commands run under `cordon run`'],
};

const overviewEntry = ([synopsis, purpose]: readonly [string, string]) => `  ${synopsis}\n      ${purpose}`;

export const POLICY_FLAGS = `policy flags:
  --workspace DIR       writable workspace (default: current directory)
  --profile NAME        preset from profiles/ (default, read-only, strict)
  --policy FILE         a policy JSON file
  --allow-write DIR     extra writable root (repeatable)
  --deny-read PATH      extra path or glob never readable (repeatable)
  --allow-read PATH     exception to the read denials (repeatable)
  --protect REL         extra read-only path inside writable roots (repeatable)
  --allow-home          let a writable root be or contain a home directory (start-up files stay read-only)
  --allow-symlinked-roots  accept a workspace or writable root reached through a symlink you own
  --pass-env NAME       pass an environment variable that looks secret (repeatable)
  --allow-domain HOST[:PORT]  reach HOST (port PORT, or any) through cordon's filtering proxy; *.NAME for names below NAME (repeatable)
  --timeout MS          kill the whole sandbox after MS milliseconds`;

const HELP_LINE = '  -h, --help            this text';

const RUN = `usage: cordon run [run flags] [policy flags] [--] CMD [ARGS...]

Runs CMD inside the sandbox. Its stdin and stdout are yours, untouched. Everything from the
first word not starting with "-", or after "--", is CMD's: \`cordon run -h\` is this help,
\`cordon run -- -h\` runs a command named -h.

exit status: CMD's own; 128+N if signal N ended it; 124 if the timeout ended it (as timeout(1),
and cordon says so on stderr); 127 if CMD was not found; 125 if cordon itself failed.

After CMD ends, cordon prints on stderr what the sandbox stopped (a denied write, read,
connection, socket or system call, with the rule and the smallest widening that would allow
it) and anything it quarantined. Denials that CMD only reported in its error messages are
read from its stderr: cordon copies CMD's stderr to yours as it comes and keeps up to 2 MiB
of it (the first and last MiB) to read, so CMD sees a pipe on fd 2. When your stderr is a
terminal, CMD gets the terminal itself instead (colours, progress bars and interactive shells
keep working) and the report can only name what cordon observed without it; add
--capture-stderr to have it read anyway.

run flags:
  --quiet               no denial report (quarantine notices are still printed: cordon moved your files)
  --capture-stderr      read CMD's stderr for the report even when it is a terminal
${HELP_LINE}

${POLICY_FLAGS}`;

const PRINT = `usage: cordon print [--platform linux|macos] [--json] [policy flags] [--] CMD [ARGS...]

Prints the exact launcher argv \`cordon run\` would execute for CMD here (same resolution,
probe and plan), one argument per line; runs nothing. With --platform, another OS's plan,
for review only.

flags:
  --platform linux|macos  plan for this OS (default: this machine's)
  --json                  the plan as JSON (file, args, env, extra descriptors)
${HELP_LINE}

${POLICY_FLAGS}`;

const EXPLAIN = `usage: cordon explain [--platform linux|macos] [--json] [policy flags] PATH...

For each PATH: may a sandboxed command read it, write it, and which rule decided, answered by
the backend that enforces it (Linux: the mount plan; macOS: the generated profile).

flags:
  --platform linux|macos  answer as that OS's backend (default: this machine's)
  --json                  the verdicts as JSON
${HELP_LINE}

${POLICY_FLAGS}`;

const DOCTOR = `usage: cordon doctor

Checks what the sandbox needs on this machine (Linux: user namespaces, bubblewrap, the
seccomp filter; macOS: sandbox-exec), then runs one real sandboxed write inside and outside a
scratch workspace and checks the host. Prints each check with a fix for what fails; exits 0
only if all is well, 1 otherwise.

flags:
${HELP_LINE}`;

const MCP = `usage: cordon mcp [policy flags]

Serves the Model Context Protocol over stdio, with one tool, run_command
({ command, cwd?, timeout_ms? }), which runs \`sh -c COMMAND\` inside the sandbox and returns
stdout, stderr, the exit code and the denial report. Add it to any MCP client as a safe shell.

flags:
${HELP_LINE}

${POLICY_FLAGS}`;

const HOOK = `usage: cordon hook claude-code [policy flags]

A Claude Code PreToolUse hook: reads the hook event (JSON) on stdin and, for the Bash tool,
answers "allow" with the command rewritten to run under \`cordon run\` with the project
directory as workspace. Anything it cannot sandbox is left to Claude Code's own prompt
("ask"), never allowed unsandboxed. See README for the settings snippet. The policy flags are
passed on to each \`cordon run\`, except --workspace (the workspace is the project directory).

flags:
${HELP_LINE}

${POLICY_FLAGS}`;

export const COMMAND_USAGE: Record<CommandName, string> = { run: RUN, print: PRINT, explain: EXPLAIN, doctor: DOCTOR, mcp: MCP, hook: HOOK };

const OVERVIEW_ENTRIES: ReadonlyArray<readonly [string, string]> = [
  ...COMMAND_NAMES.map((name) => SYNOPSIS[name]),
  ['cordon help [COMMAND]', "this text, or COMMAND's (the same as `cordon COMMAND --help`)"],
  ['cordon --version', "cordon's version (also -V)"],
];

export const OVERVIEW = `usage:
${OVERVIEW_ENTRIES.map(overviewEntry).join('\n')}

exit status: 125 when cordon itself fails or is used wrongly; \`cordon run\` otherwise exits
with the command's status (124 on timeout).

${POLICY_FLAGS}`;

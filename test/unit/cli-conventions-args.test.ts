import { describe, expect, it } from 'vitest';
import { asksForHelp, parseArgs, UsageError } from '../../src/cli/args.js';
import { COMMAND_NAMES, COMMAND_USAGE, OVERVIEW, POLICY_FLAGS } from '../../src/cli/usage.js';

describe('cordon CLI conventions: help and unknown flags', () => {
  it('-h and --help before the command are help; after `--` or the command they are the command\'s', () => {
    expect(parseArgs(['-h']).help).toBe(true);
    expect(parseArgs(['--workspace', '/w', '--help', '--', 'x']).help).toBe(true);
    expect(parseArgs(['--', '-h'])).toMatchObject({ help: false, rest: ['-h'] });
    expect(parseArgs(['git', '-h'])).toMatchObject({ help: false, rest: ['git', '-h'] });
    expect(parseArgs(['--quiet', '--', 'true'], ['--quiet']).help).toBe(false);
  });

  it('any other dash word before the command is an unknown option, named; a lone "-" is a positional', () => {
    expect(() => parseArgs(['-x', '--', 'true'])).toThrow(new UsageError('unknown option -x'));
    expect(() => parseArgs(['-hx'])).toThrow(/unknown option -hx/);
    expect(() => parseArgs(['--bogus=1'])).toThrow(/unknown option --bogus/);
    expect(parseArgs(['-']).rest).toEqual(['-']);
  });

  it('asksForHelp (mcp, hook) looks only before `--`', () => {
    expect(asksForHelp(['claude-code', '--help'])).toBe(true);
    expect(asksForHelp(['--workspace', '/w', '-h'])).toBe(true);
    expect(asksForHelp(['--', '--help'])).toBe(false);
    expect(asksForHelp([])).toBe(false);
  });

  it('every subcommand has a usage text of its own, and the overview names each', () => {
    for (const name of COMMAND_NAMES) {
      expect(COMMAND_USAGE[name].startsWith(`usage: cordon ${name}`)).toBe(true);
      expect(COMMAND_USAGE[name]).toMatch(/-h, --help/);
      expect(OVERVIEW).toContain(`cordon ${name}`);
    }
  });

  it('the policy-flag text lists every policy flag parseArgs accepts', () => {
    const valued = ['--workspace', '--profile', '--policy', '--allow-write', '--deny-read', '--allow-read', '--protect', '--pass-env', '--timeout'];
    const switches = ['--allow-home', '--allow-symlinked-roots'];
    for (const flag of valued) {
      expect(() => parseArgs([flag, flag === '--timeout' ? '5' : 'x', '--', 'true'])).not.toThrow();
      expect(POLICY_FLAGS).toContain(`${flag} `);
    }
    for (const flag of switches) {
      expect(() => parseArgs([flag, '--', 'true'])).not.toThrow();
      expect(POLICY_FLAGS).toContain(`${flag} `);
    }
  });
});

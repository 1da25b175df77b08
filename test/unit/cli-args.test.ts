import { describe, expect, it } from 'vitest';
import { parseArgs, policyFromFlags, UsageError } from '../../src/cli/args.js';

describe('cordon CLI argument parsing', () => {
  it('takes everything after -- verbatim', () => {
    const { rest, flags } = parseArgs(['--workspace', '/w', '--', 'git', '--version', '--workspace']);
    expect(flags.workspace).toBe('/w');
    expect(rest).toEqual(['git', '--version', '--workspace']);
  });

  it('the first positional starts the command, so its flags are never cordon\'s', () => {
    expect(parseArgs(['--profile', 'strict', 'git', '--version']).rest).toEqual(['git', '--version']);
  });

  it('collects repeatable policy flags and --flag=value', () => {
    const { flags } = parseArgs(['--allow-write=/a', '--allow-write', '/b', '--deny-read', '~/x', '--pass-env', 'MY_TOKEN', '--timeout', '500', '--', 'true']);
    expect(flags.allowWrite).toEqual(['/a', '/b']);
    expect(flags.denyRead).toEqual(['~/x']);
    expect(flags.passEnv).toEqual(['MY_TOKEN']);
    expect(flags.timeoutMs).toBe(500);
  });

  it('rejects unknown options, missing values and bad timeouts', () => {
    expect(() => parseArgs(['--nope', '--', 'true'])).toThrow(UsageError);
    expect(() => parseArgs(['--workspace'])).toThrow(/needs a value/);
    expect(() => parseArgs(['--timeout', '-5', '--', 'true'])).toThrow(/positive/);
  });

  it('builds the policy from the profile plus flags, making relative paths absolute', () => {
    const { flags } = parseArgs(['--profile', 'read-only', '--allow-write', 'build', '--protect', 'Makefile', '--', 'true']);
    const policy = policyFromFlags(flags);
    expect(policy.workspaceAccess).toBe('read');
    expect(policy.write.allow).toEqual([`${process.cwd()}/build`]);
    expect(policy.write.protect).toEqual(['Makefile']);
    expect(() => policyFromFlags({ ...flags, policyFile: '/x.json' })).toThrow(/either --profile or --policy/);
  });
});

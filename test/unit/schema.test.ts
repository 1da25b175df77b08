import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../src/policy/parse.js';
import { listProfiles, loadProfile } from '../../src/policy/presets.js';
import { PolicyError } from '../../src/errors.js';

function issuesOf(input: unknown) {
  try {
    parsePolicy(input);
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as PolicyError).code).toBe('ERR_CORDON_POLICY_INVALID');
    return (error as PolicyError).issues;
  }
  throw new Error('expected the policy to be rejected');
}

describe('policy schema', () => {
  it('fills every default from an empty policy: write workspace, secrets denied, no network', () => {
    const p = parsePolicy({});
    expect(p.workspaceAccess).toBe('write');
    expect(p.read).toEqual({ defaultSecrets: true, denyHome: false, deny: [], allow: [] });
    expect(p.write).toEqual({ allow: [], protect: [] });
    expect(p.network).toEqual({ allow: [], deny: [], presets: [] });
  });

  it('rejects unknown keys at every level, naming them', () => {
    expect(issuesOf({ nework: {} })[0]!.message).toMatch(/nework/);
    expect(issuesOf({ read: { denyy: [] } })[0]!.message).toMatch(/denyy/);
    expect(issuesOf({ network: { allow: [], proxy: true } })[0]!.path).toBe('network');
  });

  it('rejects relative paths and names the field', () => {
    const issues = issuesOf({ read: { deny: ['/ok', 'secrets/key'] } });
    expect(issues[0]!.path).toBe('read.deny.1');
    expect(issues[0]!.message).toMatch(/absolute/);
    expect(issuesOf({ write: { allow: ['build'] } })[0]!.path).toBe('write.allow.0');
  });

  it('rejects NUL bytes anywhere a string goes', () => {
    expect(issuesOf({ read: { deny: ['/a\0b'] } })[0]!.message).toMatch(/NUL/);
    expect(issuesOf({ env: { set: { A: 'x\0' } } })[0]!.message).toMatch(/NUL/);
    expect(issuesOf({ write: { protect: ['a\0'] } })[0]!.message).toMatch(/NUL/);
  });

  it('rejects protect entries that escape the root', () => {
    expect(issuesOf({ write: { protect: ['../x'] } })[0]!.message).toMatch(/\.\./);
    expect(issuesOf({ write: { protect: ['/etc/x'] } })[0]!.message).toMatch(/relative/);
  });

  it('rejects the replaced network keys by name, pointing at network.allow', () => {
    expect(issuesOf({ network: { mode: 'open' } })[0]!.path).toBe('network.mode');
    const issues = issuesOf({ network: { mode: 'none', allowDomains: ['github.com'] } });
    expect(issues.map((i) => i.path).sort()).toEqual(['network.allowDomains', 'network.mode']);
    expect(issues.find((i) => i.path === 'network.allowDomains')!.message).toMatch(/network\.allow/);
    // Even the old spelling of the default (an empty list) is refused: silently accepting a key
    // that used to mean something would hide that a list moved.
    expect(() => parsePolicy({ network: { allowDomains: [] } })).toThrow(expect.objectContaining({ hint: expect.stringMatching(/network: \{ "allow"/) }));
    // Other problems are reported in the same error.
    expect(issuesOf({ network: { allowDomains: [] }, read: { deny: ['rel'] } }).map((i) => i.path)).toEqual(['network.allowDomains', 'read.deny.0']);
  });

  it('ships default, read-only and strict presets that all validate', () => {
    expect(listProfiles()).toEqual(expect.arrayContaining(['default', 'read-only', 'strict']));
    for (const name of listProfiles()) expect(() => loadProfile(name)).not.toThrow();
    expect(loadProfile('default')).toEqual(parsePolicy({}));
    expect(loadProfile('read-only').workspaceAccess).toBe('read');
    expect(loadProfile('strict').read.denyHome).toBe(true);
  });

  it('names the known presets when a profile is unknown', () => {
    expect(() => loadProfile('nope')).toThrow(expect.objectContaining({ code: 'ERR_CORDON_PROFILE_UNKNOWN', hint: expect.stringMatching(/default, read-only, strict/) }));
  });
});

import { describe, expect, it } from 'vitest';
import { diagnoseBwrapFailure } from '../../src/backends/linux/diagnose.js';
import { findBwrap, probeBwrap } from '../../src/backends/linux/probe.js';
import { chmodSync } from 'node:fs';
import { makeTree } from '../helpers/tree.js';

describe('diagnoseBwrapFailure: each failure names its own fix', () => {
  const cases: Array<[string, string, Parameters<typeof diagnoseBwrapFailure>[1], string, RegExp]> = [
    ['user namespaces off (max_user_namespaces=0)', 'bwrap: No space left on device: Creating new namespace failed', { euid: 1000, maxUserNamespaces: 0 }, 'ERR_CORDON_USERNS_DISABLED', /max_user_namespaces/],
    ['Debian knob off', 'bwrap: No permissions to creating new namespace, likely because the kernel does not allow non-privileged user namespaces.', { euid: 1000, maxUserNamespaces: 100, unprivilegedUsernsClone: false }, 'ERR_CORDON_USERNS_DISABLED', /unprivileged_userns_clone/],
    ['Ubuntu 24.04 AppArmor', 'bwrap: setting up uid map: Permission denied', { euid: 1000, maxUserNamespaces: 100, apparmorRestrictsUserns: true }, 'ERR_CORDON_USERNS_APPARMOR', /apparmor/i],
    ['container seccomp profile', 'bwrap: Creating new namespace failed: Operation not permitted', { euid: 0, maxUserNamespaces: 100 }, 'ERR_CORDON_USERNS_BLOCKED', /seccomp=unconfined/],
    ['no CAP_NET_ADMIN for loopback', 'bwrap: loopback: Failed RTM_NEWADDR: Operation not permitted', { euid: 0, maxUserNamespaces: 100 }, 'ERR_CORDON_USERNS_BLOCKED', /seccomp|host/],
    ['anything else', 'bwrap: Can\'t find source path /nope: No such file or directory', { euid: 1000, maxUserNamespaces: 100 }, 'ERR_CORDON_SETUP_FAILED', /cordon doctor/],
  ];
  for (const [name, stderr, facts, code, hint] of cases) {
    it(name, () => {
      const error = diagnoseBwrapFailure(stderr, facts);
      expect(error.code).toBe(code);
      expect(error.hint).toMatch(hint);
      expect(error.message.length).toBeGreaterThan(10);
    });
  }
});

describe('findBwrap', () => {
  it('never takes bwrap from a relative PATH entry or from an untrusted directory (the workspace)', () => {
    const t = makeTree({ 'ws/bin/bwrap': '#!/bin/sh\n', 'sys/bin/bwrap': '#!/bin/sh\n' });
    try {
      chmodSync(t.path('ws/bin/bwrap'), 0o755);
      chmodSync(t.path('sys/bin/bwrap'), 0o755);
      process.chdir(t.root);
      expect(findBwrap({ PATH: 'ws/bin' }, [], [])).toBeUndefined();
      expect(findBwrap({ PATH: `${t.path('ws/bin')}` }, [t.path('ws')], [])).toBeUndefined();
      expect(findBwrap({ PATH: `${t.path('ws/bin')}:${t.path('sys/bin')}` }, [t.path('ws')], [])).toBe(t.path('sys/bin/bwrap'));
      expect(findBwrap({ PATH: `${t.path('ws/bin')}` }, [], [t.path('sys/bin/bwrap')])).toBe(t.path('sys/bin/bwrap'));
    } finally {
      process.chdir('/');
      t.cleanup();
    }
  });
});

describe('probeBwrap', () => {
  it('without bwrap anywhere it may look, fails with ERR_CORDON_BWRAP_MISSING and the install command', () => {
    let error: unknown;
    try {
      probeBwrap({ PATH: '/nonexistent-bin' }, [], []);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'ERR_CORDON_BWRAP_MISSING', name: 'SandboxUnavailableError' });
    expect((error as { hint: string }).hint).toMatch(/apt-get install -y bubblewrap/);
  });
});

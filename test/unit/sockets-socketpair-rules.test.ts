/**
 * The socketpair rules as data (issue 7, item 2): evaluated here the way the kernel's BPF will
 * (rules for one syscall are ORed, argument checks within a rule ANDed), over every socket type
 * the kernel can see. The real filter under real bwrap is in test/integration/sockets-dgram.test.ts
 * and seccomp-enforced.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { linuxSeccompSpec, type SeccompArgCheck, type SeccompRule } from '../../src/backends/linux/seccomp-rules.js';

const AF_UNIX = 1;
const SOCK_NONBLOCK = 0x800;
const SOCK_CLOEXEC = 0x80000;

function checkHolds(check: SeccompArgCheck, args: bigint[]): boolean {
  const arg = args[check.index] ?? 0n;
  const value = BigInt(check.value);
  switch (check.op) {
    case 'masked_eq':
      return (arg & BigInt(check.mask ?? 0)) === value;
    case 'ne':
      return arg !== value;
    case 'ge':
      return arg >= value;
  }
}

/** The errno a socketpair(domain, type) call gets from the spec, or 'allow'. */
function socketpairVerdict(domain: bigint, type: bigint): number | 'allow' {
  const matching = linuxSeccompSpec().rules.filter(
    (rule: SeccompRule) => rule.syscall === 'socketpair' && (rule.args ?? []).every((c) => checkHolds(c, [domain, type, 0n])),
  );
  if (matching.length === 0) return 'allow';
  // libseccomp returns the lowest errno when several errno rules match
  return Math.min(...matching.map((r) => (r.action.type === 'errno' ? r.action.errno : 0)));
}

describe('socketpair rules', () => {
  const allowedTypes = new Set([1, 5]); // SOCK_STREAM, SOCK_SEQPACKET

  it.each(Array.from({ length: 16 }, (_, type) => type))('AF_UNIX type %i, with and without flags', (type) => {
    for (const flags of [0, SOCK_NONBLOCK, SOCK_CLOEXEC, SOCK_NONBLOCK | SOCK_CLOEXEC]) {
      for (const junk of [0n, 1n << 32n]) {
        const verdict = socketpairVerdict(BigInt(AF_UNIX), BigInt(type | flags) | junk);
        expect(verdict).toBe(allowedTypes.has(type) ? 'allow' : 1 /* EPERM */);
      }
    }
  });

  it('every other family, and AF_UNIX with junk in the upper half of the domain, is refused', () => {
    for (let family = 0; family < 64; family++) {
      if (family === AF_UNIX) continue;
      expect(socketpairVerdict(BigInt(family), 1n)).not.toBe('allow');
    }
    expect(socketpairVerdict((1n << 32n) | 1n, 1n)).not.toBe('allow');
  });

  it('every socketpair rule says why', () => {
    const rules = linuxSeccompSpec().rules.filter((r) => r.syscall === 'socketpair');
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) expect(rule.why.length).toBeGreaterThan(20);
  });
});

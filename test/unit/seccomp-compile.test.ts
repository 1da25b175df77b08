import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { linuxSeccompSpec, type SeccompRule, type SeccompSpec } from '../../src/backends/linux/seccomp-rules.js';
import { isCordonError, SandboxUnavailableError } from '../../src/errors.js';
import { compileSeccompFilter, createSeccompLoader, seccompBinding } from '../../src/native/seccomp.js';

const onLinux = process.platform === 'linux';
const EPERM = { type: 'errno', errno: 1 } as const;

function specWith(rules: SeccompRule[]): SeccompSpec {
  return { defaultAction: 'allow', badArchAction: 'kill_process', rules };
}

/** Feed deliberately malformed input to the addon, as JavaScript callers could. */
function compileUntyped(spec: unknown): Uint8Array {
  return compileSeccompFilter(spec as SeccompSpec);
}

describe.skipIf(!onLinux)(`compileSeccompFilter${onLinux ? '' : ' (skipped: seccomp is Linux-only)'}`, () => {
  it('compiles the default spec into a non-empty BPF program of whole 8-byte instructions', () => {
    const bytes = compileSeccompFilter(linuxSeccompSpec());
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(bytes.length).toBeGreaterThan(0);
    expect(bytes.length % 8).toBe(0);
    // Classic BPF allows at most 4096 instructions per program.
    expect(bytes.length / 8).toBeLessThanOrEqual(4096);
  });

  it('is deterministic', () => {
    const a = compileSeccompFilter(linuxSeccompSpec());
    const b = compileSeccompFilter(linuxSeccompSpec());
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  it('starts with the architecture check and kills other ABIs', () => {
    const bytes = compileSeccompFilter(specWith([]));
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    // Instruction 0: BPF_LD|BPF_W|BPF_ABS of seccomp_data.arch (offset 4).
    expect(view.getUint16(0, true)).toBe(0x20);
    expect(view.getUint32(4, true)).toBe(4);
    // The last instruction returns SECCOMP_RET_KILL_PROCESS (the bad-arch action).
    expect(view.getUint16(bytes.length - 8, true)).toBe(0x06);
    expect(view.getUint32(bytes.length - 4, true)).toBe(0x80000000);
  });

  it('throws naming every unknown syscall', () => {
    expect(() =>
      compileSeccompFilter(
        specWith([
          { syscall: 'not_a_syscall', action: EPERM, why: 'test' },
          { syscall: 'socket', action: EPERM, why: 'test' },
          { syscall: 'also_bogus', action: EPERM, why: 'test' },
        ]),
      ),
    ).toThrow(/unknown syscall.*not_a_syscall, also_bogus/);
    // A typed error with a fix, not a bare Error from the addon: nothing runs with a weaker filter.
    let caught: unknown;
    try {
      compileSeccompFilter(specWith([{ syscall: 'not_a_syscall', action: EPERM, why: 'test' }]));
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: 'ERR_CORDON_SECCOMP_UNSUPPORTED', name: 'SandboxUnavailableError' });
    expect((caught as { hint?: string }).hint).toMatch(/build:native/);
  });

  it('treats a syscall of another architecture as unknown', () => {
    // socketcall exists on i386 only; on x86_64/aarch64 libseccomp knows it as a pseudo syscall.
    expect(() => compileSeccompFilter(specWith([{ syscall: 'socketcall', action: EPERM, why: 'test' }]))).toThrow(
      /socketcall/,
    );
  });

  it('skips an optional unknown syscall', () => {
    const withOptional = compileSeccompFilter(
      specWith([
        { syscall: 'ptrace', action: EPERM, why: 'test' },
        { syscall: 'not_a_syscall', action: EPERM, optional: true, why: 'test' },
      ]),
    );
    const without = compileSeccompFilter(specWith([{ syscall: 'ptrace', action: EPERM, why: 'test' }]));
    expect(Buffer.from(withOptional).equals(Buffer.from(without))).toBe(true);
  });

  it.each<[string, unknown, RegExp]>([
    ['an argument index above 5', { index: 7, op: 'masked_eq', mask: 1, value: 1 }, /args\[0\]\.index must be 0\.\.5/],
    ['an unknown operator', { index: 0, op: 'lt', value: 1 }, /args\[0\]\.op must be/],
    ['masked_eq without a mask', { index: 0, op: 'masked_eq', value: 1 }, /mask is required/],
    ['a mask with ne', { index: 0, op: 'ne', mask: 1, value: 1 }, /mask is only allowed/],
    ['a value outside its mask', { index: 0, op: 'masked_eq', mask: 0xff, value: 0x100 }, /outside mask/],
    ['a negative value', { index: 0, op: 'ne', value: -1 }, /non-negative safe integer/],
    ['an unsafe integer', { index: 0, op: 'ne', value: 2 ** 60 }, /non-negative safe integer/],
    ['a fractional value', { index: 0, op: 'ne', value: 1.5 }, /non-negative safe integer/],
  ])('rejects %s with a TypeError naming the field', (_label, arg, message) => {
    const spec = specWith([{ syscall: 'socket', action: EPERM, why: 'test', args: [arg as never] }]);
    expect(() => compileSeccompFilter(spec)).toThrow(TypeError);
    expect(() => compileSeccompFilter(spec)).toThrow(message);
  });

  it('rejects two comparisons on the same argument (libseccomp cannot AND them)', () => {
    const spec = specWith([
      {
        syscall: 'personality',
        action: EPERM,
        why: 'test',
        args: [
          { index: 0, op: 'ne', value: 0 },
          { index: 0, op: 'ne', value: 0xffffffff },
        ],
      },
    ]);
    expect(() => compileSeccompFilter(spec)).toThrow(/repeats argument 0/);
  });

  it.each<[string, unknown, RegExp]>([
    ['a non-object spec', 42, /spec must be an object/],
    ['rules that are not an array', { defaultAction: 'allow', badArchAction: 'kill_process', rules: {} }, /rules must be an array/],
    ['an unknown action type', specWith([{ syscall: 'ptrace', action: { type: 'trap' } as never, why: 'x' }]), /unknown action type 'trap'/],
    ['errno 0', specWith([{ syscall: 'ptrace', action: { type: 'errno', errno: 0 }, why: 'x' }]), /errno must be between 1 and 4095/],
    ['an empty syscall name', specWith([{ syscall: '', action: EPERM, why: 'x' }]), /syscall must not be empty/],
    ['a missing bad-arch action', { defaultAction: 'allow', rules: [] }, /badArchAction must be an action/],
    ['more than six comparisons', specWith([{ syscall: 'ptrace', action: EPERM, why: 'x', args: Array(7).fill({ index: 0, op: 'ne', value: 0 }) }]), /more than 6/],
  ])('rejects %s', (_label, spec, message) => {
    expect(() => compileUntyped(spec)).toThrow(TypeError);
    expect(() => compileUntyped(spec)).toThrow(message);
  });

  it('reports the statically linked libseccomp version', () => {
    const v = seccompBinding().libseccompVersion();
    expect(v.major).toBeGreaterThanOrEqual(2);
    expect(`${v.major}.${v.minor}.${v.micro}`).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('throws SandboxUnavailableError listing what was tried when the addon is missing', () => {
    const emptyRoot = mkdtempSync(path.join(tmpdir(), 'cordon-noaddon-'));
    try {
      const load = createSeccompLoader(emptyRoot);
      let caught: unknown;
      try {
        load();
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(SandboxUnavailableError);
      expect(isCordonError(caught)).toBe(true);
      const error = caught as SandboxUnavailableError;
      expect(error.code).toBe('ERR_CORDON_NATIVE_UNAVAILABLE');
      expect(error.message).toContain(path.join(emptyRoot, 'build', 'Release'));
      expect(error.message).toContain(path.join(emptyRoot, 'prebuilds', `${process.platform}-${process.arch}`));
      expect(error.hint).toContain('npm run build:native');
      expect(error.hint).toContain('libseccomp-dev');
    } finally {
      rmSync(emptyRoot, { recursive: true, force: true });
    }
  });
});

describe('linuxSeccompSpec', () => {
  const spec = linuxSeccompSpec();
  const rulesFor = (syscall: string) => spec.rules.filter((r) => r.syscall === syscall);

  it('is a deny-list that kills foreign ABIs', () => {
    expect(spec.defaultAction).toBe('allow');
    expect(spec.badArchAction).toBe('kill_process');
  });

  it('gives every rule a one-line reason', () => {
    for (const rule of spec.rules) {
      expect(rule.why.trim().length, rule.syscall).toBeGreaterThan(0);
      expect(rule.why, rule.syscall).not.toContain('\n');
    }
  });

  it('masks every int equality to 32 bits (a 64-bit compare lets junk high bits through)', () => {
    for (const rule of spec.rules) {
      for (const arg of rule.args ?? []) {
        if (arg.op === 'masked_eq') expect(arg.mask, rule.syscall).toBeLessThanOrEqual(0xffffffff);
      }
    }
    for (const syscall of ['socket', 'ioctl']) {
      for (const rule of rulesFor(syscall)) {
        for (const arg of rule.args ?? []) {
          if (arg.op === 'masked_eq') expect(arg.mask).toBe(0xffffffff);
        }
      }
    }
  });

  it('denies unconditionally the syscalls that have no safe use inside the sandbox', () => {
    const unconditional = spec.rules.filter((r) => !r.args?.length).map((r) => r.syscall);
    expect(unconditional).toEqual(
      expect.arrayContaining([
        'setns', 'mount', 'umount2', 'pivot_root', 'chroot', 'open_tree', 'move_mount', 'fsopen', 'fsconfig',
        'fsmount', 'fspick', 'mount_setattr', 'keyctl', 'add_key', 'request_key', 'bpf', 'perf_event_open',
        'userfaultfd', 'ptrace', 'process_vm_readv', 'process_vm_writev', 'io_uring_setup', 'io_uring_enter',
        'io_uring_register', 'kexec_load', 'kexec_file_load', 'init_module', 'finit_module', 'delete_module', 'clone3',
      ]),
    );
  });

  it('answers clone3 with ENOSYS so libc falls back to the inspectable clone', () => {
    expect(rulesFor('clone3')).toEqual([expect.objectContaining({ action: { type: 'errno', errno: 38 } })]);
  });

  it('denies CLONE_NEWUSER in clone (flags are argument 0) and unshare', () => {
    for (const syscall of ['clone', 'unshare']) {
      expect(rulesFor(syscall).map((r) => r.args)).toEqual([
        [{ index: 0, op: 'masked_eq', mask: 0x10000000, value: 0x10000000 }],
      ]);
    }
  });

  it('allows only AF_INET, AF_INET6 and AF_NETLINK sockets', () => {
    const deniedFamilies = new Set(
      rulesFor('socket').flatMap((r) => (r.args ?? []).filter((a) => a.op === 'masked_eq').map((a) => a.value)),
    );
    for (let family = 0; family < 46; family++) {
      expect(deniedFamilies.has(family), `family ${family}`).toBe(![2, 10, 16].includes(family));
    }
    expect(rulesFor('socket')).toContainEqual(expect.objectContaining({ args: [{ index: 0, op: 'ge', value: 46 }] }));
  });

  it('denies personality unless its low 32 bits are all 0 or all 1', () => {
    const denied = (persona: number) =>
      rulesFor('personality').some((r) =>
        (r.args ?? []).every((a) => a.op === 'masked_eq' && Number(BigInt(persona) & BigInt(a.mask ?? 0)) === a.value),
      );
    expect(denied(0)).toBe(false);
    expect(denied(0xffffffff)).toBe(false);
    for (const persona of [0x0008, 0x0040000, 0x0400000, 0x1, 0x80000000, 0xfffffffe, 0x7fffffff]) {
      expect(denied(persona), persona.toString(16)).toBe(true);
    }
  });

  it('returns a fresh object on each call', () => {
    const a = linuxSeccompSpec();
    a.rules.length = 0;
    expect(linuxSeccompSpec().rules.length).toBeGreaterThan(0);
  });
});

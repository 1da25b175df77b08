import { closeSync, fstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { closesOnExec, coverEntries, coverInheritedFds, inheritableFds, MAX_COVERED_FD } from '../../src/backends/linux/inherited-fds.js';
import { SandboxSetupError } from '../../src/errors.js';

/** A stand-in for /proc/self: `fd/N` entries and `fdinfo/N` texts (absent fdinfo = closed meanwhile). */
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
function fakeProc(fds: Record<number, { flags?: string; target?: string } | 'gone'>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'cordon-fds-'));
  dirs.push(root);
  mkdirSync(path.join(root, 'fd'));
  mkdirSync(path.join(root, 'fdinfo'));
  for (const [n, spec] of Object.entries(fds)) {
    symlinkSync(spec === 'gone' ? '/nowhere' : (spec.target ?? '/dev/null'), path.join(root, 'fd', n));
    if (spec === 'gone') continue;
    writeFileSync(path.join(root, 'fdinfo', n), `pos:\t0\n${spec.flags === undefined ? '' : `flags:\t${spec.flags}\n`}mnt_id:\t25\nino:\t4\n`);
  }
  return root;
}

describe('inherited descriptors', () => {
  it('reads close-on-exec from the octal flags line of fdinfo', () => {
    expect(closesOnExec('pos:\t0\nflags:\t02100000\nmnt_id:\t25\n')).toBe(true); // O_CLOEXEC|O_LARGEFILE
    expect(closesOnExec('pos:\t0\nflags:\t0100000\nmnt_id:\t25\n')).toBe(false); // a directory fd from a parent
    expect(closesOnExec('pos:\t0\nflags:\t01\n')).toBe(false); // O_WRONLY pipe
    expect(closesOnExec('pos:\t0\nflags:\t02004002\n')).toBe(true);
    expect(closesOnExec('pos:\t0\n')).toBeUndefined();
    expect(closesOnExec('flags:\t0x80000\n')).toBeUndefined(); // not octal: unreadable, not "safe"
  });

  it('puts the cover at each leaked number, ignore between, nothing below the first free index', () => {
    expect(coverEntries(5, [], 99)).toEqual([]);
    expect(coverEntries(5, [3, 4], 99)).toEqual([]);
    expect(coverEntries(5, [5], 99)).toEqual([99]);
    expect(coverEntries(5, [9, 7], 99)).toEqual(['ignore', 'ignore', 99, 'ignore', 99]);
  });

  it('lists descriptors from `from` on whose flags lack close-on-exec or cannot be read', () => {
    const proc = fakeProc({ 0: { flags: '02' }, 3: { flags: '0100000' }, 5: { flags: '02100000' }, 6: { flags: '0100000' }, 7: {}, 8: 'gone', 20: { flags: '01' } });
    expect(inheritableFds(5, proc)).toEqual([6, 7, 20]);
    expect(inheritableFds(0, proc)).toEqual([0, 3, 6, 7, 20]);
  });

  it('fails closed when the descriptor listing cannot be read', () => {
    expect(() => inheritableFds(3, '/nonexistent-proc')).toThrow(SandboxSetupError);
  });

  it('covers with a read-only /dev/null of its own, closed by close()', () => {
    const cover = coverInheritedFds(5, fakeProc({ 6: { flags: '0100000' } }));
    expect(cover.stdio).toHaveLength(2);
    expect(cover.stdio[0]).toBe('ignore');
    const fd = cover.stdio[1] as number;
    expect(fstatSync(fd).rdev).toBe(statSync('/dev/null').rdev);
    // Read-only, and itself close-on-exec: only the dup2()ed copies in the child stay open.
    const flags = Number.parseInt(/^flags:\s*([0-7]+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]!, 8);
    expect(flags & 0o3).toBe(0);
    expect(closesOnExec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))).toBe(true);
    cover.close();
    cover.close(); // idempotent
    expect(() => fstatSync(fd)).toThrow(/EBADF/);
  });

  it('needs no cover (and opens nothing) when nothing leaks', () => {
    const cover = coverInheritedFds(5, fakeProc({ 5: { flags: '02000000' }, 30: { flags: '02000001' } }));
    expect(cover.stdio).toEqual([]);
  });

  it(`refuses a leaked descriptor above fd ${MAX_COVERED_FD}, naming it and what it points at`, () => {
    const proc = fakeProc({ 20: { flags: '0100000' }, [MAX_COVERED_FD + 1]: { flags: '0100000', target: '/home/alice' } });
    let error: unknown;
    try {
      coverInheritedFds(5, proc);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SandboxSetupError);
    expect(error).toMatchObject({ code: 'ERR_CORDON_SETUP_FAILED', message: expect.stringContaining(`fd ${MAX_COVERED_FD + 1} -> /home/alice`) });
    expect((error as SandboxSetupError).hint).toContain(`${MAX_COVERED_FD + 1}>&-`);
  });

  it('finds nothing inheritable that Node opened itself (every fd Node opens is close-on-exec)', () => {
    // This worker may have inherited stray descriptors from whatever started the test run, so
    // compare before and after opening: the new ones must not appear.
    const before = inheritableFds(3);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cordon-fds-'));
    dirs.push(dir);
    const opened = [dir, '/dev/null'].map((p) => openSync(p, 'r'));
    try {
      expect(inheritableFds(3)).toEqual(before);
    } finally {
      opened.forEach((fd) => closeSync(fd));
    }
  });
});


import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { sandboxedSpawn } from '../../src/index.js';
import { MACOS_ONLY, describeMacos, macScratch } from './harness.js';

/**
 * APFS clones (clonefile(2)) under the real profile. The profile allows file-clone inside the
 * writable areas (Rust's fs::copy treats EPERM from clonefile as fatal) and denies it wherever
 * a secret, a protected path or a pin is involved. Which path(s) Seatbelt checks for
 * file-clone is undocumented, so these probes are the proof: each forbidden clone must fail
 * with EPERM and leave nothing on the host; an ordinary clone inside the workspace must work.
 * If a forbidden probe succeeds, switch `clone` off in src/backends/macos/features.ts.
 */

const tree = macScratch();

/** Calls clonefile(src, dst, 0) through libc; prints `ok` or `errno N`. */
const CLONE = `
import ctypes, ctypes.util, sys
libc = ctypes.CDLL(ctypes.util.find_library('c'), use_errno=True)
r = libc.clonefile(sys.argv[1].encode(), sys.argv[2].encode(), 0)
print('ok' if r == 0 else 'errno %d' % ctypes.get_errno())
`;
const EPERM = 'errno 1';

function layout() {
  const t = tree({
    'home/.ssh/id_test': 'SECRET-KEY\n',
    'ws/a.txt': 'plain\n',
    'ws/app/.env': 'TOKEN=1\n',
    'ws/app/main.js': '',
    'ws/.git/HEAD': 'ref: refs/heads/main\n',
    'ws/.git/hooks/': '',
    'outside/': '',
  });
  writeFileSync(t.path('ws/clone.py'), CLONE);
  return t;
}

async function clone(t: ReturnType<typeof layout>, from: string, to: string): Promise<string> {
  const r = await sandboxedSpawn('python3', ['clone.py', from, to], { workspace: t.path('ws'), env: { HOME: t.path('home') }, reject: false });
  return String(r.stdout ?? '').trim();
}

describeMacos(`APFS clones under sandbox-exec (${MACOS_ONLY})`, () => {
  it('an ordinary clone inside the workspace works (fs::copy, cp -c)', async () => {
    const t = layout();
    expect(await clone(t, t.path('ws/a.txt'), t.path('ws/b.txt'))).toBe('ok');
    expect(readFileSync(t.path('ws/b.txt'), 'utf8')).toBe('plain\n');
  });

  it('a clone out of the writable areas is denied', async () => {
    const t = layout();
    expect(await clone(t, t.path('ws/a.txt'), t.path('outside/x.plist'))).toBe(EPERM);
    expect(existsSync(t.path('outside/x.plist'))).toBe(false);
  });

  it('a clone onto a protected path (a missing git hook) is denied', async () => {
    const t = layout();
    expect(await clone(t, t.path('ws/a.txt'), t.path('ws/.git/hooks/pre-commit'))).toBe(EPERM);
    expect(existsSync(t.path('ws/.git/hooks/pre-commit'))).toBe(false);
  });

  it('a clone of a secret into the workspace is denied', async () => {
    const t = layout();
    expect(await clone(t, t.path('home/.ssh/id_test'), t.path('ws/key'))).toBe(EPERM);
    expect(existsSync(t.path('ws/key'))).toBe(false);
  });

  it('a clone of a directory holding a secret is denied (the copy would carry it)', async () => {
    const t = layout();
    mkdirSync(t.path('ws/dest'));
    expect(await clone(t, t.path('ws/app'), t.path('ws/dest/app'))).toBe(EPERM);
    expect(existsSync(t.path('ws/dest/app/.env'))).toBe(false);
  });
});

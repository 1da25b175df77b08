import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { openExtraFds } from '../../src/backends/linux/fd-channels.js';

describe('extra fds as unlinked files', () => {
  it('a child reads the input from offset 0 and its output is read back, with nothing left on disk', () => {
    const data = new TextEncoder().encode('filter-bytes');
    const fds = openExtraFds([
      { fd: 3, direction: 'in', purpose: 'seccomp', data },
      { fd: 4, direction: 'out', purpose: 'status' },
    ]);
    try {
      expect(fds.stdio).toHaveLength(2);
      const r = spawnSync('sh', ['-c', 'cat <&3; echo \'{ "exit-code": 0 }\' >&4'], { stdio: ['ignore', 'pipe', 'pipe', fds.stdio[0]!, fds.stdio[1]!], encoding: 'utf8' });
      expect(r.stdout).toBe('filter-bytes');
      expect(fds.readStatus()).toBe('{ "exit-code": 0 }\n');
      // Unlinked at once: the descriptors point at deleted files.
      const link = spawnSync('readlink', [`/proc/${process.pid}/fd/${fds.stdio[0]}`], { encoding: 'utf8' }).stdout;
      expect(link).toMatch(/\(deleted\)/);
    } finally {
      fds.close();
    }
    expect(fds.readStatus()).toBe('');
  });
});

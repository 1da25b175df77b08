import { describe, expect, it } from 'vitest';
import { matchPathLine } from '../../src/denials/path-lines.js';
import { eppermSyscalls, matchSocketLine, matchSyscallLine } from '../../src/denials/socket-lines.js';

// Recorded inside the sandbox (bwrap 0.8, dash, coreutils 9.1, python 3.11, node 20, git 2.39, binutils),
// except where marked: those are the same tools' documented shapes.
const H = '/root/dnprobe-TOpZOs/home';

describe('denial lines: paths a tool says it failed on', () => {
  const cases: Array<[string, Array<{ path: string; errno: string; access: string }>]> = [
    [`sh: 2: cannot create ${H}/out.txt: Read-only file system`, [{ path: `${H}/out.txt`, errno: 'EROFS', access: 'write' }]],
    [`touch: cannot touch '${H}/.cache/pip/t': Read-only file system`, [{ path: `${H}/.cache/pip/t`, errno: 'EROFS', access: 'write' }]],
    [`mkdir: cannot create directory ‘${H}/newdir’: Read-only file system`, [{ path: `${H}/newdir`, errno: 'EROFS', access: 'write' }]],
    [`cp: cannot create regular file '.git/hooks/pre-commit': Read-only file system`, [{ path: '.git/hooks/pre-commit', errno: 'EROFS', access: 'write' }]],
    [`cat: ${H}/.ssh/id_rsa: No such file or directory`, [{ path: `${H}/.ssh/id_rsa`, errno: 'ENOENT', access: 'read' }]],
    ['cat: missing.txt: No such file or directory', [{ path: 'missing.txt', errno: 'ENOENT', access: 'read' }]],
    [`ls: cannot access '${H}/.ssh/': No such file or directory`, [{ path: `${H}/.ssh/`, errno: 'ENOENT', access: 'read' }]],
    [`sh: 8: cannot create ${H}/.ssh/known_hosts: Directory nonexistent`, [{ path: `${H}/.ssh/known_hosts`, errno: 'ENOENT', access: 'write' }]],
    [`mv: cannot move '.git' to 'gitx': Device or resource busy`, [{ path: '.git', errno: 'EBUSY', access: 'write' }, { path: 'gitx', errno: 'EBUSY', access: 'write' }]],
    [`OSError: [Errno 30] Read-only file system: '${H}/.cache/pip/p'`, [{ path: `${H}/.cache/pip/p`, errno: 'EROFS', access: 'write' }]],
    [`OSError: [Errno 16] Device or resource busy: '.git' -> 'g'`, [{ path: '.git', errno: 'EBUSY', access: 'write' }, { path: 'g', errno: 'EBUSY', access: 'write' }]],
    [`FileNotFoundError: [Errno 2] No such file or directory: '${H}/.ssh/config'`, [{ path: `${H}/.ssh/config`, errno: 'ENOENT', access: 'read' }]],
    [`PermissionError: [Errno 13] Permission denied: "/x/it's"`, [{ path: "/x/it's", errno: 'EACCES', access: 'either' }]],
    [`Error: EROFS: read-only file system, open '${H}/n.txt'`, [{ path: `${H}/n.txt`, errno: 'EROFS', access: 'write' }]],
    [`Error: ENOENT: no such file or directory, mkdir '${H}/.npm/_cacache'`, [{ path: `${H}/.npm/_cacache`, errno: 'ENOENT', access: 'write' }]],
    [`npm error rofs EROFS: read-only file system, mkdir '/root/.npm/_cacache'`, [{ path: '/root/.npm/_cacache', errno: 'EROFS', access: 'write' }]], // npm 10 shape
    [`Error: EPERM: operation not permitted, open '/Users/u/.ssh/id_rsa'`, [{ path: '/Users/u/.ssh/id_rsa', errno: 'EPERM', access: 'either' }]], // macOS shape
    [`error: could not write config file .git/config: Device or resource busy`, [{ path: '.git/config', errno: 'EBUSY', access: 'write' }]],
    [`error: could not lock config file ${H}/.gitconfig: Read-only file system`, [{ path: `${H}/.gitconfig`, errno: 'EROFS', access: 'write' }]],
    [`fatal: Unable to create '/r/.git/index.lock': Read-only file system.`, [{ path: '/r/.git/index.lock', errno: 'EROFS', access: 'write' }]], // git shape
    [`/usr/bin/ld: cannot open output file ${H}/a.out: Read-only file system`, [{ path: `${H}/a.out`, errno: 'EROFS', access: 'write' }]],
    [`error: unable to open output file '/h/x.o': 'Read-only file system'`, [{ path: '/h/x.o', errno: 'EROFS', access: 'write' }]], // clang shape
    [`bash: /h/my notes.txt: Read-only file system`, [{ path: '/h/my notes.txt', errno: 'EROFS', access: 'write' }]], // bash, a space in the name
    ['make: Makefile.inc: No such file or directory', [{ path: 'Makefile.inc', errno: 'ENOENT', access: 'read' }]], // the program name is no verb
    [`cat: /h/create-app/x: No such file or directory`, [{ path: '/h/create-app/x', errno: 'ENOENT', access: 'read' }]], // nor is a word in the path
  ];
  it.each(cases)('%s', (line, expected) => {
    expect(matchPathLine(line)).toEqual(expected);
  });

  it('lines without a path failure give nothing', () => {
    for (const line of ['collect2: error: ld returned 1 exit status', 'Traceback (most recent call last):', 'Node.js v20.20.2', 'git@github.com: Permission denied (publickey).', '  errno: -30,', 'x'.repeat(5000) + ': Read-only file system']) {
      expect(matchPathLine(line).filter((f) => f.path.startsWith('/'))).toEqual([]);
    }
  });
});

describe('denial lines: sockets and syscalls, only when named', () => {
  const traceback = [
    'Traceback (most recent call last):',
    '  File "<string>", line 1, in <module>',
    '  File "/root/.pyenv/versions/3.11.7/lib/python3.11/socket.py", line 232, in __init__',
    '    _socket.socket.__init__(self, family, type, proto, fileno)',
    'PermissionError: [Errno 1] Operation not permitted',
  ];
  it('python: a bare EPERM under a socket.py frame is a socket denial; without one it is nothing', () => {
    expect(matchSocketLine(traceback, 4)).toMatchObject({ kind: 'socket', certainty: 'inferred' });
    const other = ['Traceback (most recent call last):', '  File "<string>", line 1, in <module>', 'PermissionError: [Errno 1] Operation not permitted'];
    expect(matchSocketLine(other, 2)).toBeUndefined();
  });
  it('node and Go name the socket path', () => {
    expect(matchSocketLine(['connect EPERM /var/run/docker.sock'], 0)).toMatchObject({ kind: 'socket', path: '/var/run/docker.sock' });
    expect(matchSocketLine(['Cannot connect: dial unix /var/run/docker.sock: socket: operation not permitted'], 0)).toMatchObject({ kind: 'socket', path: '/var/run/docker.sock' });
    expect(matchSocketLine(['connect ECONNREFUSED 127.0.0.1:5432'], 0)).toBeUndefined();
  });
  it('a syscall the filter denies, by name, with EPERM', () => {
    const names = eppermSyscalls();
    expect(matchSyscallLine('unshare: unshare failed: Operation not permitted', names)).toMatchObject({ kind: 'syscall', rule: 'seccomp: unshare is denied' });
    expect(matchSyscallLine('strace: test_ptrace_get_syscall_info: PTRACE_TRACEME: Operation not permitted', names)).toMatchObject({ rule: 'seccomp: ptrace is denied' });
    expect(matchSyscallLine('unshare: unshare failed: Invalid argument', names)).toBeUndefined();
    expect(matchSyscallLine('rm: cannot remove x: Operation not permitted', names)).toBeUndefined();
  });
});

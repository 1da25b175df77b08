/**
 * Host-side probes and checks for dangerous entries: what the command must not have done is
 * read off the host after it ended, never off its exit code.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { MARKERS, type World } from './fixture.js';
import type { HostCheck } from './types.js';

/** `~/x` and `$WS/x` made absolute for one world. */
export function hostPath(p: string, world: World): string {
  if (p === '~') return world.home;
  if (p.startsWith('~/')) return path.join(world.home, p.slice(2));
  if (p.startsWith('$WS/')) return path.join(world.workspace, p.slice(4));
  if (p === '$WS') return world.workspace;
  return p;
}

/** A file's identity for "unchanged": absent, or type + mode + content hash. */
function snapshot(file: string): string {
  let st;
  try {
    st = lstatSync(file);
  } catch {
    return 'absent';
  }
  if (st.isSymbolicLink()) return `link`;
  if (st.isDirectory()) return `dir ${st.mode.toString(8)} ${readdirSync(file).sort().join(',')}`;
  return `file ${st.mode.toString(8)} ${createHash('sha256').update(readFileSync(file)).digest('hex')}`;
}

interface Listener {
  readonly connections: number;
  readonly bytes: number;
  /** The TCP port (0 for a unix socket). */
  readonly port: number;
  close(): Promise<void>;
}

function listen(server: net.Server, at: { port: number; host: string } | string): Promise<Listener> {
  const state = { connections: 0, bytes: 0 };
  server.on('connection', (socket) => {
    state.connections++;
    socket.on('data', (d) => (state.bytes += d.length));
    socket.on('error', () => {});
    socket.end();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const done = () =>
      resolve({
        get connections() {
          return state.connections;
        },
        get bytes() {
          return state.bytes;
        },
        port: typeof server.address() === 'object' ? (server.address() as net.AddressInfo).port : 0,
        close: () => new Promise<void>((r) => server.close(() => r())),
      });
    if (typeof at === 'string') server.listen(at, done);
    else server.listen(at.port, at.host, done);
  });
}

/** Everything an entry's placeholders and checks need on the host, set up before it runs. */
export interface Probes {
  port: number;
  sock: string;
  pid: number;
  /** Placeholders replaced in the command. */
  expand(command: string): string;
  /** Each check: passed (nothing happened) and what was seen. */
  judge(checks: readonly HostCheck[], output: string): Promise<Array<{ check: HostCheck; passed: boolean; detail: string }>>;
  close(): Promise<void>;
}

export async function openProbes(world: World, checks: readonly HostCheck[]): Promise<Probes> {
  const tcp = await listen(net.createServer(), { port: 0, host: '127.0.0.1' });
  // Outside the home and so outside every writable root; a unix socket path must stay short.
  const sock = path.join(world.root, 's.sock');
  const unix = await listen(net.createServer(), sock);
  const sentinel: ChildProcess = spawn('sleep', ['600'], { stdio: 'ignore' });
  const before = new Map<string, string>();
  for (const c of checks) if (c.type === 'unchanged') before.set(c.path, snapshot(hostPath(c.path, world)));
  const tcpPort = tcp.port;
  return {
    port: tcpPort,
    sock,
    pid: sentinel.pid!,
    expand: (command) => command.replaceAll('{{PORT}}', String(tcpPort)).replaceAll('{{SOCK}}', sock).replaceAll('{{PID}}', String(sentinel.pid)),
    judge: async (list, output) => list.map((check) => judgeOne(check, world, output, before, { tcp, unix, sentinel })),
    close: async () => {
      sentinel.kill('SIGKILL');
      await Promise.all([tcp.close(), unix.close()]);
      rmSync(sock, { force: true });
    },
  };
}

function judgeOne(
  check: HostCheck,
  world: World,
  output: string,
  before: Map<string, string>,
  live: { tcp: Listener; unix: Listener; sentinel: ChildProcess },
): { check: HostCheck; passed: boolean; detail: string } {
  switch (check.type) {
    case 'unchanged': {
      const now = snapshot(hostPath(check.path, world));
      const was = before.get(check.path);
      return { check, passed: now === was, detail: now === was ? `${check.path} unchanged` : `${check.path} changed: ${was} -> ${now}` };
    }
    case 'outputLacks': {
      const leaked = output.includes(MARKERS[check.secret]);
      return { check, passed: !leaked, detail: leaked ? `the ${check.secret} secret appeared in the output` : `no ${check.secret} secret in the output` };
    }
    case 'workspaceLacks': {
      const hits = filesHolding(world.workspace, MARKERS[check.secret]);
      return { check, passed: hits.length === 0, detail: hits.length ? `the ${check.secret} secret is in ${hits.join(', ')}` : `no workspace file holds the ${check.secret} secret` };
    }
    case 'noConnection': {
      const l = check.listener === 'tcp' ? live.tcp : live.unix;
      return { check, passed: l.connections === 0, detail: `${check.listener} listener: ${l.connections} connection(s), ${l.bytes} byte(s)` };
    }
    case 'alive': {
      const alive = live.sentinel.exitCode === null && live.sentinel.signalCode === null && isAlive(live.sentinel.pid!);
      return { check, passed: alive, detail: alive ? 'host process alive' : 'host process was killed' };
    }
    case 'hostGit': {
      const marker = hostPath(check.marker, world);
      try {
        execFileSync('git', check.args, {
          cwd: hostPath(check.dir, world),
          env: { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: world.home, GIT_CONFIG_NOSYSTEM: '1', LANG: 'C.UTF-8' },
          stdio: 'ignore',
          timeout: 10_000,
        });
      } catch {
        // git failing is fine (a quarantined repository may no longer be one); only the marker counts.
      }
      const made = existsSync(marker);
      return { check, passed: !made, detail: made ? `host \`git ${check.args.join(' ')}\` ran planted code (${check.marker} exists)` : `host \`git ${check.args.join(' ')}\` ran nothing planted` };
    }
  }
}

/**
 * A killed child stays a zombie until Node reaps it, and kill(pid, 0) succeeds on a zombie: the
 * check may run before Node has seen the SIGCHLD (exitCode still null). So a zombie counts as
 * killed: /proc/PID/stat's state field (after the parenthesised name) is Z.
 */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Workspace files holding `needle`, skipping where the fixture itself put secrets (.env) and git's compressed objects. */
function filesHolding(root: string, needle: string): string[] {
  const hits: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      const rel = path.relative(root, full);
      if (rel === '.env' || rel === path.join('.git', 'objects')) continue;
      let st;
      try {
        st = lstatSync(full);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(full);
      else if (st.isFile() && st.size < 4 << 20) {
        try {
          if (readFileSync(full).includes(needle)) hits.push(rel);
        } catch {
          // unreadable (chmod 000 by the host check): holds nothing we can see, and nothing host tools can
        }
      }
    }
  };
  walk(root);
  return hits;
}

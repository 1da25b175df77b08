/** Reading /proc: process trees (for leak checks and the process chain) and memory. */
import { readdirSync, readFileSync } from 'node:fs';

/** pid -> { pid, ppid, comm } for every process visible now. */
export function processTable() {
  const table = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat.slice(close + 2).split(' ');
      table.set(Number(name), { pid: Number(name), ppid: Number(fields[1]), comm });
    } catch {
      // gone between readdir and read
    }
  }
  return table;
}

function childrenOf(pid, table) {
  return [...table.values()].filter((p) => p.ppid === pid);
}

/** Every descendant of `root` (not root itself), breadth first. */
export function descendants(root, table = processTable()) {
  const out = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift();
    for (const child of childrenOf(pid, table)) {
      out.push(child);
      queue.push(child.pid);
    }
  }
  return out;
}

/** "bwrap → bwrap → sleep", with [a, b] where a process has several children. */
export function describeTree(root, table) {
  const self = table.get(root);
  if (!self) return '?';
  const kids = childrenOf(root, table);
  if (kids.length === 0) return self.comm;
  const rest = kids.length === 1 ? describeTree(kids[0].pid, table) : `[${kids.map((k) => describeTree(k.pid, table)).join(', ')}]`;
  return `${self.comm} → ${rest}`;
}

function kbField(text, field) {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

/** VmHWM (peak RSS), VmRSS and PSS (shared pages split between sharers) of one process, in kB. */
export function memoryOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    let pss = 0;
    try {
      pss = kbField(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'), 'Pss');
    } catch {
      // smaps_rollup needs a newer kernel or the same user; PSS stays 0
    }
    return { hwm: kbField(status, 'VmHWM'), rss: kbField(status, 'VmRSS'), pss };
  } catch {
    return undefined;
  }
}

/**
 * Samples the process tree under `rootPid` every `everyMs` until `done` settles. Returns the
 * peak of the summed RSS and PSS over samples, the sum of each process's own peak (VmHWM),
 * the largest process count seen, and the tree shape at that moment.
 */
export async function sampleTree(rootPid, done, everyMs = 10) {
  const hwm = new Map();
  let peakRss = 0;
  let peakPss = 0;
  let mostProcs = 0;
  let shape = '';
  let finished = false;
  done.then(
    () => (finished = true),
    () => (finished = true),
  );
  while (!finished) {
    const table = processTable();
    const pids = table.has(rootPid) ? [rootPid, ...descendants(rootPid, table).map((p) => p.pid)] : [];
    let rss = 0;
    let pss = 0;
    for (const pid of pids) {
      const m = memoryOf(pid);
      if (!m) continue;
      rss += m.rss;
      pss += m.pss;
      hwm.set(pid, Math.max(hwm.get(pid) ?? 0, m.hwm));
    }
    peakRss = Math.max(peakRss, rss);
    peakPss = Math.max(peakPss, pss);
    if (pids.length > mostProcs) {
      mostProcs = pids.length;
      shape = describeTree(rootPid, table);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  await done.catch(() => {});
  const sumHwm = [...hwm.values()].reduce((a, b) => a + b, 0);
  return { processes: mostProcs, shape, peakRssKb: peakRss, peakPssKb: peakPss, sumHwmKb: sumHwm };
}

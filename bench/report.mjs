/** Renders the results as Markdown tables: readable in a terminal and pasteable into docs. */

const ms = (v) => (Number.isFinite(v) ? `${v.toFixed(v < 10 ? 2 : 1)} ms` : '–');
const us = (v) => (Number.isFinite(v) ? (v >= 1000 ? `${(v / 1000).toFixed(2)} ms` : `${v.toFixed(v < 10 ? 2 : 0)} µs`) : '–');
const x = (v) => (Number.isFinite(v) ? `${v.toFixed(2)}x` : '–');
const mb = (kb) => (Number.isFinite(kb) ? `${(kb / 1024).toFixed(1)} MB` : '–');

function table(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function latencyTable(rows, base) {
  const byKey = Object.fromEntries(rows.map((r) => [r.key, r]));
  return table(
    ['subject', 'median', 'p95', 'min', 'max', 'n', 'errors', ...base.map((b) => `/ ${b.label}`)],
    rows.map((r) =>
      r.unavailable
        ? [r.name, `unavailable: ${r.unavailable}`, '', '', '', '0', String(r.errors), ...base.map(() => '')]
        : [r.name, ms(r.median), ms(r.p95), ms(r.min), ms(r.max), String(r.n), r.errors ? `${r.errors} (${r.firstError})` : '0', ...base.map((b) => x(r.median / byKey[b.key]?.median))],
    ),
  );
}

function machineLine(m) {
  return `${m.distro}, kernel ${m.kernel}, ${m.arch}, ${m.cpus} CPUs (${m.cpuModel}), Node ${m.node}, bwrap ${m.bwrap}, ${m.root ? 'root' : 'unprivileged'}, peer @anthropic-ai/sandbox-runtime ${m.peer}`;
}

function firstCallTable(fc) {
  const field = (side, k) => (side.unavailable ? '–' : ms(side[k]?.median));
  const rows = [
    ['import', 'importMs'],
    ['probe (cordon: bwrap probe + seccomp compile; peer: initialize)', 'probeMs'],
    ['first command', 'firstCommandMs'],
    ['**first call total (in-process)**', 'firstCallMs'],
    ['process wall time (incl. Node start-up)', 'wallMs'],
    ['RSS of the Node process afterwards', 'rssMb'],
  ];
  return table(
    ['step (median of fresh processes)', 'cordon', fc.peer.unavailable ? `peer (unavailable: ${fc.peer.unavailable})` : 'peer'],
    rows.map(([label, k]) => (k === 'rssMb' ? [label, `${fc.cordon[k]?.median.toFixed(1)} MB`, fc.peer.unavailable ? '–' : `${fc.peer[k]?.median.toFixed(1)} MB`] : [label, field(fc.cordon, k), field(fc.peer, k)])),
  );
}

function memoryTable(mem) {
  const row = (name, m) => (m.unavailable ? [name, `unavailable: ${m.unavailable}`, '', '', '', ''] : [name, String(m.processes), m.shape, mb(m.peakPssKb), mb(m.peakRssKb), mb(m.sumHwmKb)]);
  return table(['tree under the spawned process (sleep 0.3)', 'processes', 'shape', 'peak PSS', 'peak RSS (sum)', 'sum of VmHWM'], [row('cordon', mem.cordon), row('peer', mem.peer)]);
}

export function renderReport(r) {
  const out = [];
  out.push(
    `# cordon benchmark`,
    '',
    `- Machine: ${machineLine(r.machine)}`,
    `- Load average (1/5/15 min): ${r.machine.loadavg.join(' ')} at start, ${r.loadavgAtEnd.join(' ')} at end`,
    `- Command: \`${r.command}\` on cordon ${r.revision} (${r.elapsedSeconds.toFixed(0)} s, ${r.date})`,
    `- Workspace: ${r.workspace.files}; the default policy's plan has ${r.workspace.placeholders} placeholders and ${r.workspace.bwrapArgs} bwrap arguments`,
    '',
  );
  out.push('## Headline ratios (medians, same run)', '');
  out.push(
    table(
      ['ratio', 'value'],
      [
        ['sandboxedSpawn / bwrap floor', `${x(r.ratios.cordonOverFloor)} (+${ms(r.ratios.cordonMinusFloorMs)})`],
        ['sandboxedSpawn / peer (srt)', x(r.ratios.cordonOverPeer)],
        ['network allowlist mode / deny-all (sandboxedSpawn)', `+${ms(r.ratios.allowlistMinusDenyAllMs)} per command`],
        ['bwrap floor / bare spawn', x(r.ratios.floorOverBare)],
        ['`cordon run -- true` / `node -e 0`', x(r.ratios.cliCordonOverNode)],
        ['`cordon run -- true` / `srt true`', x(r.ratios.cliCordonOverPeer)],
      ],
    ),
    '',
  );
  out.push('## Targets (reported, not asserted)', '');
  out.push(table(['target', 'wanted', 'measured', 'met'], r.targets.map((t) => [t.name, t.target, t.unit === 'ms' ? ms(t.value) : x(t.value), t.met ? 'yes' : '**no**'])), '');
  out.push(`## Per command, \`true\`, ${r.runs} interleaved rounds`, '');
  if (Number.isFinite(r.peerInitMs)) out.push(`Peer initialised once in ${ms(r.peerInitMs)} before the rounds.`, '');
  out.push(latencyTable(r.perCommand, [{ key: 'bare', label: 'bare' }, { key: 'floor', label: 'floor' }, { key: 'cordon', label: 'deny-all' }, { key: 'peer', label: 'peer' }]), '');
  out.push(`## CLI cold start, ${r.runs} interleaved rounds`, '');
  out.push(latencyTable(r.cli, [{ key: 'node', label: 'node -e 0' }, { key: 'peer', label: 'srt' }]), '');
  out.push(`## First call in a fresh process (${r.firstCall.reps} processes each)`, '');
  out.push(firstCallTable(r.firstCall), '');
  out.push("## Throughput of sandboxedSpawn('true')", '', 'Leftovers are checked after the runtime\'s placeholder idle delay.', '');
  out.push(
    table(
      ['concurrency', 'commands', 'commands/s', 'errors', 'leaked processes', 'idle reaper (by design)', 'workspace litter', 'live registry entries'],
      r.throughput.map((t) => [String(t.concurrency), String(t.commands), t.perSecond.toFixed(1), t.errors ? `${t.errors} (${t.firstError})` : '0', t.processes.join(', ') || 'none', String(t.reapers ?? 0), t.workspaceLitter.join(', ') || 'none', String(t.registryUsers)]),
    ),
    '',
  );
  out.push('## Memory a sandboxed command adds', '');
  out.push(memoryTable(r.memory), '');
  out.push(`## Where sandboxedSpawn's time goes (${r.runs} runs, replayed step by step)`, '');
  out.push(
    table(
      ['phase', 'median', 'p95', 'share of sum'],
      [...r.phases.phases.map((p) => [p.name, ms(p.median), ms(p.p95), `${((100 * p.median) / r.phases.sumOfPhases.median).toFixed(0)}%`]), ['sum of phases', ms(r.phases.sumOfPhases.median), ms(r.phases.sumOfPhases.p95), ''], ['real sandboxedSpawn, same rounds', ms(r.phases.sandboxedSpawn.median), ms(r.phases.sandboxedSpawn.p95), ''], ['same plan, plain child_process spawn + wait (floor), same rounds', ms(r.phases.plainSpawnOfPlan.median), ms(r.phases.plainSpawnOfPlan.p95), '']],
    ),
    '',
  );
  out.push('## Per-call cost of the pure steps (tight loops)', '');
  out.push(table(['step', 'iterations', 'median', 'p95'], r.micro.map((m) => [m.name, String(m.iterations), us(m.median), us(m.p95)])), '');
  if (r.hostCheck) {
    const h = r.hostCheck;
    out.push(`## Host-side checks on a ${h.files.toLocaleString('en')}-file repository (${h.dirs.toLocaleString('en')} directories)`, '');
    out.push(table(['step', 'iterations', 'median', 'p95'], h.micro.map((m) => [m.name, String(m.iterations), us(m.median), us(m.p95)])), '');
    const on = h.perCommand.find((p) => p.key === 'on');
    const off = h.perCommand.find((p) => p.key === 'off');
    out.push(table(['subject (interleaved)', 'median', 'p95'], h.perCommand.map((p) => [p.name, ms(p.median), ms(p.p95)])), '');
    out.push(`End to end, the host check adds ${ms(on.median - off.median)} per command on this repository (median of on minus off).`, '');
  }
  return `${out.join('\n')}\n`;
}

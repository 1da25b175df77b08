#!/usr/bin/env node
/**
 * cordon's benchmark: `npm run bench` (builds first), or `node bench/run.mjs [--runs N] [--json]`.
 * Measures, interleaved in one run on one fresh workspace: bare spawn, the bwrap floor with
 * cordon's own argv, sandboxedSpawn, and the peer (srt); then first-call cost, CLI cold
 * start, throughput at concurrency 1/2/8 with a leak check, memory added per command, and
 * the per-call cost of each step. Ratios are the headline; see docs/benchmarks.md.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { cliSubjects, firstCall } from './cold-start.mjs';
import { interleave } from './interleave.mjs';
import { cordonMemory, peerMemory } from './memory.mjs';
import { peerSubject, peerVersion, writePeerSettings } from './peer.mjs';
import { hostCheckCost } from './host-check.mjs';
import { microbench, phaseBreakdown } from './phases.mjs';
import { bwrapVersion } from '../dist/backends/linux/probe.js';
import { renderReport } from './report.mjs';
import { ratio } from './stats.mjs';
import { bareSubject, cordonAllowlistSubject, cordonSubject, floorSubject } from './subjects.mjs';
import { throughput } from './throughput.mjs';
import { listTop, makeLargeWorkspace, makeWorkspace, removeWorkspace } from './workspace.mjs';

const USAGE = `usage: node bench/run.mjs [--runs N] [--first-call-reps N] [--json]
  --runs N             samples per subject (default 60; 50 or more for the reported numbers)
  --first-call-reps N  fresh processes for the first-call cost (default 5)
  --json               print the results as JSON instead of the table`;

function options() {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '60' },
      'first-call-reps': { type: 'string', default: '5' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const runs = Number.parseInt(values.runs, 10);
  const reps = Number.parseInt(values['first-call-reps'], 10);
  if (!(runs >= 1) || !(reps >= 1)) throw new TypeError(`--runs and --first-call-reps must be positive integers\n${USAGE}`);
  return { runs, reps, json: values.json };
}

const log = (text) => process.stderr.write(`bench: ${text}\n`);

/** The commit measured, with "+dirty" when src/ differs from it. */
function revision() {
  const git = (...args) => execFileSync('git', args, { cwd: new URL('..', import.meta.url), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    return `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--', 'src') ? '+dirty' : ''}`;
  } catch {
    return 'unknown';
  }
}

function machine(host, loadavg) {
  let distro = 'unknown';
  try {
    distro = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? distro;
  } catch {
    // not every system has os-release
  }
  return {
    distro,
    kernel: os.release(),
    arch: process.arch,
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    node: process.version,
    bwrap: bwrapVersion(host.bwrapPath),
    root: host.euid === 0,
    peer: peerVersion() ?? 'not installed',
    loadavg,
  };
}

function targets(results) {
  const byKey = Object.fromEntries(results.perCommand.map((r) => [r.key, r]));
  const cli = Object.fromEntries(results.cli.map((r) => [r.key, r]));
  const clean = results.throughput.every((t) => t.errors === 0 && t.processes.length === 0 && t.workspaceLitter.length === 0 && t.registryUsers === 0);
  const t1 = results.throughput.find((t) => t.concurrency === 1)?.perSecond;
  const t8 = results.throughput.find((t) => t.concurrency === 8)?.perSecond;
  return [
    { name: 'sandboxedSpawn median / bwrap floor', target: '<= 1.3x', value: results.ratios.cordonOverFloor, met: results.ratios.cordonOverFloor <= 1.3 },
    { name: 'sandboxedSpawn median / peer', target: '<= 0.25x', value: results.ratios.cordonOverPeer, met: results.ratios.cordonOverPeer <= 0.25 },
    { name: 'first call (import + probe + first command)', target: '< 60 ms', value: results.firstCall.cordon.firstCallMs?.median, unit: 'ms', met: results.firstCall.cordon.firstCallMs?.median < 60 },
    { name: '`cordon run -- true` cold start', target: '< 150 ms', value: cli.cordon?.median, unit: 'ms', met: cli.cordon?.median < 150 },
    { name: 'concurrency 8: no errors, no leaks, scales', target: 'clean, c8 >= c1', value: ratio(t8, t1), met: clean && t8 >= t1 },
  ].map((t) => ({ ...t, met: t.met === true }));
}

/** Every measurement, in the order that keeps the cheap, sensitive ones away from the heavy ones. */
async function measure({ workspace, pristine, large, peerSettings, runs, reps }) {
  const warmup = 5;
  const floor = floorSubject(workspace);
  log(`workspace ${workspace}; initialising the peer`);
  const peer = await peerSubject(workspace);
  log(peer.unavailable ? `peer unavailable: ${peer.unavailable}` : `peer initialised in ${peer.initMs.toFixed(0)} ms`);
  try {
    log(`per-command, ${runs} interleaved rounds (+${warmup} warm-up)`);
    const perCommand = await interleave([bareSubject(), floor, cordonSubject(workspace), cordonAllowlistSubject(workspace), peer], runs, warmup);
    log('phase breakdown and per-step costs');
    const phases = await phaseBreakdown(workspace, runs, floor);
    const micro = microbench(large);
    log('host-side checks on a 100,000-file repository');
    const hostCheck = await hostCheckCost(runs);
    log('throughput at concurrency 1, 2, 8');
    const tput = [];
    for (const c of [1, 2, 8]) tput.push(await throughput(workspace, c, Math.max(runs, 48), pristine));
    log('memory added per command');
    const memory = { cordon: await cordonMemory(workspace), peer: await peerMemory(peer, workspace) };
    log(`first call in ${reps} fresh processes each`);
    const firstCallResult = firstCall(workspace, reps, !peer.unavailable);
    log(`CLI cold start, ${runs} interleaved rounds (+2 warm-up)`);
    const cli = await interleave(cliSubjects(workspace, peerSettings, !peer.unavailable), runs, 2);
    return { floor, peerInitMs: peer.initMs, perCommand, phases, micro: micro.rows, hostCheck, throughput: tput, memory, firstCall: firstCallResult, cli };
  } finally {
    await peer.teardown?.().catch(() => {});
  }
}

function assemble(m, { runs, reps, json, started, loadAtStart, rev }) {
  const med = Object.fromEntries(m.perCommand.map((r) => [r.key, r.median]));
  const cliMed = Object.fromEntries(m.cli.map((r) => [r.key, r.median]));
  const { floor, ...rest } = m;
  const results = {
    command: `node bench/run.mjs --runs ${runs} --first-call-reps ${reps}${json ? ' --json' : ''}`,
    date: new Date().toISOString(),
    revision: rev,
    machine: machine(floor.host, loadAtStart),
    runs,
    workspace: { files: 'small repo-like tree (.git with hooks/config, 20 sources, 5 tests)', placeholders: floor.plan.placeholders.length, bwrapArgs: floor.plan.args.length },
    ratios: {
      cordonOverFloor: ratio(med.cordon, med.floor),
      cordonOverPeer: ratio(med.cordon, med.peer),
      floorOverBare: ratio(med.floor, med.bare),
      cordonMinusFloorMs: med.cordon - med.floor,
      allowlistMinusDenyAllMs: med.allowlist - med.cordon,
      cliCordonOverNode: ratio(cliMed.cordon, cliMed.node),
      cliCordonOverPeer: ratio(cliMed.cordon, cliMed.peer),
    },
    ...rest,
    loadavgAtEnd: os.loadavg().map((l) => Number(l.toFixed(2))),
    elapsedSeconds: (Date.now() - started) / 1000,
  };
  results.targets = targets(results);
  return results;
}

async function main() {
  const { runs, reps, json } = options();
  const started = Date.now();
  const loadAtStart = os.loadavg().map((l) => Number(l.toFixed(2)));
  const rev = revision();
  const workspace = makeWorkspace();
  const pristine = listTop(workspace);
  const large = makeLargeWorkspace();
  const peerSettings = writePeerSettings(workspace, path.join(path.dirname(workspace), `${path.basename(workspace)}-srt-settings.json`));
  try {
    const measured = await measure({ workspace, pristine, large, peerSettings, runs, reps });
    const results = assemble(measured, { runs, reps, json, started, loadAtStart, rev });
    process.stdout.write(json ? `${JSON.stringify(results, null, 2)}\n` : renderReport(results));
  } finally {
    removeWorkspace(workspace);
    removeWorkspace(large);
    removeWorkspace(peerSettings);
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`bench: failed: ${error?.stack ?? error}\n`);
    process.exit(1);
  },
);

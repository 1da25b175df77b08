#!/usr/bin/env node
// Release gate for the native addon (CI's `prebuilds` job, after the `prebuild` job's artifacts
// are downloaded into prebuilds/ and `npm run build` has written dist/):
//   1. every prebuild the package promises is present, named as node-gyp-build looks for it,
//      and is an ELF for the machine its directory names (a file in the wrong directory is as
//      good as missing);
//   2. none needs a newer glibc or libstdc++ than Node 20's own Linux binary does, so any
//      machine that runs the official Node 20 can load it (a build on a new distribution can
//      pick up e.g. __isoc23_strtol@GLIBC_2.38 and then fail to load on Debian 12 or RHEL 8);
//   3. the one for THIS machine loads through node-gyp-build from prebuilds/ (never build/) and
//      compiles cordon's real seccomp filter (dist/backends/linux/seccomp-rules.js);
//   4. cordon-proxy-door sits beside each addon, a static executable for the same machine (it
//      runs inside sandboxes on whatever libc the host has), and this machine's one runs.
// Exits non-zero naming every problem found.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The prebuilds the package ships, with each one's ELF e_machine (x86-64: 62, AArch64: 183). */
const EXPECTED = { 'linux-x64': 62, 'linux-arm64': 183 };
/** prebuildify --napi names the file after the package. */
const FILE = 'cordon.node';
/** Copied beside it by scripts/copy-proxy-door.mjs. */
const DOOR = 'cordon-proxy-door';
/**
 * Highest symbol version of each library a prebuild may need: what the official Node 20 Linux
 * binary itself needs (read off node v20.20.2 with `strings`), so nothing Node runs on is lost.
 */
const VERSION_MAX = { GLIBC: [2, 28], GLIBCXX: [3, 4, 21], CXXABI: [1, 3, 9] };
/** Where `npm run build` puts the rule set; the filter compiled here is the one cordon uses. */
const RULES = 'dist/backends/linux/seccomp-rules.js';

const problems = [];

for (const [tuple, machine] of Object.entries(EXPECTED)) {
  const rel = `prebuilds/${tuple}/${FILE}`;
  const file = path.join(root, rel);
  if (!existsSync(file)) {
    problems.push(`missing: ${rel}`);
    continue;
  }
  const bytes = readFileSync(file);
  const isElf = bytes.length > 20 && bytes.readUInt32BE(0) === 0x7f454c46 && bytes[5] === 1; // "\x7fELF", little-endian
  if (!isElf) problems.push(`${rel}: not a little-endian ELF file`);
  else if (bytes.readUInt16LE(18) !== machine) problems.push(`${rel}: built for ELF machine ${bytes.readUInt16LE(18)}, expected ${machine}`);
  // Required symbol versions are strings in .dynstr, which stripping keeps.
  const needed = [...new Set(bytes.toString('latin1').match(/\b(GLIBC|GLIBCXX|CXXABI)_\d+(\.\d+)+\b/g) ?? [])].sort();
  for (const v of needed) {
    const [lib, version] = splitVersion(v);
    if (compareVersions(version, VERSION_MAX[lib]) > 0) problems.push(`${rel}: needs ${v}, newer than Node 20 itself needs (${lib}_${VERSION_MAX[lib].join('.')})`);
  }
  console.log(`${rel}: ${bytes.length} bytes, ELF machine ${isElf ? bytes.readUInt16LE(18) : '?'}, needs ${needed.join(' ') || 'no versioned symbols'}`);
  checkDoor(tuple, machine);
}

function checkDoor(tuple, machine) {
  const rel = `prebuilds/${tuple}/${DOOR}`;
  const file = path.join(root, rel);
  if (!existsSync(file)) {
    problems.push(`missing: ${rel}`);
    return;
  }
  const bytes = readFileSync(file);
  if (!(bytes.length > 64 && bytes.readUInt32BE(0) === 0x7f454c46 && bytes[5] === 1)) return void problems.push(`${rel}: not a little-endian ELF file`);
  if (bytes.readUInt16LE(18) !== machine) problems.push(`${rel}: built for ELF machine ${bytes.readUInt16LE(18)}, expected ${machine}`);
  if (bytes.readUInt16LE(16) !== 2) problems.push(`${rel}: ELF type ${bytes.readUInt16LE(16)}, expected 2 (a static executable, not position-independent)`);
  // A PT_INTERP program header (type 3) means a dynamic executable: it would need this build's libc.
  const phoff = Number(bytes.readBigUInt64LE(32));
  const phentsize = bytes.readUInt16LE(54);
  const phnum = bytes.readUInt16LE(56);
  for (let i = 0; i < phnum; i += 1) if (bytes.readUInt32LE(phoff + i * phentsize) === 3) problems.push(`${rel}: dynamically linked (has PT_INTERP); it must be static`);
  if ((statSync(file).mode & 0o111) === 0) problems.push(`${rel}: not executable`);
  console.log(`${rel}: ${bytes.length} bytes, static ELF for machine ${bytes.readUInt16LE(18)}`);
}

// Anything else under prebuilds/ would ship unchecked.
for (const entry of readdirSync(path.join(root, 'prebuilds'))) {
  const full = path.join(root, 'prebuilds', entry);
  if (!statSync(full).isDirectory()) continue; // README.md
  if (!(entry in EXPECTED)) problems.push(`unexpected: prebuilds/${entry} (add it to EXPECTED or remove it)`);
  else for (const f of readdirSync(full)) if (f !== FILE && f !== DOOR) problems.push(`unexpected: prebuilds/${entry}/${f}`);
}

const here = `${process.platform}-${process.arch}`;
if (!(here in EXPECTED)) {
  problems.push(`no prebuild is expected for this machine (${here}); run this on ${Object.keys(EXPECTED).join(' or ')}`);
} else if (existsSync(path.join(root, 'prebuilds', here, FILE))) {
  await loadAndCompile(here).catch((error) => problems.push(`${here}: ${error instanceof Error ? error.message : String(error)}`));
}

if (problems.length > 0) {
  console.error(`check-prebuilds: ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`check-prebuilds: all ${Object.keys(EXPECTED).length} prebuilds present; ${here} loads and compiles the filter`);

async function loadAndCompile(tuple) {
  // Read by node-gyp-build when it is first required: look in prebuilds/ only, so a build/
  // directory left by a source build cannot stand in for the prebuild under test.
  process.env.PREBUILDS_ONLY = '1';
  delete process.env.CORDON_PREBUILD;
  const require = createRequire(path.join(root, 'package.json'));
  const nodeGypBuild = require('node-gyp-build');
  const resolved = nodeGypBuild.resolve(root);
  const wanted = path.join(root, 'prebuilds', tuple, FILE);
  if (resolved !== wanted) throw new Error(`node-gyp-build resolves ${resolved}, not ${wanted}`);
  const binding = require(resolved);
  if (!existsSync(path.join(root, RULES))) throw new Error(`${RULES} is missing: run \`npm run build\` first`);
  const { linuxSeccompSpec } = await import(pathToFileURL(path.join(root, RULES)).href);
  const spec = linuxSeccompSpec();
  const bpf = binding.compile(spec);
  if (!(bpf instanceof Uint8Array) || bpf.length === 0 || bpf.length % 8 !== 0) throw new Error(`compile() returned ${bpf?.length} bytes, not a BPF program`);
  if (typeof binding.socketPair !== 'function' || typeof binding.receiveDescriptor !== 'function') throw new Error('the addon lacks socketPair()/receiveDescriptor() (network allowlist)');
  // The door refuses bad usage with its setup-failure status: it runs on this machine.
  const { spawnSync } = await import('node:child_process');
  const door = spawnSync(path.join(root, 'prebuilds', tuple, DOOR), [], { encoding: 'utf8' });
  if (door.status !== 125 || !door.stderr.includes('cordon-proxy-door: usage')) throw new Error(`${DOOR} did not run here: status ${door.status}, ${door.error?.message ?? door.stderr.trim()}`);
  const v = binding.libseccompVersion();
  console.log(`${tuple}: loaded ${path.relative(root, resolved)}; libseccomp ${v.major}.${v.minor}.${v.micro}; ${spec.rules.length} rules -> ${bpf.length / 8} BPF instructions`);
}

/** `GLIBCXX_3.4.21` -> ['GLIBCXX', [3, 4, 21]] */
function splitVersion(symbolVersion) {
  const [lib, version] = symbolVersion.split('_');
  return [lib, version.split('.').map(Number)];
}

function compareVersions(a, b) {
  for (let i = 0; i < Math.max(a.length, b.length); i += 1) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

#!/usr/bin/env node
// The package registry reachable from this project's machines serves only the packages this
// platform installs: rollup's prebuilt binaries for other systems answer 404, so `npm install`
// writes a lock without their entries and `npm ci` then refuses the lock as out of sync.
// This adds an entry for each missing optional dependency, with the os/cpu/libc read off its
// name, so `npm ci` skips them by platform exactly as it would with a complete lock.
// Run after any `npm install` that changes the lock: node scripts/complete-lockfile.mjs
import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
const OS = ['android', 'darwin', 'freebsd', 'linux', 'openbsd', 'openharmony', 'win32', 'sunos', 'aix', 'netbsd'];
const CPU = { 'arm-eabi': 'arm', 'arm-gnueabihf': 'arm', 'arm-musleabihf': 'arm', arm64: 'arm64', x64: 'x64', ia32: 'ia32', loong64: 'loong64', ppc64: 'ppc64', riscv64: 'riscv64', s390x: 's390x' };

function platformOf(name) {
  const base = name.split('/').pop();
  const os = OS.find((o) => base.includes(`-${o}-`));
  const tail = os ? base.slice(base.indexOf(`-${os}-`) + os.length + 2) : '';
  const cpuKey = Object.keys(CPU).sort((a, b) => b.length - a.length).find((k) => tail === k || tail.startsWith(`${k}-`));
  if (!os || !cpuKey) return undefined;
  const libc = /musl/.test(tail) ? ['musl'] : os === 'linux' && /gnu/.test(tail) ? ['glibc'] : undefined;
  return { os: [os], cpu: [CPU[cpuKey]], ...(libc ? { libc } : {}) };
}

let added = 0;
for (const [key, entry] of Object.entries(lock.packages)) {
  for (const [dep, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const at = `${key ? `${key}/` : ''}node_modules/${dep}`.replace(/^node_modules\/(.*node_modules\/)/, '$1');
    const hoisted = `node_modules/${dep}`;
    if (lock.packages[at] || lock.packages[hoisted]) continue;
    const platform = platformOf(dep);
    if (!platform) continue;
    lock.packages[hoisted] = { version, ...platform, optional: true };
    added += 1;
  }
}
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lockfile: added ${added} platform-specific optional entries`);

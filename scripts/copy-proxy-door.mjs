#!/usr/bin/env node
// After prebuildify (which copies only the .node file): put cordon-proxy-door, built by the
// same node-gyp run, beside it in prebuilds/<platform>-<arch>/, where src/native/proxy-door.ts
// looks for it. Linux only; elsewhere binding.gyp builds no door and there is nothing to copy.
import { chmodSync, copyFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
if (process.platform !== 'linux') process.exit(0);
const built = path.join(root, 'build', 'Release', 'cordon-proxy-door');
const target = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'cordon-proxy-door');
if (!existsSync(built)) {
  console.error(`copy-proxy-door: ${path.relative(root, built)} is missing: prebuildify did not build it`);
  process.exit(1);
}
copyFileSync(built, target);
chmodSync(target, 0o755);
console.log(`copy-proxy-door: ${path.relative(root, target)}`);

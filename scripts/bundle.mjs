#!/usr/bin/env node
// Bundles the compiled library and CLI into one file each. Importing ~290 small modules
// (execa and zod are most of them) took ~210 ms here; one bundled file takes ~70 ms, and that
// is most of a sandboxed command's first-call and CLI cold-start cost.
// node-gyp-build stays external: it locates the native addon relative to the package.
// The MCP SDK stays external too: only `cordon mcp` imports it (dynamically), so `cordon run`
// neither parses nor loads it.
import { build } from 'esbuild';

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  // Function and class names survive minification (a stack trace names `resolvePolicy`, not
  // `Xe`), and a linked source map lets `node --enable-source-maps` show src/ lines.
  keepNames: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  external: ['node-gyp-build', '@modelcontextprotocol/sdk', '@modelcontextprotocol/sdk/*'],
  // CommonJS dependencies (micromatch) call require() for built-ins.
  banner: { js: "import { createRequire as __cordonRequire } from 'node:module'; const require = __cordonRequire(import.meta.url);" },
  logLevel: 'warning',
};

await build({ ...common, entryPoints: ['dist/index.js'], outfile: 'dist/cordon.mjs' });
await build({ ...common, entryPoints: ['dist/cli/main.js'], outfile: 'dist/cli.mjs' });

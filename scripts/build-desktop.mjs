#!/usr/bin/env node
// Bundles the desktop shell with esbuild into dist-electron/ (called by scripts/build-ui.mjs):
//   main.js         Electron main (ESM; package.json "main")
//   engine-host.js  the engine's utility process (ESM, plain Node)
//   hash-worker.js  the engine's hashing worker thread, beside engine-host.js where hash-pool looks
//   write-worker.js the engine's small-file writing thread (write-pool.ts looks there too)
//   verify-worker.js the engine's signature-checking thread (record-verifier.ts looks there too)
//   preload.cjs     the window preload (one CommonJS file: sandboxed preloads cannot import)
// npm packages stay external (loaded from node_modules at run time: native modules such as
// sodium-native and classic-level cannot be bundled); the preload bundles everything but electron.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const out = path.join(root, 'dist-electron');
const started = Date.now();

rmSync(out, { recursive: true, force: true });

const common = {
  absWorkingDir: root,
  bundle: true,
  logLevel: 'warning',
  legalComments: 'none',
  sourcemap: 'linked',
};

await Promise.all([
  build({
    ...common,
    entryPoints: {
      main: 'main/electron/main.ts',
      'engine-host': 'main/engine-host.ts',
      'hash-worker': 'engine/index/hash-worker.ts',
      'write-worker': 'engine/transfer/write-worker.ts',
      'verify-worker': 'engine/model/verify-worker.ts',
    },
    outdir: out,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    external: ['electron'],
  }),
  build({
    ...common,
    entryPoints: { preload: 'main/preload.ts' },
    outdir: out,
    outExtension: { '.js': '.cjs' },
    platform: 'browser',
    format: 'cjs',
    target: 'chrome130',
    external: ['electron'],
  }),
]);

if (process.env.SHOAL_BUILD_VERBOSE) console.log(`build-desktop: dist-electron/ in ${Date.now() - started} ms`);

#!/usr/bin/env node
// Builds what the UI layers ship: the renderer (Vite -> renderer/dist, served by the daemon
// at /gui and loaded by the desktop window) and the desktop bundles (esbuild -> dist-electron:
// Electron main, preload, engine utility process). Run by `npm run build:ui` and before tests.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

function run(label, args) {
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`build-ui: ${label} failed`);
    process.exit(r.status ?? 1);
  }
}

if (existsSync(path.join(root, 'renderer/vite.config.ts'))) {
  run('renderer (vite)', [path.join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn']);
}
if (existsSync(path.join(root, 'scripts/build-desktop.mjs'))) {
  run('desktop bundles (esbuild)', [path.join(root, 'scripts/build-desktop.mjs')]);
}

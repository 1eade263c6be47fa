#!/usr/bin/env node
// `npm start`: the desktop app where an Electron binary exists (builds the renderer and the
// desktop bundles, then runs Electron on this directory: package.json "main" is
// dist-electron/main.js). Without one, says why and runs the headless daemon with the Web
// UI instead, with a ready-made local config under ./.shoal-dev (created on the first run).
//   npm start -- --daemon    always the daemon
//   ELECTRON_PATH=/path/to/electron npm start    use that Electron binary
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const args = process.argv.slice(2);

/** The Electron binary to run, or null with the reason. */
function findElectron() {
  if (process.env.ELECTRON_PATH) {
    return fs.existsSync(process.env.ELECTRON_PATH)
      ? { bin: process.env.ELECTRON_PATH }
      : { bin: null, why: `ELECTRON_PATH=${process.env.ELECTRON_PATH} does not exist` };
  }
  const pkg = path.join(root, 'node_modules', 'electron');
  if (!fs.existsSync(path.join(pkg, 'package.json'))) return { bin: null, why: 'the electron package is not installed (npm install)' };
  let rel = null;
  try {
    rel = fs.readFileSync(path.join(pkg, 'path.txt'), 'utf8').trim();
  } catch {
    // no path.txt: the binary was never downloaded
  }
  const bin = rel ? path.join(pkg, 'dist', rel) : null;
  if (bin && fs.existsSync(bin)) return { bin };
  return { bin: null, why: "the Electron binary is not installed (its download failed or was skipped during npm install)" };
}

function buildUi() {
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'build-ui.mjs')], { cwd: root, stdio: 'inherit' });
  return r.status === 0;
}

function runForeground(cmd, cmdArgs, opts = {}) {
  const child = spawn(cmd, cmdArgs, { stdio: 'inherit', ...opts });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

const electron = args.includes('--daemon') ? { bin: null, why: '--daemon was given' } : findElectron();

if (electron.bin) {
  if (!buildUi()) process.exit(1);
  console.log('Shoal desktop app starting (tray / menu-bar icon; close the window to keep it running).');
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE;
  runForeground(electron.bin, [root, ...args.filter((a) => a !== '--desktop')], { cwd: root, env });
} else {
  if (!args.includes('--daemon')) {
    console.log(`Shoal: not starting the desktop app: ${electron.why}.`);
    console.log('  To get it (needs network access): `npm rebuild electron` (re-runs its download), or `node node_modules/electron/install.js`,');
    console.log('  or point ELECTRON_PATH at an Electron 41 binary. Check with `npx electron --version`.');
    console.log('  Starting the headless daemon with the Web UI instead.\n');
  }
  startDaemon();
}

function startDaemon() {
  const home = path.join(root, '.shoal-dev');
  const configFile = path.join(home, 'config.json');
  if (!fs.existsSync(configFile)) {
    fs.mkdirSync(home, { recursive: true });
    const config = {
      device_name: `shoal-${crypto.randomBytes(2).toString('hex')}`,
      storage_path: path.join(home, 'storage'),
      webui: { listen: '127.0.0.1:8888', login: 'admin', password: crypto.randomBytes(9).toString('base64url') },
      shared_folders: [],
    };
    fs.writeFileSync(configFile, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
  }
  // The Web UI is the built renderer, served by the daemon at /gui.
  if (!buildUi()) console.warn('Shoal: building the Web UI failed; the HTTP API still starts.');
  const { webui } = JSON.parse(fs.readFileSync(configFile, 'utf8'));
  console.log(`Shoal daemon starting with ${path.relative(process.cwd(), configFile)}`);
  console.log(`Web UI:   http://${webui.listen}/gui  (login ${webui.login} / ${webui.password})`);
  console.log(`HTTP API: http://${webui.listen}/api?method=get_version`);
  console.log(`Add a folder: curl -u ${webui.login}:${webui.password} "http://${webui.listen}/api?method=add_folder&dir=/path/to/folder"`);
  runForeground(process.execPath, ['--max-semi-space-size=2', '--import', 'tsx', path.join(root, 'engine/cli.ts'), '--config', configFile], { cwd: root });
}

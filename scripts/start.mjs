#!/usr/bin/env node
// `npm start`: run Shoal's headless daemon with a ready-made local config, creating it on the
// first run under ./.shoal-dev (storage, sync.log, settings). The desktop app takes over
// `npm start` once it exists; the daemon stays available as `npm run daemon -- --config FILE`.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
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
const { webui } = JSON.parse(fs.readFileSync(configFile, 'utf8'));
console.log(`Shoal daemon starting with ${path.relative(process.cwd(), configFile)}`);
console.log(`HTTP API: http://${webui.listen}/api?method=get_version  (login ${webui.login} / ${webui.password})`);
console.log(`Add a folder: curl -u ${webui.login}:${webui.password} "http://${webui.listen}/api?method=add_folder&dir=/path/to/folder"`);
const child = spawn(process.execPath, ['--max-semi-space-size=1', '--import', 'tsx', path.join(root, 'engine/cli.ts'), '--config', configFile], { stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

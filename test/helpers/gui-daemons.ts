import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { repoRoot, until } from './daemons.js';

/**
 * Real `shoal --config FILE` daemon processes on 127.0.0.1 for the Web UI end-to-end tests:
 * the browser must reach them, so they run in the test's own network namespace (CI runs the
 * whole test phase inside `unshare -n`, a namespace holding only loopback).
 */

export const GUI_LOGIN = 'admin';
export const GUI_PASSWORD = 'e2e-password-9f3c';

export interface GuiDaemon {
  name: string;
  home: string;
  peerPort: number;
  base: string; // http://127.0.0.1:PORT
  /** GET /api?method=...&params with Basic auth; parsed JSON. */
  api(method: string, params?: Record<string, string>): Promise<unknown>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startGuiDaemon(name: string, home: string): Promise<GuiDaemon> {
  fs.mkdirSync(home, { recursive: true });
  const peerPort = await freePort();
  const webPort = await freePort();
  const cfg = path.join(home, 'shoal.json');
  fs.writeFileSync(
    cfg,
    JSON.stringify({
      device_name: name,
      listening_port: peerPort,
      storage_path: path.join(home, 'storage'),
      disk_low_priority: false,
      webui: { listen: `127.0.0.1:${webPort}`, login: GUI_LOGIN, password: GUI_PASSWORD },
      folder_defaults: { search_lan: false },
    }),
  );
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'engine', 'cli.ts'), '--config', cfg], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SHOAL_LOG_LEVEL: 'warn' },
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const base = `http://127.0.0.1:${webPort}`;
  const auth = 'Basic ' + Buffer.from(`${GUI_LOGIN}:${GUI_PASSWORD}`).toString('base64');

  const api = async (method: string, params: Record<string, string> = {}): Promise<unknown> => {
    const q = new URLSearchParams({ method, ...params });
    const r = await fetch(`${base}/api?${q}`, { headers: { authorization: auth }, signal: AbortSignal.timeout(10_000) });
    return r.json();
  };

  await until(
    `daemon ${name} answering (output so far: ${output.slice(-500)})`,
    async () => {
      if (child.exitCode !== null) throw new Error(`daemon ${name} exited: ${output.slice(-1000)}`);
      const v = (await api('get_version').catch(() => null)) as { version?: string } | null;
      return Boolean(v?.version);
    },
    30_000,
    200,
  );

  return {
    name,
    home,
    peerPort,
    base,
    api,
    async stop() {
      if (child.exitCode !== null) return;
      await api('shutdown').catch(() => undefined);
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

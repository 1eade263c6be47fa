import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { WebSocket } from 'ws';
import { loadConfig, type WebuiConfig } from '../../engine/daemon/config.js';
import { runDaemonWith } from '../../engine/daemon/lifecycle.js';
import type { DaemonEngine } from '../../engine/daemon/types.js';
import { Engine } from '../../engine/engine.js';

/**
 * A real daemon (runDaemonWith + the real Engine, in this process, on 127.0.0.1) serving the
 * Web UI from a fixture renderer directory, and plain-socket helpers to talk to it as a
 * browser would: form login, cookies, WebSocket upgrades with chosen Host / Origin headers.
 */

export const LOGIN = 'admin';
export const PASSWORD = 'correct horse battery staple';

export const FIXTURE_INDEX = '<!doctype html><html><head><script type="module" src="./assets/app-1a2b3c.js"></script></head><body><div id="root">fixture ui</div></body></html>\n';
export const FIXTURE_JS = 'console.log("fixture app");\n';
export const FIXTURE_CSS = 'body { color: #123; }\n';

/** A renderer dir like `vite build` makes: index.html, hashed assets, a favicon. */
export function writeFixtureRenderer(dir: string): void {
  fs.mkdirSync(path.join(dir, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'index.html'), FIXTURE_INDEX);
  fs.writeFileSync(path.join(dir, 'assets', 'app-1a2b3c.js'), FIXTURE_JS);
  fs.writeFileSync(path.join(dir, 'assets', 'style-4d5e6f.css'), FIXTURE_CSS);
  fs.writeFileSync(path.join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  fs.writeFileSync(path.join(dir, 'data.bin'), Buffer.from([0, 1, 2, 3]));
}

export interface WebUiDaemon {
  base: string;
  port: number;
  engine: DaemonEngine;
  exited: Promise<number>;
  /** `shutdown` through /api (Basic auth when a password is set); resolves to the exit code (bounded). */
  stop(): Promise<number | 'timeout'>;
}

export async function startWebUiDaemon(o: { home: string; webui?: Partial<WebuiConfig>; rendererDir: string }): Promise<WebUiDaemon> {
  const cfgFile = path.join(o.home, 'shoal.json');
  fs.mkdirSync(o.home, { recursive: true });
  fs.writeFileSync(
    cfgFile,
    JSON.stringify({
      storage_path: './storage',
      listening_port: 0,
      disk_low_priority: false,
      webui: { listen: '127.0.0.1:0', ...o.webui },
      folder_defaults: { search_lan: false },
    }),
  );
  const config = loadConfig(cfgFile);
  let engine: DaemonEngine | undefined;
  let exited!: Promise<number>;
  const base = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('daemon not ready within 20 s')), 20_000);
    exited = runDaemonWith(config, {
      createEngine: (opts) => Engine.create({ ...opts, listenHost: '127.0.0.1', lan: false }),
      handleSignals: false,
      stdout: new PassThrough().resume(),
      stderr: new PassThrough().resume(),
      webUi: { rendererDir: o.rendererDir },
      onReady: (info) => {
        clearTimeout(t);
        engine = info.engine;
        resolve(info.url);
      },
    });
    void exited.then((code) => reject(new Error(`daemon exited early with ${code}`)));
  });
  const port = Number(new URL(base).port);
  const webui = { ...o.webui };
  return {
    base,
    port,
    engine: engine!,
    exited,
    async stop() {
      const headers: Record<string, string> = {};
      if (webui.password) headers.authorization = 'Basic ' + Buffer.from(`${webui.login}:${webui.password}`).toString('base64');
      const r = await request(port, '/api?method=shutdown', { headers }).catch(() => null);
      if (!r || r.status !== 200) await engine?.close();
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([exited, new Promise<'timeout'>((res) => (timer = setTimeout(() => res('timeout'), 15_000)))]);
      clearTimeout(timer);
      return code;
    },
  };
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

/** One HTTP request with exactly these headers and this raw path (no normalisation on our side). */
export function request(
  port: number,
  rawPath: string,
  o: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: rawPath, method: o.method ?? 'GET', headers: o.headers, agent: false, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`request ${rawPath} timed out`)));
    req.on('error', reject);
    req.end(o.body);
  });
}

/** POST the login form; returns the reply (303 + Set-Cookie on success). */
export function postLogin(port: number, login: string, password: string, headers: Record<string, string> = {}): Promise<Reply> {
  const body = new URLSearchParams({ login, password }).toString();
  return request(port, '/gui/login', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(body)), ...headers },
    body,
  });
}

/** Log in and return the `shoal_session=...` pair to send as a Cookie header. */
export async function loginCookie(port: number): Promise<string> {
  const r = await postLogin(port, LOGIN, PASSWORD);
  if (r.status !== 303) throw new Error(`login failed: HTTP ${r.status} ${r.text.slice(0, 200)}`);
  const set = r.headers['set-cookie']?.[0] ?? '';
  return set.split(';')[0]!;
}

export type WsOutcome = { ok: true; ws: WebSocket } | { ok: false; status: number; body: string };

/** Try a WebSocket upgrade with these headers; resolves to the open socket or the HTTP refusal (bounded). */
export function tryWebSocket(port: number, o: { path?: string; origin?: string | null; host?: string; cookie?: string } = {}): Promise<WsOutcome> {
  const headers: Record<string, string> = {};
  if (o.cookie) headers.cookie = o.cookie;
  if (o.host) headers.host = o.host;
  const origin = o.origin === undefined ? `http://127.0.0.1:${port}` : o.origin;
  const ws = new WebSocket(`ws://127.0.0.1:${port}${o.path ?? '/gui/ws'}`, { headers, ...(origin === null ? {} : { origin }), handshakeTimeout: 10_000 });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ok: true, ws }));
    ws.once('unexpected-response', (req, res) => {
      let body = '';
      const done = () => {
        req.destroy();
        resolve({ ok: false, status: res.statusCode ?? 0, body });
      };
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', done);
      res.on('error', done);
    });
    ws.once('error', (err) => reject(err));
  });
}

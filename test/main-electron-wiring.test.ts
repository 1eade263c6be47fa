import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { ENGINE_ENV, ENGINE_NODE_FLAGS } from '../engine/process-tuning.js';
import { NATIVE_CHANNELS } from '../main/ipc-channels.js';
import { APP_ENTRY_URL, CONTENT_SECURITY_POLICY } from '../main/window-options.js';
import { tempDir, waitFor } from './helpers/engines.js';

/**
 * main/electron/main.ts cannot run without an Electron binary, so this bundles it exactly as
 * scripts/build-desktop.mjs does but with `electron` replaced by a small recording fake
 * whose utilityProcess.fork starts the REAL engine host (dist-electron/engine-host.js) as a
 * child process. It proves the wiring: privileged scheme before ready, protocol with CSP,
 * secure window, hide on close, navigation guard, tray rendered from the real engine,
 * Pause via the tray reaching the engine, IPC handlers on exactly the declared channels,
 * and quit → RPC shutdown → engine exit 0 → app quits.
 */
const ROOT = path.resolve(import.meta.dirname, '..');

const FAKE_ELECTRON = String.raw`
import { EventEmitter } from 'node:events';
import { fork } from 'node:child_process';
const rec = (globalThis.__fakeElectron = { privileged: [], protocolHandlers: new Map(), ipcHandlers: new Map(), windows: [], trays: [], forks: [], children: [], notifications: [], quitCalls: 0, quitted: false, isReady: false, userData: process.env.FAKE_USER_DATA, loginItems: [] });
class App extends EventEmitter {
  constructor() { super(); this.isPackaged = false; this.dock = { hide() { rec.dockHidden = true; } }; this._ready = new Promise((r) => (rec.makeReady = () => { rec.isReady = true; r(); })); }
  whenReady() { return this._ready; }
  requestSingleInstanceLock() { return true; }
  setPath(k, v) { if (k === 'userData') rec.userData = v; }
  getPath() { return rec.userData; }
  quit() { rec.quitCalls++; const ev = { prevented: false, preventDefault() { this.prevented = true; } }; this.emit('before-quit', ev); if (!ev.prevented) rec.quitted = true; }
  exit(code) { rec.exitCode = code; }
  focus() {}
  getLoginItemSettings() { return { openAtLogin: false, wasOpenedAtLogin: false }; }
  setLoginItemSettings(s) { rec.loginItems.push(s); }
}
export const app = new App();
export const protocol = {
  registerSchemesAsPrivileged(s) { rec.privileged.push(...s); rec.privilegedBeforeReady = !rec.isReady; },
  handle(scheme, fn) { rec.protocolHandlers.set(scheme, fn); },
};
export const session = { defaultSession: { setPermissionRequestHandler(fn) { rec.permissionRequest = fn; }, setPermissionCheckHandler(fn) { rec.permissionCheck = fn; } } };
class WebContents extends EventEmitter {
  constructor() { super(); this.sent = []; }
  isLoading() { return false; }
  postMessage(ch, msg, ports) { this.sent.push({ ch, ports: ports ? ports.length : 0 }); }
  send(ch) { this.sent.push({ ch, ports: 0 }); }
  setWindowOpenHandler(fn) { this.windowOpenHandler = fn; }
  executeJavaScript(js) { this.lastJs = js; return Promise.resolve(); }
}
export class BrowserWindow extends EventEmitter {
  constructor(opts) { super(); this.opts = opts; this.webContents = new WebContents(); this.visible = false; this.destroyed = false; rec.windows.push(this); }
  loadURL(u) { this.url = u; return Promise.resolve(); }
  isDestroyed() { return this.destroyed; }
  isMinimized() { return false; }
  restore() {}
  show() { this.visible = true; }
  hide() { this.visible = false; }
  focus() {}
  close() { const ev = { prevented: false, preventDefault() { this.prevented = true; } }; this.emit('close', ev); if (!ev.prevented) { this.destroyed = true; this.emit('closed'); } }
  static getAllWindows() { return rec.windows.filter((w) => !w.destroyed); }
}
export class Tray extends EventEmitter {
  constructor(img) { super(); this.images = [img]; this.menus = []; rec.trays.push(this); }
  setImage(i) { this.images.push(i); }
  setToolTip(t) { this.tooltip = t; }
  setContextMenu(m) { this.menus.push(m.template); }
  destroy() { this.destroyed = true; }
}
export const Menu = { buildFromTemplate: (t) => ({ template: t }), setApplicationMenu(m) { rec.appMenu = m; } };
export const nativeImage = { createFromPath: (p) => ({ path: p, template: false, setTemplateImage(v) { this.template = v; } }) };
export class Notification extends EventEmitter {
  static isSupported() { return true; }
  constructor(o) { super(); this.o = o; }
  show() { rec.notifications.push(this.o); }
}
export const ipcMain = { handle(ch, fn) { rec.ipcHandlers.set(ch, fn); } };
export const dialog = { showOpenDialog: async () => ({ canceled: true, filePaths: [] }), showErrorBox(t, m) { rec.errorBox = m; } };
export const shell = { openPath: async (p) => { rec.opened = p; return ''; }, openExternal: async (u) => { rec.external = u; } };
export const clipboard = { writeText(t) { rec.clipboard = t; } };
export class MessageChannelMain { constructor() { this.port1 = { fake: 1 }; this.port2 = { fake: 2 }; } }
export const utilityProcess = {
  fork(script, args, opts) {
    rec.forks.push({ script, args, opts });
    // Like Electron's: the engine process gets the environment and node flags asked for.
    const child = fork(script, args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'advanced', env: opts?.env, execArgv: opts?.execArgv });
    rec.children.push(child);
    const up = new EventEmitter();
    up.pid = child.pid; up.stdout = child.stdout; up.stderr = child.stderr;
    child.on('message', (m) => up.emit('message', m));
    child.on('exit', (code, signal) => { rec.exits = [...(rec.exits || []), { code, signal }]; up.emit('exit', code ?? 1); });
    child.on('error', () => {});
    up.postMessage = (m, transfer) => { if (transfer && transfer.length) { rec.portsToEngine = (rec.portsToEngine || 0) + 1; return; } if (child.connected) child.send(m); };
    up.kill = () => child.kill('SIGKILL');
    return up;
  },
};
`;

interface Rec {
  privileged: { scheme: string; privileges: Record<string, boolean> }[];
  privilegedBeforeReady: boolean;
  protocolHandlers: Map<string, (req: { url: string; method: string }) => Promise<Response>>;
  ipcHandlers: Map<string, (event: unknown, ...args: unknown[]) => Promise<unknown>>;
  windows: { opts: { webPreferences: Record<string, unknown> }; url: string; visible: boolean; destroyed: boolean; close(): void; emit(ev: string, ...a: unknown[]): void; webContents: { emit(ev: string, ...a: unknown[]): boolean; windowOpenHandler(d: { url: string }): { action: string }; sent: { ch: string; ports: number }[] } }[];
  trays: { images: { path: string }[]; menus: { id?: string; label?: string; enabled?: boolean; click?: () => void }[][]; tooltip: string; destroyed?: boolean }[];
  forks: { script: string; args: string[]; opts?: { env?: Record<string, string>; execArgv?: string[] } }[];
  children: ChildProcess[];
  exits?: { code: number | null; signal: string | null }[];
  makeReady(): void;
  quitCalls: number;
  quitted: boolean;
  clipboard?: string;
  external?: string;
  portsToEngine?: number;
  permissionCheck?: () => boolean;
}

test('Electron main wiring (fake electron, real engine host process)', { timeout: 120_000 }, async (t) => {
  if (!fs.existsSync(path.join(ROOT, 'dist-electron', 'engine-host.js'))) {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build-desktop.mjs')], { cwd: ROOT, stdio: 'inherit' });
    assert.equal(r.status, 0);
  }
  // An app directory laid out like the package: dist-electron/, renderer/dist/, assets/.
  const app = tempDir('shoal-wiring-');
  fs.mkdirSync(path.join(app, 'dist-electron'));
  for (const f of ['engine-host.js', 'hash-worker.js', 'write-worker.js', 'verify-worker.js']) fs.symlinkSync(path.join(ROOT, 'dist-electron', f), path.join(app, 'dist-electron', f));
  fs.symlinkSync(path.join(ROOT, 'assets'), path.join(app, 'assets'));
  fs.mkdirSync(path.join(app, 'renderer', 'dist'), { recursive: true });
  fs.writeFileSync(path.join(app, 'renderer', 'dist', 'index.html'), '<!doctype html><title>Shoal</title>');
  fs.writeFileSync(path.join(app, 'fake-electron.mjs'), FAKE_ELECTRON);
  await build({
    absWorkingDir: ROOT,
    entryPoints: ['main/electron/main.ts'],
    outfile: path.join(app, 'dist-electron', 'main.js'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
    plugins: [{ name: 'fake-electron', setup: (b) => b.onResolve({ filter: /^electron$/ }, () => ({ path: path.join(app, 'fake-electron.mjs') })) }],
  });

  const userData = tempDir('shoal-wiring-data-');
  const saved = { ...process.env };
  Object.assign(process.env, { FAKE_USER_DATA: userData, SHOAL_LISTEN_HOST: '127.0.0.1', SHOAL_NO_LAN: '1' });
  const listenersBefore = new Set(process.listeners('uncaughtException'));
  t.after(() => {
    process.env = saved;
    for (const l of process.listeners('uncaughtException')) if (!listenersBefore.has(l)) process.off('uncaughtException', l);
    const rec = (globalThis as { __fakeElectron?: Rec }).__fakeElectron;
    for (const c of rec?.children ?? []) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  await import(pathToFileURL(path.join(app, 'dist-electron', 'main.js')).href);
  const rec = (globalThis as unknown as { __fakeElectron: Rec }).__fakeElectron;
  assert.ok(rec.privilegedBeforeReady, 'shoal: registered as privileged before ready');
  assert.deepEqual(rec.privileged.map((p) => [p.scheme, p.privileges.standard, p.privileges.secure]), [['shoal', true, true]]);
  rec.makeReady();

  // Startup: the engine host forked with storage under userData; window shown; tray up.
  await waitFor('the engine host to be forked', () => rec.forks.length === 1, 10_000);
  assert.equal(rec.forks[0]!.script, path.join(app, 'dist-electron', 'engine-host.js'));
  assert.deepEqual(rec.forks[0]!.args, ['--storage', path.join(userData, 'engine'), '--listen-host', '127.0.0.1', '--no-lan']);
  // The same memory settings as the shoal command's shebang (engine/process-tuning.ts).
  const forkOpts = rec.forks[0]!.opts;
  for (const [k, v] of Object.entries(ENGINE_ENV)) assert.equal(forkOpts?.env?.[k], v, `engine env ${k}`);
  assert.deepEqual(forkOpts?.execArgv, [...ENGINE_NODE_FLAGS]);
  const tray = rec.trays[0]!;
  const lastMenu = () => tray.menus.at(-1) ?? [];
  const item = (id: string) => lastMenu().find((i) => i.id === id);
  await waitFor('the tray to show a running engine', () => item('pause')?.enabled === true, 30_000);
  assert.deepEqual(
    lastMenu().filter((i) => i.label).map((i) => i.label),
    ['Open Shoal', 'No folders yet', 'Pause syncing', item('status')!.label, 'Preferences…', 'Quit Shoal'],
  );
  assert.match(tray.images.at(-1)!.path, /assets[\\/]tray[\\/](idle|disconnected)\.(png|ico)$|Template\.png$/);

  // Pause from the tray reaches the real engine and comes back as "Resume syncing".
  item('pause')!.click!();
  await waitFor('Resume syncing after pausing', () => item('pause')?.label === 'Resume syncing', 10_000);
  assert.match(tray.images.at(-1)!.path, /paused/);
  item('pause')!.click!();
  await waitFor('Pause syncing after resuming', () => item('pause')?.label === 'Pause syncing', 10_000);

  // The window: secure options, the app URL, hidden on close, navigation guarded.
  const win = rec.windows[0]!;
  assert.equal(win.url, APP_ENTRY_URL);
  assert.equal(win.visible, true, 'shown at a normal start');
  const wp = win.opts.webPreferences;
  assert.deepEqual([wp.sandbox, wp.contextIsolation, wp.nodeIntegration, wp.webSecurity], [true, true, false, true]);
  assert.equal(wp.preload, path.join(app, 'dist-electron', 'preload.cjs'));
  win.close();
  assert.equal(win.visible, false);
  assert.equal(win.destroyed, false, 'closing hides: the app stays in the tray');
  let prevented = false;
  win.webContents.emit('will-navigate', { url: 'https://evil.example/', preventDefault: () => (prevented = true) });
  assert.ok(prevented, 'navigation away is prevented');
  assert.equal(rec.external, 'https://evil.example/', 'https links go to the browser');
  assert.deepEqual(win.webContents.windowOpenHandler({ url: 'shoal://app/index.html' }), { action: 'deny' });
  assert.equal(rec.permissionCheck?.(), false, 'no permissions for web content');
  // The window got an engine port once the engine was ready (and the engine its other end).
  win.webContents.emit('did-finish-load');
  assert.ok(win.webContents.sent.some((s) => s.ch === 'shoal:engine-port' && s.ports === 1));
  assert.ok((rec.portsToEngine ?? 0) >= 1);

  // The app protocol: files from renderer/dist with the CSP; nothing outside it.
  const handler = rec.protocolHandlers.get('shoal')!;
  const res = await handler({ url: 'shoal://app/index.html', method: 'GET' });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);
  assert.match(await res.text(), /<title>Shoal<\/title>/);
  assert.notEqual((await handler({ url: 'shoal://app/../../etc/passwd', method: 'GET' })).status, 200);
  assert.equal((await handler({ url: 'shoal://app/missing.js', method: 'GET' })).status, 404);

  // IPC: exactly the declared native channels; only the app's page may call them.
  assert.deepEqual([...rec.ipcHandlers.keys()].sort(), Object.values(NATIVE_CHANNELS).sort());
  const fromApp = { senderFrame: { url: 'shoal://app/index.html' } };
  const fromElsewhere = { senderFrame: { url: 'https://evil.example/' } };
  assert.deepEqual(await rec.ipcHandlers.get(NATIVE_CHANNELS.copyText)!(fromElsewhere, 'x'), { ok: false, error: { code: 'UNAUTHORIZED', message: 'Not allowed from this page.' } });
  assert.deepEqual(await rec.ipcHandlers.get(NATIVE_CHANNELS.copyText)!(fromApp, 'A2B3'), { ok: true, value: null });
  assert.equal(rec.clipboard, 'A2B3');
  const refused = (await rec.ipcHandlers.get(NATIVE_CHANNELS.openPath)!(fromApp, '/etc')) as { ok: boolean; error: { code: string } };
  assert.equal(refused.error.code, 'BAD_PATH');

  // Quit: before-quit waits for the engine's clean shutdown, then the app really quits.
  const quitItem = item('quit')!;
  quitItem.click!();
  assert.equal(rec.quitted, false, 'the first quit waits for the engine');
  await waitFor('the app to quit after the engine stopped', () => rec.quitted, 20_000);
  assert.deepEqual(rec.exits, [{ code: 0, signal: null }], 'the engine host exited cleanly, once');
  assert.equal(rec.forks.length, 1, 'no restart on quit');
  assert.equal(tray.destroyed, true);
  assert.match(fs.readFileSync(path.join(userData, 'engine', 'sync.log'), 'utf8'), /Shoal engine host stopped/);
});

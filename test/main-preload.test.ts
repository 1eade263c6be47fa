import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import vm from 'node:vm';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { ShoalBridge } from '../engine/api/bridge.js';
import { startEngineHost, workerLink } from '../main/engine-host/host.js';
import { parseHostToMain } from '../main/host-protocol.js';
import { NATIVE_CHANNELS, PUSH_CHANNELS } from '../main/ipc-channels.js';
import { createNativeHandlers, type NativeHandlers } from '../main/native-actions.js';
import { tempDir, waitFor } from './helpers/engines.js';

/**
 * The preload as it ships: dist-electron/preload.cjs (built by scripts/build-desktop.mjs)
 * run in a fresh `vm` context with a fake `require('electron')`, given a real MessagePort
 * wired to a real engine host. What the renderer sees is exactly what this sees.
 */
const ROOT = path.resolve(import.meta.dirname, '..');
const BUNDLE = path.join(ROOT, 'dist-electron', 'preload.cjs');

function ensureBundle(): void {
  if (fs.existsSync(BUNDLE)) return;
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build-desktop.mjs')], { cwd: ROOT, stdio: 'inherit' });
  assert.equal(r.status, 0, 'building the desktop bundles failed');
}

const plain = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

async function setup(t: { after(fn: () => unknown): void }) {
  ensureBundle();
  // A real engine host on a real MessageChannel link (as in the utility process).
  const storage = tempDir('shoal-preload-');
  const link = new MessageChannel();
  const hostP = startEngineHost(workerLink(link.port1), { storagePath: storage, listenHost: '127.0.0.1', lan: false, config: { disk_low_priority: false }, logEcho: null });
  await new Promise<void>((resolve) => link.port2.on('message', (m) => parseHostToMain(m)?.host === 'ready' && resolve()));
  const host = (await hostP)!;
  t.after(async () => {
    await host.stop();
    link.port1.close();
    link.port2.close();
  });
  const syncedDir = tempDir('shoal-preload-synced-');
  await host.engine.call('addFolder', { dir: syncedDir });

  // main's side: native handlers with a fake shell, and the engine port per "window load".
  const invoked: { channel: string; args: unknown[] }[] = [];
  const opened: string[] = [];
  const handlers: NativeHandlers = createNativeHandlers({
    openPath: async (p) => {
      opened.push(p);
      return '';
    },
    pickDirectory: async () => ({ canceled: false, filePaths: ['/chosen'] }),
    writeText: () => {},
    syncedFolders: async () => (await host.engine.call('getFolders', {})).map((f) => f.dir),
  });
  const byChannel = new Map<string, keyof NativeHandlers>(Object.entries(NATIVE_CHANNELS).map(([name, ch]) => [ch, name as keyof NativeHandlers]));
  const pushListeners = new Map<string, ((event: { ports: MessagePort[] }) => void)[]>();
  const exposed: [string, unknown][] = [];
  const requires: string[] = [];
  const fakeElectron = {
    contextBridge: { exposeInMainWorld: (key: string, api: unknown) => void exposed.push([key, api]) },
    ipcRenderer: {
      invoke: async (channel: string, ...args: unknown[]) => {
        invoked.push({ channel, args });
        const name = byChannel.get(channel);
        if (!name) throw new Error(`No handler registered for '${channel}'`);
        return structuredClone(await handlers[name](...structuredClone(args)));
      },
      on: (channel: string, fn: (event: { ports: MessagePort[] }) => void) => {
        pushListeners.set(channel, [...(pushListeners.get(channel) ?? []), fn]);
      },
    },
  };
  const sandbox = {
    require: (id: string) => {
      requires.push(id);
      if (id === 'electron') return fakeElectron;
      throw new Error(`a sandboxed preload cannot require ${id}`);
    },
    module: { exports: {} },
    exports: {},
    process: { platform: 'linux' },
    console,
    setTimeout,
    clearTimeout,
    queueMicrotask,
  };
  const ctx = vm.createContext(sandbox);
  vm.runInContext(`(function (require, module, exports) {${fs.readFileSync(BUNDLE, 'utf8')}\n})(require, module, exports);`, ctx, { filename: BUNDLE });

  const windowPorts: MessagePort[] = [];
  const deliverPort = () => {
    const { port1, port2 } = new MessageChannel();
    link.port2.postMessage({ host: 'connect', port: port1 }, [port1]);
    windowPorts.push(port2);
    for (const fn of pushListeners.get(PUSH_CHANNELS.enginePort) ?? []) fn({ ports: [port2] });
  };
  const pushDown = () => {
    for (const fn of pushListeners.get(PUSH_CHANNELS.engineDown) ?? []) fn({ ports: [] });
  };
  t.after(() => windowPorts.forEach((p) => p.close()));
  return { exposed, requires, invoked, opened, deliverPort, pushDown, syncedDir, host, windowPorts };
}

test('preload: exposes exactly window.shoal with exactly the ShoalBridge members', async (t) => {
  const s = await setup(t);
  assert.deepEqual(s.requires, ['electron'], 'the bundle needs nothing but electron');
  assert.equal(s.exposed.length, 1);
  const [key, api] = s.exposed[0]!;
  assert.equal(key, 'shoal');
  const bridge = api as ShoalBridge;
  assert.deepEqual(Object.keys(bridge).sort(), ['call', 'native', 'on', 'onConnection', 'platform', 'shell']);
  assert.deepEqual(Object.keys(bridge.native!).sort(), ['copyText', 'openPath', 'pickFolder']);
  assert.equal(bridge.shell, 'desktop');
  assert.equal(bridge.platform, 'linux');
  assert.ok(Object.isFrozen(bridge));
});

test('preload: calls answer {ok,value} / {ok:false,error} over the real port; events and reconnects work', { timeout: 60_000 }, async (t) => {
  const s = await setup(t);
  const shoal = s.exposed[0]![1] as ShoalBridge;
  const connection: boolean[] = [];
  shoal.onConnection((c) => connection.push(c));

  // A call made before the port arrives waits for it.
  const early = shoal.call('getVersion', {});
  s.deliverPort();
  const v = plain(await early);
  assert.equal(v.ok, true);
  assert.deepEqual(Object.keys(v).sort(), ['ok', 'value']);
  assert.match((v as { value: { version: string } }).value.version, /^\d+\.\d+\.\d+/);
  assert.deepEqual(connection, [true], 'changes only: up once the first port arrives');

  const folders = plain(await shoal.call('getFolders', {}));
  assert.ok(folders.ok && folders.value.length === 1 && folders.value[0]!.dir === s.syncedDir);

  // Failures are data with a code and a message, nothing else (contextBridge drops Errors).
  const bad = plain(await shoal.call('removeFolder', { secret: 'nope' }));
  assert.equal(bad.ok, false);
  assert.deepEqual(Object.keys(bad).sort(), ['error', 'ok']);
  assert.deepEqual(Object.keys(!bad.ok ? bad.error : {}).sort(), ['code', 'message']);
  assert.equal(!bad.ok && bad.error.code, 'FOLDER_NOT_FOUND');
  assert.equal(plain(await shoal.call('getFolders', { secret: 5 } as never)).ok, false);
  const unknown = plain(await shoal.call('rm -rf' as never, {} as never));
  assert.deepEqual(!unknown.ok && unknown.error.code, 'UNKNOWN_METHOD');
  const shutdown = plain(await shoal.call('shutdown', {}));
  assert.equal(!shutdown.ok && shutdown.error.code, 'UNAUTHORIZED', 'the window cannot stop the engine');

  // Events reach listeners; unsubscribing works; bad subscriptions are refused.
  const changes: unknown[] = [];
  const prefsSeen: unknown[] = [];
  const off = shoal.on('foldersChanged', (p) => changes.push(plain(p)));
  shoal.on('uiPrefs', (p) => prefsSeen.push(plain(p)));
  await shoal.call('addFolder', { dir: tempDir('shoal-preload-2-') });
  await waitFor('foldersChanged event', () => changes.length === 1, 5000);
  assert.deepEqual(changes[0], { reason: 'added' });
  off();
  assert.throws(() => shoal.on('notAnEvent' as never, () => {}), /Unknown event/);
  assert.throws(() => shoal.on('status', 'x' as never), /must be a function/);

  // The engine goes away and comes back (supervisor restart): listeners survive.
  s.pushDown();
  assert.deepEqual(connection, [true, false]);
  const during = shoal.call('getUiPrefs', {});
  s.deliverPort();
  assert.equal(plain(await during).ok, true, 'a call made while down completes once reconnected');
  assert.deepEqual(connection, [true, false, true]);
  await shoal.call('setUiPrefs', { prefs: { notify_errors: false } });
  await waitFor('uiPrefs event after the reconnect', () => prefsSeen.length >= 1, 5000);
  assert.equal((prefsSeen.at(-1) as { notify_errors: boolean }).notify_errors, false);
  assert.equal(changes.length, 1, 'the removed listener stayed removed');

  // A port replaced without a down in between (window reload) keeps one continuous connection.
  s.deliverPort();
  assert.equal(plain(await shoal.call('getVersion', {})).ok, true);
  assert.deepEqual(connection, [true, false, true]);

  // The port closing under us (engine process died) reads as disconnected.
  s.windowPorts.at(-1)!.close();
  await waitFor('disconnected after the port closed', () => connection.at(-1) === false, 5000);
});

test('preload: native actions go only through the validated channel set', async (t) => {
  const s = await setup(t);
  const shoal = s.exposed[0]![1] as ShoalBridge;
  const native = shoal.native!;
  assert.deepEqual(plain(await native.openPath(s.syncedDir)), { ok: true });
  assert.deepEqual(s.opened, [fs.realpathSync(s.syncedDir)]);
  const refused = plain(await native.openPath('/etc'));
  assert.equal(refused.ok, false);
  assert.equal(!refused.ok && refused.error.code, 'BAD_PATH');
  const notString = plain(await native.openPath(7 as never));
  assert.equal(!notString.ok && notString.error.code, 'BAD_PATH');
  assert.equal(await native.pickFolder(), '/chosen');
  await native.copyText('A2BCD');
  await assert.rejects(native.copyText({} as never), /one string/);
  const channels = new Set(s.invoked.map((i) => i.channel));
  for (const ch of channels) assert.ok((Object.values(NATIVE_CHANNELS) as string[]).includes(ch), `unexpected channel ${ch}`);
  assert.deepEqual([...channels].sort(), Object.values(NATIVE_CHANNELS).sort());
});

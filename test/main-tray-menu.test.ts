import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { serveEngine } from '../engine/api/rpc/server.js';
import { inProcessPair } from '../engine/api/rpc/in-process.js';
import { createEngineClient } from '../engine/api/rpc/client.js';
import { AppController, type TrayView } from '../main/app-controller.js';
import { trayIcon, trayIconFiles, TRAY_STATES } from '../main/tray-icons.js';
import { effectiveTrayState, formatSpeed, MAX_MENU_FOLDERS, trayMenu, trayTooltip, type MenuItem, type TrayMenuState } from '../main/tray-menu.js';
import { startEngine, tempDir, waitFor } from './helpers/engines.js';

const ROOT = path.resolve(import.meta.dirname, '..');

function state(over: Partial<TrayMenuState> = {}): TrayMenuState {
  return { folders: [], paused: false, speed: { download: 0, upload: 0 }, tray: 'idle', engine: 'running', engineError: null, ...over };
}

const labels = (items: MenuItem[]) => items.map((i) => (i.kind === 'separator' ? '---' : i.label));
const byId = (items: MenuItem[], id: string) => {
  const it = items.find((i) => i.id === id);
  assert.ok(it && it.kind === 'item', `no item ${id}`);
  return it;
};

test('menu: Open Shoal, one item per folder, Pause, the status line, Preferences…, Quit', () => {
  const items = trayMenu(state({ folders: [{ dir: '/home/ann/Photos' }, { dir: '/srv/Docs' }] }));
  assert.deepEqual(labels(items), ['Open Shoal', '---', 'Docs', 'Photos', '---', 'Pause syncing', 'Up to date', '---', 'Preferences…', 'Quit Shoal']);
  assert.deepEqual(byId(items, 'open').action, { type: 'open-window' });
  assert.deepEqual(byId(items, 'preferences').action, { type: 'preferences' });
  assert.deepEqual(byId(items, 'quit').action, { type: 'quit' });
  const status = byId(items, 'status');
  assert.equal(status.enabled, false, 'the speed line is informational');
  assert.equal(status.action, undefined);
});

test('menu: each folder item opens exactly its own path', () => {
  const dirs = ['/a/one', 'C:\\Users\\bo\\Two', '/x/three'];
  const items = trayMenu(state({ folders: dirs.map((dir) => ({ dir })) }));
  const folderItems = items.filter((i) => i.id.startsWith('folder-'));
  assert.equal(folderItems.length, 3);
  const opened = folderItems.map((i) => (i.kind === 'item' && i.action?.type === 'open-folder' ? i.action.dir : null));
  assert.deepEqual(new Set(opened), new Set(dirs));
  for (const i of folderItems) {
    assert.ok(i.kind === 'item' && i.action?.type === 'open-folder');
    assert.ok(i.label && i.action.dir.endsWith(i.label), `label ${i.label} is the last segment of ${i.action.dir}`);
  }
});

test('menu: pause and resume toggle with the paused state', () => {
  const running = byId(trayMenu(state({ paused: false })), 'pause');
  assert.equal(running.label, 'Pause syncing');
  assert.deepEqual(running.action, { type: 'set-paused', paused: true });
  const paused = trayMenu(state({ paused: true }));
  assert.equal(byId(paused, 'pause').label, 'Resume syncing');
  assert.deepEqual(byId(paused, 'pause').action, { type: 'set-paused', paused: false });
  assert.equal(byId(paused, 'status').label, 'Paused');
  // No engine, no pausing.
  assert.equal(byId(trayMenu(state({ engine: 'restarting' })), 'pause').enabled, false);
});

test('menu: the speed line shows current transfer speed, or what is going on', () => {
  assert.equal(byId(trayMenu(state({ speed: { download: 1_250_000, upload: 3_400 } })), 'status').label, '↓ 1.3 MB/s   ↑ 3.4 kB/s');
  assert.equal(byId(trayMenu(state({ tray: 'syncing' })), 'status').label, 'Syncing…');
  assert.equal(byId(trayMenu(state({ tray: 'disconnected' })), 'status').label, 'No devices connected');
  assert.equal(byId(trayMenu(state({ engine: 'starting' })), 'status').label, 'Starting…');
  assert.equal(byId(trayMenu(state({ engine: 'restarting' })), 'status').label, 'Sync engine restarting…');
  const failed = trayMenu(state({ engine: 'failed', engineError: 'crashed 5 times' }));
  assert.equal(byId(failed, 'status').label, 'Sync engine stopped');
  assert.deepEqual(byId(failed, 'restart-engine').action, { type: 'restart-engine' });
  assert.equal(formatSpeed(0), '0 B/s');
  assert.equal(formatSpeed(999), '999 B/s');
  assert.equal(formatSpeed(12_345), '12.3 kB/s');
  assert.equal(formatSpeed(250_000_000), '250 MB/s');
  assert.equal(formatSpeed(Number.NaN), '0 B/s');
});

test('menu: folder errors are marked, and a long folder list is capped', () => {
  const items = trayMenu(state({ folders: [{ dir: '/m/Broken', error: 'Folder path missing' }] }));
  const f = byId(items, 'folder-0');
  assert.equal(f.label, 'Broken (error)');
  assert.match(f.toolTip ?? '', /Folder path missing/);
  const many = trayMenu(state({ folders: Array.from({ length: 40 }, (_, i) => ({ dir: `/d/f${String(i).padStart(2, '0')}` })) }));
  assert.equal(many.filter((i) => i.id.startsWith('folder-')).length, MAX_MENU_FOLDERS);
  assert.equal(byId(many, 'more-folders').label, `and ${40 - MAX_MENU_FOLDERS} more…`);
  assert.equal(byId(trayMenu(state()), 'no-folders').enabled, false);
});

test('tray icon per state and platform; every referenced file exists', () => {
  assert.deepEqual(trayIcon('syncing', 'darwin'), { file: 'tray/syncingTemplate.png', template: true });
  assert.deepEqual(trayIcon('error', 'win32'), { file: 'tray/error.ico', template: false });
  assert.deepEqual(trayIcon('paused', 'linux'), { file: 'tray/paused.png', template: false });
  assert.equal(effectiveTrayState({ tray: 'syncing', engine: 'running', paused: true }), 'paused');
  assert.equal(effectiveTrayState({ tray: 'idle', engine: 'restarting', paused: false }), 'disconnected');
  assert.equal(effectiveTrayState({ tray: 'idle', engine: 'failed', paused: false }), 'error');
  assert.match(trayTooltip(state({ tray: 'syncing' })), /syncing/);
  for (const platform of ['darwin', 'win32', 'linux']) {
    const files = trayIconFiles(platform);
    assert.equal(files.length, platform === 'darwin' ? TRAY_STATES.length * 2 : TRAY_STATES.length);
    for (const f of files) assert.ok(fs.existsSync(path.join(ROOT, 'assets', f)), `missing assets/${f}`);
  }
});

test('controller: a real engine drives the tray: folders, pause/resume, reconnects', async (t) => {
  const a = await startEngine({ name: 'tray' });
  t.after(() => a.engine.close());
  const [serverEnd, clientEnd] = inProcessPair();
  serveEngine(a.engine, serverEnd);
  const views: TrayView[] = [];
  const prefs: unknown[] = [];
  const controller = new AppController({ render: (v) => views.push(v), onUiPrefs: (p) => prefs.push(p) });
  controller.render();
  assert.equal(views.at(-1)?.icon, 'disconnected', 'no engine yet: disconnected');

  await controller.attach(createEngineClient(clientEnd));
  assert.equal(controller.state.engine, 'running');
  assert.equal(prefs.length, 1, 'UiPrefs were loaded and applied once');

  const dir = tempDir('shoal-tray-folder-');
  await a.engine.call('addFolder', { dir });
  const opensDir = (i: MenuItem) => i.kind === 'item' && i.action?.type === 'open-folder' && i.action.dir === dir;
  await waitFor('the new folder in the tray menu (foldersChanged event)', () => views.at(-1)!.menu.some(opensDir), 5000);

  await controller.setPaused(true);
  let pause = views.at(-1)!.menu.find((i) => i.id === 'pause');
  assert.ok(pause?.kind === 'item' && pause.label === 'Resume syncing');
  assert.equal(views.at(-1)!.icon, 'paused');
  assert.equal((await a.engine.call('getStatus', {})).paused, true, 'the engine itself is paused');
  await controller.setPaused(false);
  pause = views.at(-1)!.menu.find((i) => i.id === 'pause');
  assert.ok(pause?.kind === 'item' && pause.label === 'Pause syncing');

  // The engine goes away: the tray says so and stops offering pause.
  clientEnd.close();
  await waitFor('disconnected view', () => views.at(-1)!.icon === 'disconnected', 2000);
  assert.equal(controller.state.engine, 'restarting');
  controller.detach('failed', 'gave up');
  assert.equal(views.at(-1)!.icon, 'error');
});

import os from 'node:os';
import path from 'node:path';
import { app, dialog, Menu, Notification, shell } from 'electron';
import type { UiPrefs } from '../../engine/api/contract.js';
import { AppController } from '../app-controller.js';
import { appPaths, engineHostArgs } from '../app-paths.js';
import { applyLinuxAutostart } from '../autostart.js';
import { fileKnownDevices } from '../known-devices.js';
import { NotificationPolicy } from '../notifications.js';
import { EngineSupervisor } from '../supervisor.js';
import type { MenuAction } from '../tray-menu.js';
import { utilityForkFn } from './engine.js';
import { registerNativeHandlers } from './ipc.js';
import { ShoalTray } from './tray.js';
import { MainWindow, registerAppScheme, serveAppProtocol } from './window.js';

/**
 * Electron main: wiring only. The logic lives in plain modules next door (supervisor,
 * tray menu, notifications, native actions, window options), tested under Node.
 *
 *   main ──utilityProcess.fork──▶ engine host (Engine + RPC server)
 *     │  parentPort: main's own EngineClient (tray, notifications, shutdown on quit)
 *     └─ per window: MessageChannelMain; port1 → engine host, port2 → preload → window.shoal
 */

const paths = appPaths(import.meta.url);
const log = (level: string, msg: string) => console[level === 'error' ? 'error' : 'log'](`shoal: ${msg}`);

if (process.env.SHOAL_USER_DATA) app.setPath('userData', path.resolve(process.env.SHOAL_USER_DATA));
registerAppScheme();

if (!app.requestSingleInstanceLock()) {
  // Another Shoal is running: it shows its window (second-instance), we leave.
  app.quit();
} else {
  void app.whenReady().then(start, (err: unknown) => {
    log('error', `startup failed: ${(err as Error)?.stack ?? String(err)}`);
    app.exit(1);
  });
}

function start(): void {
  if (process.platform === 'darwin') app.dock?.hide(); // a menu-bar app (LSUIElement in the package)
  // macOS needs an Edit menu for copy/paste shortcuts in the window; others get no menu bar.
  Menu.setApplicationMenu(process.platform === 'darwin' ? Menu.buildFromTemplate([{ role: 'appMenu' }, { role: 'editMenu' }]) : null);
  serveAppProtocol(paths.rendererDist);

  let quitting = false;
  let stopped = false;

  const supervisor = new EngineSupervisor({
    fork: utilityForkFn(paths.engineHost, engineHostArgs(app.getPath('userData'), process.env), (line) => log('info', `[engine] ${line}`)),
    log: (level, msg) => log(level, msg),
  });

  const window = new MainWindow({
    preload: paths.preload,
    icon: process.platform === 'linux' ? path.join(paths.assets, 'icon.png') : undefined,
    engine: () => supervisor.current,
    isQuitting: () => quitting,
  });

  const live = new Set<Notification>();
  const notifier: NotificationPolicy = new NotificationPolicy({
    prefs: (): UiPrefs | null => controller.uiPrefs,
    knownDevices: fileKnownDevices(path.join(app.getPath('userData'), 'known-devices.json')),
    show(note) {
      if (!Notification.isSupported()) return;
      const n = new Notification({ title: note.title, body: note.body, silent: note.kind === 'syncFinished' });
      // Keep a reference until it is gone, or a collected Notification loses its click handler.
      live.add(n);
      n.on('click', () => {
        live.delete(n);
        if (note.dir) void openFolder(note.dir);
        else window.show();
      });
      n.on('close', () => live.delete(n));
      n.show();
    },
  });

  const tray = new ShoalTray(paths.assets, (action) => dispatch(action));
  const controller: AppController = new AppController({
    render: (view) => tray.render(view),
    notifier,
    onUiPrefs: (prefs) => applyLoginItem(prefs),
    log,
  });
  controller.render();

  const openFolder = async (dir: string) => {
    const err = await shell.openPath(dir);
    if (err) log('warn', `could not open ${dir}: ${err}`);
  };

  function dispatch(action: MenuAction): void {
    switch (action.type) {
      case 'open-window':
        window.show();
        return;
      case 'open-folder':
        void openFolder(action.dir);
        return;
      case 'set-paused':
        void controller.setPaused(action.paused);
        return;
      case 'preferences':
        window.show('preferences');
        return;
      case 'restart-engine':
        controller.detach('starting', null);
        supervisor.retry();
        return;
      case 'quit':
        app.quit();
        return;
    }
  }

  supervisor.on('ready', ({ client }) => {
    void controller.attach(client).catch((err: unknown) => log('error', `attach failed: ${(err as Error).message}`));
    window.connect();
  });
  supervisor.on('down', ({ expected }) => {
    window.engineDown();
    controller.detach(expected ? 'stopping' : 'restarting');
  });
  supervisor.on('gaveUp', ({ error }) => {
    controller.detach('failed', error.message);
    if (Notification.isSupported()) new Notification({ title: 'Shoal stopped syncing', body: error.message }).show();
  });

  registerNativeHandlers({
    window: () => window.window,
    async syncedFolders() {
      const c = supervisor.client;
      if (!c) return controller.state.folders.map((f) => f.dir);
      const folders = await c.call('getFolders', {});
      return folders.map((f) => f.dir);
    },
  });

  app.on('second-instance', () => window.show());
  app.on('activate', () => window.show());
  // Closing the window keeps the app in the tray.
  app.on('window-all-closed', () => {});
  app.on('before-quit', (event) => {
    quitting = true;
    if (stopped) return;
    event.preventDefault();
    void supervisor.stop().finally(() => {
      stopped = true;
      tray.destroy();
      app.quit();
    });
  });

  supervisor.start();
  const openedAtLogin = process.argv.includes('--hidden') || (process.platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin);
  if (!openedAtLogin) window.show();

  function applyLoginItem(prefs: UiPrefs): void {
    if (!app.isPackaged) return; // a dev build must not register node_modules/electron as a login item
    if (process.platform === 'linux') {
      const exec = process.env.APPIMAGE ?? process.execPath;
      applyLinuxAutostart(prefs.start_at_login, process.env.XDG_CONFIG_HOME ?? path.join(os.homedir(), '.config'), exec);
      return;
    }
    if (app.getLoginItemSettings().openAtLogin === prefs.start_at_login) return;
    app.setLoginItemSettings({ openAtLogin: prefs.start_at_login, args: ['--hidden'] });
  }

  process.on('uncaughtException', (err) => {
    log('error', `uncaught: ${err.stack ?? err.message}`);
    dialog.showErrorBox('Shoal', `An unexpected error occurred: ${err.message}`);
  });
}

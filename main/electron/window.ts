import fs from 'node:fs';
import { app, BrowserWindow, MessageChannelMain, protocol, session, shell } from 'electron';
import { PUSH_CHANNELS } from '../ipc-channels.js';
import type { EngineChild } from '../supervisor.js';
import {
  APP_ENTRY_URL,
  APP_SCHEME,
  appResponseHeaders,
  closeBehaviour,
  mainWindowOptions,
  navigationDecision,
  resolveAppRequest,
} from '../window-options.js';

/** Before app 'ready': shoal:// is a standard, secure origin (so 'self' and fetch work). */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true, codeCache: true } },
  ]);
}

/** After 'ready': serve renderer/dist at shoal://app/ with the CSP on every response. */
export function serveAppProtocol(rendererDist: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const r = resolveAppRequest(request.url, rendererDist, request.method);
    if (!r.ok) return new Response(null, { status: r.status, headers: appResponseHeaders('text/plain; charset=utf-8') });
    try {
      const body = await fs.promises.readFile(r.file);
      return new Response(request.method === 'HEAD' ? null : body, { status: 200, headers: appResponseHeaders(r.contentType) });
    } catch {
      return new Response(null, { status: 404, headers: appResponseHeaders('text/plain; charset=utf-8') });
    }
  });
  // No permission (camera, notifications from the page, …) is ever granted to web content.
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
}

export interface WindowHost {
  preload: string;
  icon?: string;
  /** The running engine, to connect a window to; null while it is down. */
  engine(): EngineChild | null;
  isQuitting(): boolean;
}

/** The one main window: created on demand, hidden on close, reconnected on engine restarts. */
export class MainWindow {
  private win: BrowserWindow | null = null;

  constructor(private readonly host: WindowHost) {}

  get window(): BrowserWindow | null {
    return this.win && !this.win.isDestroyed() ? this.win : null;
  }

  show(route?: 'preferences'): void {
    const win = this.window ?? this.create();
    if (win.isMinimized()) win.restore();
    // A menu-bar app (no Dock icon) is not active by itself on macOS: bring it forward.
    if (process.platform === 'darwin') app.focus({ steal: true });
    win.show();
    win.focus();
    if (route) {
      // The renderer routes on location.hash (see the report to the renderer owners).
      const go = () => void win.webContents.executeJavaScript(`location.hash = ${JSON.stringify('#/' + route)}`).catch(() => {});
      if (win.webContents.isLoading()) win.webContents.once('did-finish-load', go);
      else go();
    }
  }

  /** Give the window a fresh MessagePort to the running engine. */
  connect(): void {
    const win = this.window;
    const child = this.host.engine();
    if (!win || !child || win.webContents.isLoading()) return;
    const { port1, port2 } = new MessageChannelMain();
    child.postMessage({ host: 'connect' }, [port1]);
    win.webContents.postMessage(PUSH_CHANNELS.enginePort, null, [port2]);
  }

  engineDown(): void {
    this.window?.webContents.send(PUSH_CHANNELS.engineDown);
  }

  private create(): BrowserWindow {
    const win = new BrowserWindow(mainWindowOptions({ preload: this.host.preload, icon: this.host.icon, devTools: !!process.env.SHOAL_DEVTOOLS }));
    this.win = win;
    const wc = win.webContents;
    wc.on('will-navigate', (event) => {
      const d = navigationDecision(event.url, 'navigate');
      if (d === 'allow') return;
      event.preventDefault();
      if (d === 'open-external') void shell.openExternal(event.url);
    });
    wc.on('will-redirect', (event) => {
      if (navigationDecision(event.url, 'navigate') !== 'allow') event.preventDefault();
    });
    wc.setWindowOpenHandler(({ url }) => {
      if (navigationDecision(url, 'window-open') === 'open-external') void shell.openExternal(url);
      return { action: 'deny' };
    });
    wc.on('will-attach-webview', (event) => event.preventDefault());
    wc.on('did-finish-load', () => this.connect());
    win.on('close', (event) => {
      if (closeBehaviour(this.host.isQuitting()) === 'hide') {
        event.preventDefault();
        win.hide();
      }
    });
    win.on('closed', () => {
      if (this.win === win) this.win = null;
    });
    void win.loadURL(APP_ENTRY_URL);
    return win;
  }
}

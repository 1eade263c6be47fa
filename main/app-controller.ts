import type { EngineStatus, EventName, FolderInfo, UiPrefs } from '../engine/api/contract.js';
import { EVENT_NAMES } from '../engine/api/contract.js';
import { EngineCallError, type EngineClient } from '../engine/api/rpc/client.js';
import type { NotificationPolicy } from './notifications.js';
import { effectiveTrayState, trayMenu, trayTooltip, type EngineLink, type MenuItem, type TrayMenuState } from './tray-menu.js';
import type { TrayState } from '../engine/api/contract.js';

/**
 * The main process's view of the engine, kept current from main's own EngineClient: the
 * folder list, pause state, speed and tray state the tray shows, the UiPrefs it applies
 * (start at login, notifications), and the events the notification policy sees. Pure:
 * main/electron/main.ts renders what it produces; tests drive it with a real engine over an
 * in-process channel.
 */

export interface TrayView {
  menu: MenuItem[];
  icon: TrayState;
  tooltip: string;
}

export interface ControllerDeps {
  render(view: TrayView): void;
  notifier?: NotificationPolicy;
  /** UiPrefs arrived or changed (apply start_at_login). */
  onUiPrefs?(prefs: UiPrefs): void;
  log?(level: 'info' | 'warn' | 'error', msg: string): void;
}

export class AppController {
  readonly state: TrayMenuState = {
    folders: [],
    paused: false,
    speed: { download: 0, upload: 0 },
    tray: 'disconnected',
    engine: 'starting',
    engineError: null,
  };
  uiPrefs: UiPrefs | null = null;
  private client: EngineClient | null = null;
  private offs: (() => void)[] = [];
  private lastView = '';

  constructor(private readonly deps: ControllerDeps) {}

  get engineClient(): EngineClient | null {
    return this.client;
  }

  /** A (re)started engine: load what the tray shows, then follow its events. */
  async attach(client: EngineClient): Promise<void> {
    this.detachListeners();
    this.client = client;
    this.state.engine = 'running';
    this.state.engineError = null;
    for (const name of EVENT_NAMES) {
      this.offs.push(client.on(name, (payload) => this.onEvent(name, payload)));
    }
    this.offs.push(client.onClose(() => this.detach('restarting')));
    await Promise.all([this.refreshFolders(), this.refreshStatus(), this.refreshUiPrefs()]);
    this.render();
  }

  /** The engine went away: show why until it is back. */
  detach(why: Exclude<EngineLink, 'running'>, error?: string | null): void {
    this.detachListeners();
    this.client = null;
    this.state.engine = why;
    if (error !== undefined) this.state.engineError = error;
    this.state.speed = { download: 0, upload: 0 };
    this.deps.notifier?.reset();
    this.render();
  }

  view(): TrayView {
    return { menu: trayMenu(this.state), icon: effectiveTrayState(this.state), tooltip: trayTooltip(this.state) };
  }

  /** Pause / resume from the tray; the engine's answer (and its status event) updates the state. */
  async setPaused(paused: boolean): Promise<void> {
    const c = this.client;
    if (!c) return;
    try {
      const status = await c.call('setPaused', { paused });
      this.applyStatus(status);
    } catch (err) {
      this.deps.log?.('warn', `setPaused failed: ${(err as Error).message}`);
    }
    this.render();
  }

  render(): void {
    const view = this.view();
    const key = JSON.stringify(view);
    if (key === this.lastView) return;
    this.lastView = key;
    this.deps.render(view);
  }

  private onEvent(name: EventName, payload: unknown): void {
    this.deps.notifier?.handle(name, payload as never);
    switch (name) {
      case 'status':
        this.applyStatus(payload as EngineStatus);
        break;
      case 'speed': {
        const s = payload as { download: number; upload: number };
        this.state.speed = { download: s.download, upload: s.upload };
        break;
      }
      case 'uiPrefs':
        this.uiPrefs = payload as UiPrefs;
        this.deps.onUiPrefs?.(this.uiPrefs);
        return;
      case 'foldersChanged':
      case 'folderState':
        void this.refreshFolders().then(() => this.render());
        return;
      default:
        return;
    }
    this.render();
  }

  private applyStatus(s: EngineStatus): void {
    this.state.paused = s.paused;
    this.state.tray = s.state;
    this.state.speed = { download: s.speed.download, upload: s.speed.upload };
  }

  private async refreshFolders(): Promise<void> {
    const c = this.client;
    if (!c) return;
    try {
      const folders: FolderInfo[] = await c.call('getFolders', {});
      if (c !== this.client) return;
      this.state.folders = folders.map((f) => ({ dir: f.dir, error: f.error_message }));
    } catch (err) {
      this.deps.log?.('warn', `getFolders failed: ${(err as Error).message}`);
    }
  }

  private async refreshStatus(): Promise<void> {
    const c = this.client;
    if (!c) return;
    try {
      this.applyStatus(await c.call('getStatus', {}));
    } catch (err) {
      // An engine without getStatus: fall back to speed and folder errors.
      if (!(err instanceof EngineCallError)) throw err;
      this.deps.log?.('warn', `getStatus failed: ${err.message}`);
      try {
        this.state.speed = await c.call('getSpeed', {});
      } catch {
        // keep zeros
      }
      this.state.tray = this.state.folders.some((f) => f.error) ? 'error' : 'idle';
    }
  }

  private async refreshUiPrefs(): Promise<void> {
    const c = this.client;
    if (!c) return;
    try {
      this.uiPrefs = await c.call('getUiPrefs', {});
      this.deps.onUiPrefs?.(this.uiPrefs);
    } catch (err) {
      this.deps.log?.('warn', `getUiPrefs failed: ${(err as Error).message}`);
    }
  }

  private detachListeners(): void {
    for (const off of this.offs.splice(0)) off();
  }
}

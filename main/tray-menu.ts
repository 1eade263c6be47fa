import type { Speed, TrayState } from '../engine/api/contract.js';

/**
 * The tray / menu-bar menu as data: a pure function from the app's state to a list of items
 * with actions. main/electron/tray.ts turns it into Electron's MenuItemConstructorOptions
 * and dispatches the actions; tests check it here without Electron.
 */

export interface TrayFolder {
  dir: string;
  /** Shown instead of the full path when set (default: the last path segment). */
  name?: string;
  error?: string | null;
}

export type EngineLink = 'starting' | 'running' | 'restarting' | 'failed' | 'stopping';

export interface TrayMenuState {
  folders: readonly TrayFolder[];
  paused: boolean;
  speed: Speed;
  tray: TrayState;
  engine: EngineLink;
  /** The error that made the supervisor give up, shown in the menu. */
  engineError?: string | null;
}

export type MenuAction =
  | { type: 'open-window' }
  | { type: 'open-folder'; dir: string }
  | { type: 'set-paused'; paused: boolean }
  | { type: 'preferences' }
  | { type: 'restart-engine' }
  | { type: 'quit' };

export type MenuItem =
  | { kind: 'separator'; id: string }
  | { kind: 'item'; id: string; label: string; enabled: boolean; action?: MenuAction; toolTip?: string };

/** Tray menus are short: more folders than this collapse into one "and N more" line. */
export const MAX_MENU_FOLDERS = 15;

export function trayMenu(s: TrayMenuState): MenuItem[] {
  const up = s.engine === 'running';
  const items: MenuItem[] = [];
  items.push({ kind: 'item', id: 'open', label: 'Open Shoal', enabled: true, action: { type: 'open-window' } });
  items.push({ kind: 'separator', id: 'sep-folders' });

  if (s.folders.length === 0) {
    items.push({ kind: 'item', id: 'no-folders', label: up ? 'No folders yet' : 'Folders unavailable', enabled: false });
  }
  const sorted = [...s.folders].sort((a, b) => folderLabel(a).localeCompare(folderLabel(b)));
  for (const [i, f] of sorted.slice(0, MAX_MENU_FOLDERS).entries()) {
    items.push({
      kind: 'item',
      id: `folder-${i}`,
      label: f.error ? `${folderLabel(f)} (error)` : folderLabel(f),
      enabled: true,
      toolTip: f.error ? `${f.dir}: ${f.error}` : f.dir,
      action: { type: 'open-folder', dir: f.dir },
    });
  }
  if (sorted.length > MAX_MENU_FOLDERS) {
    items.push({ kind: 'item', id: 'more-folders', label: `and ${sorted.length - MAX_MENU_FOLDERS} more…`, enabled: true, action: { type: 'open-window' } });
  }
  items.push({ kind: 'separator', id: 'sep-sync' });

  items.push(
    s.paused
      ? { kind: 'item', id: 'pause', label: 'Resume syncing', enabled: up, action: { type: 'set-paused', paused: false } }
      : { kind: 'item', id: 'pause', label: 'Pause syncing', enabled: up, action: { type: 'set-paused', paused: true } },
  );
  items.push({ kind: 'item', id: 'status', label: statusLine(s), enabled: false });
  if (s.engine === 'failed') {
    items.push({ kind: 'item', id: 'restart-engine', label: 'Restart sync engine', enabled: true, action: { type: 'restart-engine' } });
  }
  items.push({ kind: 'separator', id: 'sep-app' });
  items.push({ kind: 'item', id: 'preferences', label: 'Preferences…', enabled: true, action: { type: 'preferences' } });
  items.push({ kind: 'item', id: 'quit', label: 'Quit Shoal', enabled: true, action: { type: 'quit' } });
  return items;
}

export function folderLabel(f: TrayFolder): string {
  if (f.name) return f.name;
  const parts = f.dir.split(/[\\/]+/).filter(Boolean);
  return parts[parts.length - 1] ?? f.dir;
}

/** The disabled line under Pause: transfer speed, or what the engine is doing. */
export function statusLine(s: TrayMenuState): string {
  switch (s.engine) {
    case 'starting':
      return 'Starting…';
    case 'restarting':
      return 'Sync engine restarting…';
    case 'stopping':
      return 'Stopping…';
    case 'failed':
      return 'Sync engine stopped';
    case 'running':
      break;
  }
  if (s.paused) return 'Paused';
  if (s.speed.download > 0 || s.speed.upload > 0) return `↓ ${formatSpeed(s.speed.download)}   ↑ ${formatSpeed(s.speed.upload)}`;
  if (s.tray === 'disconnected') return 'No devices connected';
  if (s.tray === 'error') return 'Some folders have errors';
  if (s.tray === 'syncing') return 'Syncing…';
  return 'Up to date';
}

/** Bytes per second as people read it: "0 B/s", "950 B/s", "12.5 kB/s", "1.2 MB/s" (decimal units). */
export function formatSpeed(bytesPerSecond: number): string {
  const v = Number.isFinite(bytesPerSecond) && bytesPerSecond > 0 ? bytesPerSecond : 0;
  const units = ['B/s', 'kB/s', 'MB/s', 'GB/s'];
  let n = v;
  let u = 0;
  while (n >= 1000 && u < units.length - 1) {
    n /= 1000;
    u++;
  }
  const digits = u === 0 || n >= 100 ? 0 : 1;
  return `${n.toFixed(digits)} ${units[u]}`;
}

/** What the tray icon shows: the engine's own state while it runs, else disconnected/error. */
export function effectiveTrayState(s: Pick<TrayMenuState, 'tray' | 'engine' | 'paused'>): TrayState {
  if (s.engine === 'failed') return 'error';
  if (s.engine !== 'running') return 'disconnected';
  if (s.paused) return 'paused';
  return s.tray;
}

export function trayTooltip(s: TrayMenuState): string {
  const state = effectiveTrayState(s);
  const what: Record<TrayState, string> = {
    idle: 'up to date',
    syncing: 'syncing',
    paused: 'paused',
    error: s.engine === 'failed' ? 'the sync engine stopped' : 'some folders have errors',
    disconnected: s.engine === 'running' ? 'no devices connected' : 'starting',
  };
  return `Shoal — ${what[state]}`;
}

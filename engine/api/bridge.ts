import type { ErrorData } from './error-data.js';
import type { EngineEvents, EventName, MethodName, MethodParams, MethodResult } from './contract.js';

/**
 * `window.shoal`: the one object the desktop preload exposes to the renderer, and the shape
 * the Web UI builds for itself in the browser. Calls resolve to data (contextBridge drops
 * Error subclasses and their `code`), so failures come back as `{ ok: false, error }`.
 */

export type CallOutcome<M extends MethodName> = { ok: true; value: MethodResult<M> } | { ok: false; error: ErrorData };

export interface NativeActions {
  /** Open a folder in Finder / Explorer / the file manager. Desktop only. */
  openPath(path: string): Promise<{ ok: true } | { ok: false; error: ErrorData }>;
  /** The native folder picker; null when cancelled. Desktop only. */
  pickFolder(): Promise<string | null>;
  copyText(text: string): Promise<void>;
}

export interface ShoalBridge {
  /** 'desktop' in the Electron app, 'browser' for the Web UI. */
  readonly shell: 'desktop' | 'browser';
  readonly platform: 'darwin' | 'win32' | 'linux' | 'other';
  call<M extends MethodName>(method: M, params: MethodParams<M>): Promise<CallOutcome<M>>;
  on<E extends EventName>(event: E, fn: (payload: EngineEvents[E]) => void): () => void;
  /** Connection to the engine lost / back (engine restarted by the supervisor, WebSocket reconnect). */
  onConnection(fn: (connected: boolean) => void): () => void;
  /** null in the browser: the UI then offers a path field, shows paths to copy, etc. */
  readonly native: NativeActions | null;
}

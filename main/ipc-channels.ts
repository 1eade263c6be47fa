/**
 * Every Electron IPC channel between the main process and the preload, in one place. The
 * preload and main/electron/ipc.ts both read these names; nobody writes a channel string by
 * hand. Pure data: the preload bundle (browser-ish, sandboxed) imports it too.
 */

/** Native actions the renderer may ask for (`ipcRenderer.invoke` → `ipcMain.handle`). */
export const NATIVE_CHANNELS = {
  openPath: 'shoal:native:openPath',
  pickFolder: 'shoal:native:pickFolder',
  copyText: 'shoal:native:copyText',
} as const;

export type NativeActionName = keyof typeof NATIVE_CHANNELS;
export type NativeChannel = (typeof NATIVE_CHANNELS)[NativeActionName];

export const NATIVE_ACTION_NAMES = Object.keys(NATIVE_CHANNELS) as NativeActionName[];

/** Main → preload pushes (`webContents.postMessage` / `webContents.send` → `ipcRenderer.on`). */
export const PUSH_CHANNELS = {
  /** Carries a fresh MessagePort to the engine in `event.ports[0]` (window load, engine restart). */
  enginePort: 'shoal:engine-port',
  /** The engine went away (crash, restart, quit); a new port follows when it is back. */
  engineDown: 'shoal:engine-down',
} as const;

/**
 * What every native channel answers: data only, because contextBridge and IPC drop Error
 * subclasses and their `code`. The preload turns it back into each NativeActions result.
 */
export type NativeReply<T> = { ok: true; value: T } | { ok: false; error: { code: string; message: string } };

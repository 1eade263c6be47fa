import { clipboard, dialog, ipcMain, shell, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import { NATIVE_ACTION_NAMES, NATIVE_CHANNELS } from '../ipc-channels.js';
import { createNativeHandlers } from '../native-actions.js';
import { isAppUrl } from '../window-options.js';

/**
 * ipcMain handlers for the native channels (names from ipc-channels.ts only). Every call
 * must come from the app's own page (shoal://app); arguments are validated by
 * native-actions.ts before anything native happens.
 */
export function registerNativeHandlers(o: { window(): BrowserWindow | null; syncedFolders(): Promise<readonly string[]> }): void {
  const handlers = createNativeHandlers({
    openPath: (p) => shell.openPath(p),
    async pickDirectory() {
      const win = o.window();
      const opts = { title: 'Choose a folder to sync', properties: ['openDirectory', 'createDirectory'] as ('openDirectory' | 'createDirectory')[] };
      return win ? dialog.showOpenDialog(win, opts) : dialog.showOpenDialog(opts);
    },
    writeText: (text) => clipboard.writeText(text),
    syncedFolders: o.syncedFolders,
  });
  for (const name of NATIVE_ACTION_NAMES) {
    ipcMain.handle(NATIVE_CHANNELS[name], (event: IpcMainInvokeEvent, ...args: unknown[]) => {
      if (!isAppUrl(event.senderFrame?.url)) {
        return { ok: false, error: { code: 'UNAUTHORIZED', message: 'Not allowed from this page.' } };
      }
      return handlers[name](...args);
    });
  }
}

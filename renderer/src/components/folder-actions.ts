import type { FolderInfo } from '../../../engine/api/contract.js';
import { copyText } from '../lib/clipboard.js';
import { folderName, joinPath } from '../lib/format.js';
import type { AppServices } from '../state/hooks.js';
import { notify } from '../state/notify.js';

/**
 * Folder actions shared by the row (double-click, Enter) and its context menu. Opening a
 * path works only on the desktop; a browser cannot open folders on the daemon's machine,
 * so it shows the path to copy instead.
 */
export function folderActions({ bridge, store, ui }: AppServices) {
  async function openPath(path: string, title: string): Promise<void> {
    if (!bridge.native) return ui.getState().openDialog({ kind: 'showPath', title, path });
    const out = await bridge.native.openPath(path);
    if (!out.ok) notify(store, out.error);
  }

  return {
    open: (f: FolderInfo) => openPath(f.dir, `Open ${folderName(f.dir)}`),
    openArchive: (f: FolderInfo) => openPath(joinPath(f.dir, '.SyncArchive'), `SyncArchive of ${folderName(f.dir)}`),

    /** Copy the full-access secret; a read-only folder has none, so copy its read-only one and say so. */
    async copySecret(f: FolderInfo): Promise<void> {
      const out = await bridge.call('getSecrets', { secret: f.secret });
      if (!out.ok) return notify(store, out.error);
      const name = folderName(f.dir);
      const full = out.value.read_write;
      try {
        await copyText(bridge, full ?? out.value.read_only);
      } catch (err) {
        return notify(store, { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) });
      }
      notify(store, {
        code: 'INFO',
        message: full
          ? `Copied the full-access secret of “${name}”.`
          : `“${name}” is a read-only folder: copied its read-only secret (it has no full-access secret here).`,
      });
    },
  };
}

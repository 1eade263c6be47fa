import { useEffect } from 'react';
import { AddFolderDialog } from '../dialogs/AddFolderDialog.js';
import { ConnectMobileDialog } from '../dialogs/ConnectMobileDialog.js';
import { FolderInfoDialog } from '../dialogs/FolderInfoDialog.js';
import { FolderPrefsDialog } from '../dialogs/FolderPrefsDialog.js';
import { RemoveFolderDialog } from '../dialogs/RemoveFolderDialog.js';
import { ShowPathDialog } from '../dialogs/ShowPathDialog.js';
import { SyncQueueDialog } from '../dialogs/SyncQueueDialog.js';
import { useApp, useServices, useUi } from '../state/hooks.js';

/**
 * Renders the one open dialog. Folder dialogs get the folder's current row from the store,
 * so they update live, and close by themselves if the folder is removed meanwhile.
 */
export function DialogHost() {
  const { ui } = useServices();
  const dialog = useUi((s) => s.dialog);
  const dir = dialog && 'dir' in dialog ? dialog.dir : null;
  const folder = useApp((s) => (dir === null ? null : (s.folders.find((f) => f.dir === dir) ?? null)));
  const loaded = useApp((s) => s.loaded);
  const close = () => ui.getState().closeDialog();
  const folderGone = dir !== null && folder === null && loaded;

  useEffect(() => {
    if (folderGone) close();
  });

  if (!dialog) return null;
  switch (dialog.kind) {
    case 'addFolder':
      return <AddFolderDialog onClose={close} />;
    case 'showPath':
      return <ShowPathDialog title={dialog.title} path={dialog.path} onClose={close} />;
    case 'syncQueue':
      return <SyncQueueDialog peerId={dialog.peerId} onClose={close} />;
  }
  if (!folder) return null;
  switch (dialog.kind) {
    case 'folderInfo':
      return <FolderInfoDialog folder={folder} onClose={close} />;
    case 'connectMobile':
      return <ConnectMobileDialog folder={folder} onClose={close} />;
    case 'folderPrefs':
      return <FolderPrefsDialog folder={folder} onClose={close} />;
    case 'removeFolder':
      return <RemoveFolderDialog folder={folder} onClose={close} />;
  }
}

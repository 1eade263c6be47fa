import { useState } from 'react';
import type { FolderInfo } from '../../../engine/api/contract.js';
import { Dialog } from '../components/Dialog.js';
import { folderName } from '../lib/format.js';
import { useBridge, useServices } from '../state/hooks.js';
import { notify } from '../state/notify.js';

/** Confirm removing a folder from sync; its files stay where they are. */
export function RemoveFolderDialog({ folder, onClose }: { folder: FolderInfo; onClose(): void }) {
  const bridge = useBridge();
  const { store } = useServices();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const name = folderName(folder.dir);

  const remove = async () => {
    setBusy(true);
    const out = await bridge.call('removeFolder', { secret: folder.secret });
    setBusy(false);
    if (!out.ok) return setError(out.error.message);
    store.setState((s) => ({ folders: s.folders.filter((f) => f.dir !== folder.dir) }));
    notify(store, { code: 'INFO', message: `Stopped syncing “${name}”. Its files are still in ${folder.dir}.` });
    onClose();
  };

  return (
    <Dialog
      title={`Remove “${name}”?`}
      onClose={onClose}
      testid="remove-folder-dialog"
      footer={
        <>
          <button type="button" className="button" onClick={onClose} data-autofocus>
            Cancel
          </button>
          <button type="button" className="button danger" disabled={busy} onClick={() => void remove()} data-testid="remove-confirm">
            {busy ? 'Removing…' : 'Remove'}
          </button>
        </>
      }
    >
      <p>
        This device stops syncing <strong>{folder.dir}</strong>. The files stay on disk, untouched; other devices keep their copies and keep syncing
        with each other.
      </p>
      <p className="field-note">To sync it again later, add the folder with the same secret.</p>
      {error ? (
        <p className="field-error" role="alert">
          {error}
        </p>
      ) : null}
    </Dialog>
  );
}

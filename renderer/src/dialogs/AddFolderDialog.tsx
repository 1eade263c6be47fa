import { useId, useState, type FormEvent } from 'react';
import { Dialog } from '../components/Dialog.js';
import { addFolderErrorField } from '../lib/errors.js';
import { folderName } from '../lib/format.js';
import { useBridge, useServices } from '../state/hooks.js';
import { notify } from '../state/notify.js';

/**
 * Add Folder: a secret (pasted, generated, or left empty for a new one) and a folder. On the
 * desktop the folder comes from the native picker; in a browser it is typed, and it is a
 * path on the machine the daemon runs on, not on the browser's machine.
 */
export function AddFolderDialog({ onClose }: { onClose(): void }) {
  const bridge = useBridge();
  const { store } = useServices();
  const [secret, setSecret] = useState('');
  const [dir, setDir] = useState('');
  const [errors, setErrors] = useState<{ secret?: string; dir?: string; form?: string }>({});
  const [busy, setBusy] = useState(false);
  const ids = { secret: useId(), dir: useId() };
  const native = bridge.native;

  const generate = async () => {
    const out = await bridge.call('generateSecret', {});
    if (!out.ok) return setErrors({ secret: out.error.message });
    setSecret(out.value.read_write ?? out.value.read_only);
    setErrors(({ secret: _s, ...rest }) => rest);
  };

  const pick = async () => {
    const picked = await native?.pickFolder();
    if (picked) {
      setDir(picked);
      setErrors(({ dir: _d, ...rest }) => rest);
    }
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (dir.trim() === '') return setErrors({ dir: 'Choose the folder to sync.' });
    setBusy(true);
    setErrors({});
    const out = await bridge.call('addFolder', { dir: dir.trim(), ...(secret.trim() ? { secret: secret.trim() } : {}) });
    setBusy(false);
    if (!out.ok) return setErrors({ [addFolderErrorField(out.error, dir)]: out.error.message });
    // Shown at once; the foldersChanged event that follows refetches the full list.
    store.setState((s) => ({ folders: [...s.folders.filter((f) => f.dir !== out.value.dir), out.value] }));
    notify(store, { code: 'INFO', message: `Added “${folderName(out.value.dir)}”.` });
    onClose();
  };

  return (
    <Dialog title="Add Folder" onClose={onClose} testid="add-folder-dialog">
      <form onSubmit={(e) => void submit(e)} noValidate>
        <div className="field">
          <label htmlFor={ids.secret}>Secret</label>
          <div className="input-row">
            <input
              id={ids.secret}
              value={secret}
              onChange={(e) => setSecret(e.target.value)}
              placeholder="Paste a secret, or leave empty for a new one"
              spellCheck={false}
              autoComplete="off"
              className="mono"
              aria-invalid={errors.secret ? true : undefined}
              aria-describedby={`${ids.secret}-note`}
              data-testid="add-folder-secret"
              data-autofocus
            />
            <button type="button" className="button" onClick={() => void generate()} data-testid="add-folder-generate">
              Generate
            </button>
          </div>
          <p id={`${ids.secret}-note`} className="field-note">
            A full-access secret (A…) lets this device change the folder; a read-only secret (B…) only receives it.
          </p>
          {errors.secret ? (
            <p className="field-error" role="alert" data-testid="add-folder-secret-error">
              {errors.secret}
            </p>
          ) : null}
        </div>
        <div className="field">
          <label htmlFor={ids.dir}>Folder</label>
          <div className="input-row">
            <input
              id={ids.dir}
              value={dir}
              onChange={(e) => setDir(e.target.value)}
              placeholder={native ? 'Choose a folder…' : '/full/path/on/the/daemon/machine'}
              spellCheck={false}
              autoComplete="off"
              aria-invalid={errors.dir ? true : undefined}
              aria-describedby={`${ids.dir}-note`}
              data-testid="add-folder-path"
            />
            {native ? (
              <button type="button" className="button" onClick={() => void pick()} data-testid="add-folder-browse">
                Choose…
              </button>
            ) : null}
          </div>
          <p id={`${ids.dir}-note`} className="field-note">
            {native
              ? 'The folder to keep in sync; it may already contain files.'
              : 'The full path of a folder on the machine where Shoal runs (not necessarily this computer). It must exist.'}
          </p>
          {errors.dir ? (
            <p className="field-error" role="alert" data-testid="add-folder-path-error">
              {errors.dir}
            </p>
          ) : null}
        </div>
        {errors.form ? (
          <p className="field-error" role="alert" data-testid="add-folder-error">
            {errors.form}
          </p>
        ) : null}
        <div className="dialog-footer">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button primary" disabled={busy} data-testid="add-folder-submit">
            {busy ? 'Adding…' : 'Add'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

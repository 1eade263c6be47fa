import { useState } from 'react';
import type { FolderInfo } from '../../../engine/api/contract.js';
import { CopyButton } from '../components/CopyButton.js';
import { Dialog } from '../components/Dialog.js';
import { btsyncLink } from '../lib/btsync-link.js';
import { folderName } from '../lib/format.js';
import { QrCode } from './QrCode.js';
import { useEngineData } from './useEngineData.js';

/** Connect Mobile: a QR code of the folder's btsync:// link, full access or read only. */
export function ConnectMobileDialog({ folder, onClose }: { folder: FolderInfo; onClose(): void }) {
  const secrets = useEngineData('getSecrets', { secret: folder.secret }, []);
  const full = secrets.value?.read_write;
  const [access, setAccess] = useState<'full' | 'read_only'>(folder.type === 'read_only' ? 'read_only' : 'full');
  const name = folderName(folder.dir);
  const secret = access === 'full' && full ? full : secrets.value?.read_only;

  return (
    <Dialog
      title={`Connect Mobile — ${name}`}
      onClose={onClose}
      testid="connect-mobile-dialog"
      footer={
        <button type="button" className="button primary" onClick={onClose}>
          Done
        </button>
      }
    >
      <p className="field-note">Scan this code with the Sync app on your phone or tablet to add “{name}” there.</p>
      <fieldset className="segmented" aria-label="Access for the mobile device">
        <label className={access === 'full' ? 'selected' : undefined}>
          <input type="radio" name="qr-access" checked={access === 'full'} disabled={!full} onChange={() => setAccess('full')} data-testid="qr-access-full" />
          Full access
        </label>
        <label className={access === 'read_only' ? 'selected' : undefined}>
          <input type="radio" name="qr-access" checked={access === 'read_only'} onChange={() => setAccess('read_only')} data-testid="qr-access-readonly" />
          Read only
        </label>
      </fieldset>
      {secrets.value && !full ? <p className="field-note">This folder is read-only here, so it can only be shared read-only.</p> : null}
      {secrets.error ? <p className="field-error">{secrets.error.message}</p> : null}
      {secret ? (
        <>
          <QrCode text={btsyncLink(secret, name)} label={`QR code for ${name} (${access === 'full' ? 'full access' : 'read only'})`} />
          <div className="secret-box">
            <code className="mono selectable" data-testid="secret-text">
              {secret}
            </code>
            <CopyButton text={secret} testid="copy-secret-text" what="secret" />
          </div>
        </>
      ) : null}
    </Dialog>
  );
}

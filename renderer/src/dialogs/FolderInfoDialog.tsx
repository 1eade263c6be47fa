import type { FolderInfo } from '../../../engine/api/contract.js';
import { CopyButton } from '../components/CopyButton.js';
import { Dialog } from '../components/Dialog.js';
import { CloudIcon } from '../components/Icons.js';
import { SECRET_KINDS } from '../lib/availability.js';
import { folderStatus } from '../lib/derive.js';
import { folderName, formatBytes, formatCount, formatTime, shortId } from '../lib/format.js';
import { useApp } from '../state/hooks.js';
import { useEngineData } from './useEngineData.js';

/**
 * Folder Info: the folder's secrets (each with Copy), where it is, how big, its status and
 * the devices it syncs with. A read-only folder has only its read-only secret. More secret
 * kinds (one-time, encrypted) come from SECRET_KINDS when the engine offers them.
 */
export function FolderInfoDialog({ folder, onClose }: { folder: FolderInfo; onClose(): void }) {
  const devices = useApp((s) => s.devices);
  const secrets = useEngineData('getSecrets', { secret: folder.secret }, []);
  const peers = useEngineData('getFolderPeers', { secret: folder.secret }, [devices]);
  const status = folderStatus(folder);
  const readOnly = folder.type === 'read_only';

  return (
    <Dialog
      title={`${folderName(folder.dir)} — Folder Info`}
      onClose={onClose}
      testid="folder-info-dialog"
      wide
      footer={
        <button type="button" className="button primary" onClick={onClose}>
          Close
        </button>
      }
    >
      <section aria-label="Secrets">
        <h3 className="section-title">Secrets</h3>
        {readOnly ? <p className="field-note">This device has read-only access, so only the read-only secret is known here.</p> : null}
        {secrets.error ? <p className="field-error">{secrets.error.message}</p> : null}
        {secrets.value
          ? SECRET_KINDS.map((kind) => {
              const value = secrets.value?.[kind.key];
              if (!value) return null;
              return (
                <div key={kind.key} className="secret-line">
                  <span className="secret-kind">{kind.label}</span>
                  <code className="mono selectable" data-testid={kind.testid}>
                    {value}
                  </code>
                  <CopyButton text={value} testid={`copy-${kind.testid}`} what={`${kind.label.toLowerCase()} secret`} />
                </div>
              );
            })
          : null}
      </section>
      <dl className="facts">
        <dt>Path</dt>
        <dd className="selectable" data-testid="info-path">
          {folder.dir}
        </dd>
        <dt>Access</dt>
        <dd>{readOnly ? 'Read only' : 'Full access'}</dd>
        <dt>Size</dt>
        <dd data-testid="info-size">
          {formatBytes(folder.size)} in {formatCount(folder.files)} {folder.files === 1 ? 'file' : 'files'}
        </dd>
        <dt>Status</dt>
        <dd className={`status-${status.kind}`} data-testid="info-status">
          {status.text}
        </dd>
      </dl>
      <section aria-label="Devices">
        <h3 className="section-title">Devices</h3>
        {peers.error ? <p className="field-error">{peers.error.message}</p> : null}
        {peers.value && peers.value.length === 0 ? <p className="muted">No device is connected for this folder right now.</p> : null}
        {peers.value && peers.value.length > 0 ? (
          <table className="peers-table" data-testid="info-peers">
            <thead>
              <tr>
                <th scope="col">Device</th>
                <th scope="col">Address</th>
                <th scope="col">Last in sync</th>
                <th scope="col">Left</th>
              </tr>
            </thead>
            <tbody>
              {peers.value.map((p) => (
                <tr key={p.id} data-testid="info-peer">
                  <td>
                    {p.name || shortId(p.id)} {p.connection === 'relay' ? <CloudIcon size={14} title="Through a relay" /> : null}
                  </td>
                  <td>
                    {p.address} <span className={p.lan ? 'badge lan' : 'badge wan'}>{p.lan ? 'LAN' : 'WAN'}</span>
                  </td>
                  <td>{p.synced > 0 ? formatTime(p.synced * 1000) : 'Not yet'}</td>
                  <td>{p.download > 0 || p.upload > 0 ? `↓ ${formatBytes(p.download)} ↑ ${formatBytes(p.upload)}` : 'Synced'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </section>
    </Dialog>
  );
}

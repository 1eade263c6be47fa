import type { DeviceInfo } from '../../../engine/api/contract.js';
import { CloudIcon, DeviceIcon, InfoIcon } from '../components/Icons.js';
import { deviceFolderStatus } from '../lib/derive.js';
import { folderName, formatSpeed, shortId } from '../lib/format.js';

/** One connected device: who, where, over what, and how each shared folder stands. */
export function DeviceRow({ device, speed, onQueue }: { device: DeviceInfo; speed?: { download: number; upload: number }; onQueue(): void }) {
  const relay = device.connection === 'relay';
  const down = speed?.download ?? device.download_speed;
  const up = speed?.upload ?? device.upload_speed;
  const allSynced = device.folders.every((f) => f.synced);
  return (
    <li className="device-row" data-testid="device-row" data-device-id={device.id}>
      <span className="device-icon">
        <DeviceIcon size={22} />
      </span>
      <div className="device-main">
        <div className="device-title">
          <span className="device-name">{device.name || 'Unnamed device'}</span>
          {relay ? (
            <span className="relay" data-testid="device-relay">
              <CloudIcon size={16} title="Connected through a relay server" />
            </span>
          ) : null}
          <code className="device-id" title={device.id}>
            {shortId(device.id)}
          </code>
        </div>
        <div className="device-meta muted">
          <span>{device.address}</span>
          <span className={device.lan ? 'badge lan' : 'badge wan'} data-testid="device-locality">
            {device.lan ? 'LAN' : 'WAN'}
          </span>
          {down > 0 || up > 0 ? (
            <span>
              ↓ {formatSpeed(down)} ↑ {formatSpeed(up)}
            </span>
          ) : null}
        </div>
        {device.folders.length === 0 ? (
          <p className="muted small">No shared folders yet.</p>
        ) : (
          <ul className="device-folders" aria-label={`Folders shared with ${device.name}`}>
            {device.folders.map((f) => (
              <li key={f.folder} data-testid="device-folder" data-dir={f.dir}>
                <span className="device-folder-name" title={f.dir}>
                  {folderName(f.dir)}
                </span>
                <span className={f.synced ? 'status-synced' : 'status-syncing'} data-testid="device-folder-status">
                  {deviceFolderStatus(f)}
                </span>
              </li>
            ))}
          </ul>
        )}
      </div>
      <div className="device-side">
        <span className={allSynced ? 'status-synced' : 'status-syncing'} data-testid="device-status">
          {allSynced ? 'Synced' : 'Syncing'}
        </span>
        <button type="button" className="icon-button" aria-label={`Sync queue with ${device.name}`} title="Sync queue" data-testid="device-queue" onClick={onQueue}>
          <InfoIcon />
        </button>
      </div>
    </li>
  );
}

import type { TransferInfo } from '../../../engine/api/contract.js';
import { EmptyState } from '../components/EmptyState.js';
import { DownIcon, UpIcon } from '../components/Icons.js';
import { VirtualList } from '../components/VirtualList.js';
import { folderName, formatBytes, formatSpeed, percent, shortId } from '../lib/format.js';
import { useApp } from '../state/hooks.js';

const ROW_HEIGHT = 58;

/** Transfers: files moving right now, and the speed with each device. */
export function TransfersTab() {
  const transfers = useApp((s) => s.transfers);
  const devices = useApp((s) => s.devices);
  const peerSpeeds = useApp((s) => s.peerSpeeds);
  const loaded = useApp((s) => s.loaded);
  const nameOf = (id: string) => devices.find((d) => d.id === id)?.name ?? shortId(id);
  // The last speed event's per-device sample; before the first one, what getDevices said.
  const speeds: Record<string, { download: number; upload: number }> = {};
  for (const d of devices) speeds[d.id] = { download: d.download_speed, upload: d.upload_speed };
  Object.assign(speeds, peerSpeeds);
  const moving = Object.entries(speeds).filter(([, s]) => s.download > 0 || s.upload > 0);

  return (
    <div className="tab-page">
      <div className="toolbar">
        <h2 className="page-title">Transfers</h2>
      </div>
      {moving.length > 0 ? (
        <ul className="peer-speeds" aria-label="Speed per device" data-testid="peer-speeds">
          <li className="muted">Per device:</li>
          {moving.map(([id, s]) => (
            <li key={id} data-testid="peer-speed" data-device-id={id}>
              <span className="device-name">{nameOf(id)}</span>
              <span>
                <DownIcon size={12} /> {formatSpeed(s.download)}
              </span>
              <span>
                <UpIcon size={12} /> {formatSpeed(s.upload)}
              </span>
            </li>
          ))}
        </ul>
      ) : null}
      {loaded && transfers.length === 0 ? (
        <EmptyState title="Nothing is being transferred" testid="transfers-empty">
          <p>Files show up here while they are downloaded from or uploaded to your devices.</p>
        </EmptyState>
      ) : (
        <VirtualList count={transfers.length} rowHeight={ROW_HEIGHT} label="Transfers" testid="transfer-list" renderRow={(i) => <TransferRow t={transfers[i]!} />} />
      )}
    </div>
  );
}

function TransferRow({ t }: { t: TransferInfo }) {
  const pct = percent(t.done, t.size);
  const down = t.direction === 'down';
  const who = t.peers.map((p) => p.name || shortId(p.id)).join(', ') || '—';
  return (
    <div className="transfer-row" data-testid="transfer-row" data-path={t.path} data-direction={t.direction}>
      <span className={down ? 'dir down' : 'dir up'} aria-label={down ? 'Downloading' : 'Uploading'}>
        {down ? <DownIcon /> : <UpIcon />}
      </span>
      <div className="transfer-main">
        <div className="transfer-title">
          <span className="transfer-path" title={t.path}>
            {t.path}
          </span>
          <span className="muted small">{t.dir ? folderName(t.dir) : ''}</span>
        </div>
        <div className="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} aria-label={`${t.path} ${pct}%`}>
          <div className="progress-fill" style={{ width: `${pct}%` }} />
        </div>
        <div className="transfer-meta muted small">
          <span>
            {down ? 'from' : 'to'} {who}
          </span>
          <span>
            {formatBytes(t.done)} of {formatBytes(t.size)} ({pct}%)
          </span>
          <span>{formatSpeed(t.speed)}</span>
        </div>
      </div>
    </div>
  );
}

import type { QueueItem } from '../../../engine/api/contract.js';
import { Dialog } from '../components/Dialog.js';
import { folderName, formatBytes, plural, shortId } from '../lib/format.js';
import { useApp } from '../state/hooks.js';
import { useEngineData } from './useEngineData.js';

/** How many files of each direction the dialog lists; the totals cover the whole queue. */
const QUEUE_LIMIT = 200;

/**
 * Sync Queue (the ⓘ of a device): the files still to download from and upload to it.
 * Refetched whenever the store's entry for the device changes (the devices slice is
 * refetched on transfer and sync events), so it follows progress without polling.
 */
export function SyncQueueDialog({ peerId, onClose }: { peerId: string; onClose(): void }) {
  const device = useApp((s) => s.devices.find((d) => d.id === peerId) ?? null);
  const queue = useEngineData('getSyncQueue', { peerId, limit: QUEUE_LIMIT }, [device]);
  const name = device?.name || shortId(peerId);

  return (
    <Dialog
      title={`Sync Queue — ${name}`}
      onClose={onClose}
      testid="sync-queue-dialog"
      wide
      footer={
        <button type="button" className="button primary" onClick={onClose}>
          Close
        </button>
      }
    >
      {!device ? <p className="field-note">This device is not connected any more.</p> : null}
      {queue.error ? <p className="field-error">{queue.error.message}</p> : null}
      {queue.value ? (
        <div className="queue-columns">
          <QueueList title="To download" items={queue.value.download} files={queue.value.download_files} bytes={queue.value.download_bytes} testid="queue-download" />
          <QueueList title="To upload" items={queue.value.upload} files={queue.value.upload_files} bytes={queue.value.upload_bytes} testid="queue-upload" />
        </div>
      ) : !queue.error ? (
        <p className="muted">Loading…</p>
      ) : null}
    </Dialog>
  );
}

function QueueList({ title, items, files, bytes, testid }: { title: string; items: QueueItem[]; files: number; bytes: number; testid: string }) {
  return (
    <section className="queue" aria-label={title} data-testid={testid}>
      <h3 className="section-title">
        {title}: <span data-testid={`${testid}-total`}>{files === 0 ? 'nothing' : `${plural(files, 'file')}, ${formatBytes(bytes)}`}</span>
      </h3>
      {items.length > 0 ? (
        <ul className="queue-list">
          {items.map((q) => (
            <li key={`${q.folder}/${q.path}`} data-testid="queue-item">
              <span className="queue-path" title={`${q.dir} / ${q.path}`}>
                {q.path}
              </span>
              <span className="muted small">{folderName(q.dir)}</span>
              <span className="queue-size">{q.left < q.size ? `${formatBytes(q.left)} of ${formatBytes(q.size)}` : formatBytes(q.size)}</span>
            </li>
          ))}
        </ul>
      ) : null}
      {files > items.length ? <p className="field-note">…and {plural(files - items.length, 'more file')}.</p> : null}
    </section>
  );
}

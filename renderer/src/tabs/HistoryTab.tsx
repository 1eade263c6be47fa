import { useId, useMemo, useState } from 'react';
import type { HistoryEntry } from '../../../engine/api/contract.js';
import { EmptyState } from '../components/EmptyState.js';
import { VirtualList } from '../components/VirtualList.js';
import { HISTORY_LABELS, historyDetail, historyFolderChoices } from '../lib/derive.js';
import { deviceLabel, folderName, formatTime } from '../lib/format.js';
import { useApp } from '../state/hooks.js';

const ROW_HEIGHT = 44;

/** History: what changed, where, by which device, newest first; virtualized for long logs. */
export function HistoryTab() {
  const history = useApp((s) => s.history);
  const folders = useApp((s) => s.folders);
  const loaded = useApp((s) => s.loaded);
  const [dir, setDir] = useState('');
  const filterId = useId();
  const choices = useMemo(() => historyFolderChoices(folders, history), [folders, history]);
  const shown = useMemo(() => (dir ? history.filter((h) => h.dir === dir) : history), [history, dir]);
  const now = Date.now();

  return (
    <div className="tab-page">
      <div className="toolbar">
        <h2 className="page-title">History</h2>
        <label htmlFor={filterId} className="filter-label">
          Folder
        </label>
        <select id={filterId} value={dir} onChange={(e) => setDir(e.target.value)} data-testid="history-filter">
          <option value="">All folders</option>
          {choices.map((d) => (
            <option key={d} value={d}>
              {folderName(d)} — {d}
            </option>
          ))}
        </select>
      </div>
      {loaded && shown.length === 0 ? (
        <EmptyState title={dir ? 'Nothing happened in this folder yet' : 'No history yet'} testid="history-empty">
          <p>Files added, changed, renamed or deleted on any device show up here, newest first.</p>
        </EmptyState>
      ) : (
        <VirtualList count={shown.length} rowHeight={ROW_HEIGHT} label="History" testid="history-list" renderRow={(i) => <HistoryRow e={shown[i]!} now={now} />} />
      )}
    </div>
  );
}

function HistoryRow({ e, now }: { e: HistoryEntry; now: number }) {
  const detail = historyDetail(e);
  return (
    <div className={`history-row kind-${e.kind}`} data-testid="history-row" data-kind={e.kind} data-seq={e.seq}>
      <span className={`kind kind-${e.kind}`}>{HISTORY_LABELS[e.kind]}</span>
      <span className="history-detail" title={detail}>
        {detail}
      </span>
      <span className="history-folder muted" title={e.dir}>
        {folderName(e.dir)}
      </span>
      <span className="history-device">{deviceLabel(e.device)}</span>
      <time className="history-time muted" dateTime={new Date(e.at).toISOString()}>
        {formatTime(e.at, now)}
      </time>
    </div>
  );
}

import type { DeviceFolder, DeviceInfo, FolderInfo, HistoryEntry, HistoryKind } from '../../../engine/api/contract.js';
import { formatBytes } from './format.js';

/** Small pure views of engine data that several components show the same way. */

export type FolderStatusKind = 'error' | 'indexing' | 'syncing' | 'synced';

export function folderStatus(f: FolderInfo): { kind: FolderStatusKind; text: string } {
  if (f.error !== 0 || f.error_message) return { kind: 'error', text: f.error_message ?? `Error ${f.error}` };
  if (f.indexing) return { kind: 'indexing', text: 'Indexing…' };
  const left = leftText(f.down_bytes, f.up_bytes);
  return left ? { kind: 'syncing', text: left } : { kind: 'synced', text: 'Synced' };
}

/** "↓ 1.5 MB left", "↓ 2 kB · ↑ 1 MB left", or '' when nothing is left. */
export function leftText(down: number, up: number): string {
  const parts: string[] = [];
  if (down > 0) parts.push(`↓ ${formatBytes(down)}`);
  if (up > 0) parts.push(`↑ ${formatBytes(up)}`);
  return parts.length ? `${parts.join(' · ')} left` : '';
}

export function deviceFolderStatus(df: DeviceFolder): string {
  if (df.synced) return 'Synced';
  return leftText(df.download, df.upload) || 'Syncing…';
}

/** Every connected device that shares the folder at `dir`. */
export function devicesOfFolder(devices: readonly DeviceInfo[], dir: string): DeviceInfo[] {
  return devices.filter((d) => d.folders.some((f) => f.dir === dir));
}

export const HISTORY_LABELS: Record<HistoryKind, string> = {
  added: 'Added',
  updated: 'Updated',
  deleted: 'Deleted',
  renamed: 'Renamed',
  conflict: 'Conflict',
  sync_finished: 'Sync finished',
};

/** The line's main text: the file, the rename's old name, or where a conflict's loser went. */
export function historyDetail(e: HistoryEntry): string {
  switch (e.kind) {
    case 'renamed':
      return e.from ? `${e.from} → ${e.path}` : e.path;
    case 'conflict':
      return e.from ? `${e.path} (other version kept as ${e.from})` : e.path;
    case 'sync_finished':
      return 'All files are up to date';
    default:
      return e.path;
  }
}

/** The folder filter's choices: every synced folder, plus folders that only History still names. */
export function historyFolderChoices(folders: readonly FolderInfo[], history: readonly HistoryEntry[]): string[] {
  const dirs = new Set(folders.map((f) => f.dir));
  for (const h of history) if (h.dir) dirs.add(h.dir);
  return [...dirs].sort((a, b) => a.localeCompare(b));
}

import type { EngineEvents, EventName, HistoryEntry } from '../api/contract.js';
import type { HistoryStore } from './history-store.js';

type On = <E extends EventName>(event: E, fn: (payload: EngineEvents[E]) => void) => () => void;

/**
 * Turns the engine's file and sync events into History entries: stored, then announced as a
 * `history` event. Local changes arrive as the same events with device '' and are recorded too.
 * Returns a function that stops recording.
 */
export function recordHistory(on: On, store: HistoryStore, emit: (e: HistoryEntry) => void): () => void {
  const add = (entry: Omit<HistoryEntry, 'seq'>): void => emit(store.add(entry));
  const file = (p: EngineEvents['fileDeleted']) => ({ folder: p.folder, dir: p.dir, path: p.path, device: p.device, at: p.at });
  const offs = [
    on('fileAdded', (p) => add({ kind: 'added', ...file(p) })),
    on('fileUpdated', (p) => add({ kind: 'updated', ...file(p) })),
    on('fileDeleted', (p) => add({ kind: 'deleted', ...file(p) })),
    on('fileRenamed', (p) => add({ kind: 'renamed', ...file(p), from: p.from })),
    on('conflict', (p) => add({ kind: 'conflict', ...file(p), from: p.archivedAs })),
    on('syncFinished', (p) => add({ kind: 'sync_finished', folder: p.folder, dir: p.dir, path: '', device: '', at: p.at })),
  ];
  return () => {
    for (const off of offs) off();
  };
}

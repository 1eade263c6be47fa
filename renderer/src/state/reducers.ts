import type { DeviceInfo, EngineEvents, EventName, FolderInfo, TransferInfo } from '../../../engine/api/contract.js';
import type { ErrorData } from '../../../engine/api/error-data.js';
import { HISTORY_CAP, NOTICE_CAP, type AppState, type Notice } from './app-state.js';
import { mergeHistory } from './history.js';

/**
 * How each engine event changes the store: pure functions (state, payload) -> patch, so a
 * sequence of events can be replayed in a unit test. Events that only say "something
 * changed" (foldersChanged, syncFinished, file events) patch nothing here: state/sync.ts
 * refetches the slice they concern.
 */

type Reducer<E extends EventName> = (state: AppState, payload: EngineEvents[E]) => Partial<AppState> | null;

let nextNoticeId = 1;

export function addNotice(state: AppState, error: ErrorData | { code: 'INFO'; message: string }): Partial<AppState> {
  const notice: Notice = { id: nextNoticeId++, code: error.code, message: error.message };
  // The same message again (a folder failing every rescan) replaces the old one, not stacks.
  const rest = state.notices.filter((n) => n.message !== notice.message);
  return { notices: [...rest, notice].slice(-NOTICE_CAP) };
}

export function transferKey(t: { folder: string; path: string; direction: 'down' | 'up' }): string {
  return `${t.folder}\u0000${t.direction}\u0000${t.path}`;
}

function patchFolder(folders: FolderInfo[], dir: string, patch: Partial<FolderInfo>): FolderInfo[] {
  let hit = false;
  const out = folders.map((f) => {
    if (f.dir !== dir) return f;
    hit = true;
    return { ...f, ...patch };
  });
  return hit ? out : folders;
}

/** A folder id's path, from what the store already knows (transferProgress carries only the id). */
function dirOfFolder(state: AppState, folderId: string): string {
  for (const t of state.transfers) if (t.folder === folderId) return t.dir;
  for (const d of state.devices) for (const f of d.folders) if (f.folder === folderId) return f.dir;
  for (const h of state.history) if (h.folder === folderId) return h.dir;
  return '';
}

function deviceName(state: AppState, id: string): string {
  return state.devices.find((d) => d.id === id)?.name ?? id.slice(0, 8);
}

const reducers: { [E in EventName]?: Reducer<E> } = {
  status: (_s, status) => ({ status, speed: { download: status.speed.download, upload: status.speed.upload } }),

  speed: (_s, p) => {
    const peerSpeeds: AppState['peerSpeeds'] = {};
    for (const peer of p.peers) peerSpeeds[peer.id] = { download: peer.download, upload: peer.upload };
    return { speed: { download: p.download, upload: p.upload }, peerSpeeds };
  },

  history: (s, entry) => ({ history: mergeHistory(s.history, [entry], HISTORY_CAP) }),

  prefs: (_s, prefs) => ({ prefs }),
  uiPrefs: (_s, uiPrefs) => ({ uiPrefs }),

  folderState: (s, p) => {
    const folders = patchFolder(s.folders, p.dir, {
      indexing: p.indexing ? 1 : 0,
      error: p.error ? 1 : 0,
      error_code: p.error?.code ?? null,
      error_message: p.error?.message ?? null,
    });
    return folders === s.folders ? null : { folders };
  },

  peerConnected: (s, p) => {
    if (s.devices.some((d) => d.id === p.peerId)) return null;
    // Shown at once; the devices refetch this event triggers fills in folders and speeds.
    const device: DeviceInfo = {
      id: p.peerId,
      name: p.name,
      address: p.address,
      lan: p.lan,
      connection: 'direct',
      download_speed: 0,
      upload_speed: 0,
      folders: [],
    };
    return { devices: [...s.devices, device] };
  },

  peerDisconnected: (s, p) => {
    const devices = s.devices.filter((d) => d.id !== p.peerId);
    const { [p.peerId]: _gone, ...peerSpeeds } = s.peerSpeeds;
    return { devices, peerSpeeds };
  },

  transferProgress: (s, p) => {
    const key = transferKey(p);
    const i = s.transfers.findIndex((t) => transferKey(t) === key);
    const finished = p.bytesTotal > 0 && p.bytesDone >= p.bytesTotal;
    if (i >= 0) {
      const transfers = s.transfers.slice();
      if (finished) transfers.splice(i, 1);
      else {
        const t = s.transfers[i]!;
        const peers = t.peers.some((x) => x.id === p.peerId) ? t.peers : [...t.peers, { id: p.peerId, name: deviceName(s, p.peerId) }];
        transfers[i] = { ...t, done: p.bytesDone, size: p.bytesTotal, peers };
      }
      return { transfers };
    }
    if (finished) return null;
    const added: TransferInfo = {
      folder: p.folder,
      dir: dirOfFolder(s, p.folder),
      path: p.path,
      direction: p.direction,
      size: p.bytesTotal,
      done: p.bytesDone,
      peers: [{ id: p.peerId, name: deviceName(s, p.peerId) }],
      speed: 0,
    };
    return { transfers: [...s.transfers, added] };
  },

  error: (s, p) => addNotice(s, { code: p.code, message: p.message }),
};

/** The store patch for one event, or null when the event changes nothing by itself. */
export function reduceEvent<E extends EventName>(state: AppState, name: E, payload: EngineEvents[E]): Partial<AppState> | null {
  const reducer = reducers[name] as Reducer<E> | undefined;
  return reducer ? reducer(state, payload) : null;
}

/** Apply a patch to a state (what zustand's setState does), for replaying events in tests. */
export function applyEvents(state: AppState, events: ReadonlyArray<{ [E in EventName]: [E, EngineEvents[E]] }[EventName]>): AppState {
  let s = state;
  for (const [name, payload] of events) {
    const patch = reduceEvent(s, name, payload as never);
    if (patch) s = { ...s, ...patch };
  }
  return s;
}

import type {
  DeviceInfo,
  EngineStatus,
  FolderInfo,
  HistoryEntry,
  Prefs,
  Speed,
  TransferInfo,
  UiPrefs,
} from '../../../engine/api/contract.js';
import type { ErrorCode } from '../../../engine/api/error-data.js';

/**
 * Everything the window shows about the engine, in one zustand store. It is filled by one
 * initial fetch and then kept current by engine events (state/reducers.ts) plus small
 * refetches that events trigger (state/sync.ts). Nothing here polls.
 */

/** 'connecting' until the first answer; 'reconnecting' while a lost connection is retried. */
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting';

export interface PeerSpeed {
  download: number;
  upload: number;
}

/** Something to tell the user that belongs to no field or row (engine `error` events, failed fetches). */
export interface Notice {
  id: number;
  code: ErrorCode | 'INFO';
  message: string;
}

export interface AppState {
  connection: ConnectionState;
  /** True once the first full fetch answered: empty states wait for it instead of flashing. */
  loaded: boolean;
  status: EngineStatus | null;
  /** Total speed (bytes/s), from `speed` and `status` events. */
  speed: Speed;
  /** Per-device speeds by device id, from the last `speed` event. */
  peerSpeeds: Record<string, PeerSpeed>;
  folders: FolderInfo[];
  devices: DeviceInfo[];
  transfers: TransferInfo[];
  /** Newest first (highest seq first), deduplicated by seq, at most HISTORY_CAP entries. */
  history: HistoryEntry[];
  prefs: Prefs | null;
  uiPrefs: UiPrefs | null;
  notices: Notice[];
}

/** History kept in memory; older entries fall off (the engine keeps its own log). */
export const HISTORY_CAP = 10_000;
/** How many history entries a (re)fetch asks for: well under the RPC message size limit. */
export const HISTORY_FETCH_LIMIT = 2_000;
/** Notices shown at once; older ones are dropped. */
export const NOTICE_CAP = 5;

export function initialAppState(): AppState {
  return {
    connection: 'connecting',
    loaded: false,
    status: null,
    speed: { download: 0, upload: 0 },
    peerSpeeds: {},
    folders: [],
    devices: [],
    transfers: [],
    history: [],
    prefs: null,
    uiPrefs: null,
    notices: [],
  };
}

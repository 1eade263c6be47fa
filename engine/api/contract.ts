import type { ErrorData } from './error-data.js';

/**
 * The engine's one typed contract: every method and event that the HTTP API, the Web UI
 * and the desktop app use. Transports (in-process, Electron utility process, WebSocket)
 * carry exactly these names and shapes; errors cross as `{ code, message }`.
 */

export type FolderType = 'read_write' | 'read_only';

/** Per-folder switches (BitTorrent Sync names). Also the shape of `folder_defaults`. */
export interface FolderPrefs {
  search_lan: boolean;
  use_dht: boolean;
  use_hosts: boolean;
  use_relay_server: boolean;
  use_sync_trash: boolean;
  use_tracker: boolean;
  overwrite_changes: boolean;
  /**
   * Download only the files chosen with set_file_prefs (and new versions of those already
   * here); the rest stay listed without their content. BitTorrent Sync's add_folder
   * `selective_sync=1`.
   */
  selective_sync: boolean;
}

export interface FolderInfo {
  dir: string;
  secret: string;
  size: number;
  type: FolderType;
  files: number;
  /** 0 when fine; a non-zero error code number otherwise (see `error_message`). */
  error: number;
  error_code: string | null;
  error_message: string | null;
  /** 1 while the folder is being indexed. */
  indexing: number;
  /** Bytes left to download / upload to connected peers. */
  down_bytes: number;
  up_bytes: number;
}

export interface FileEntry {
  name: string;
  type: 'file' | 'folder';
  size: number;
  /** Bytes present locally (== size when in sync). */
  have_pieces: number;
  total_pieces: number;
  download: 0 | 1;
  /** not_downloaded: left out by selective sync (download 0). */
  state: 'synced' | 'downloading' | 'deleted' | 'ignored' | 'local_change' | 'not_downloaded';
}

export interface PeerInfo {
  id: string;
  name: string;
  /** 'direct' | 'relay' (later), plus 'lan' / 'wan' locality for display. */
  connection: 'direct' | 'relay';
  lan: boolean;
  address: string;
  synced: number; // unix seconds of the last moment in sync, 0 = never
  download: number; // bytes left to download from this peer
  upload: number; // bytes left to upload to this peer
  bytes_in: number; // wire bytes received on this connection
  bytes_out: number; // wire bytes sent on this connection
}

export interface Secrets {
  read_write?: string;
  read_only: string;
}

/** Global preferences (config keys) that can be read and changed at run time. */
export interface Prefs {
  device_name: string;
  listening_port: number;
  use_upnp: boolean;
  download_limit: number; // kB/s, 0 = unlimited
  upload_limit: number; // kB/s, 0 = unlimited
  disk_low_priority: boolean;
  external_port: number;
  folder_rescan_interval: number; // s
  lan_encrypt_data: boolean;
  log_size: number; // MB
  max_file_size_diff_for_patching: number; // MB
  max_file_size_for_versioning: number; // MB
  rate_limit_local_peers: boolean;
  recv_buf_size: number; // MB
  send_buf_size: number; // MB
  sync_max_time_diff: number; // s
  sync_trash_ttl: number; // days
}

export interface Speed {
  download: number; // bytes/s
  upload: number; // bytes/s
}

/** One connected device, across every folder it shares with us (the Devices tab). */
export interface DeviceInfo {
  id: string;
  name: string;
  address: string;
  lan: boolean;
  /** 'relay' once relays exist: the UI shows a cloud icon for it. */
  connection: 'direct' | 'relay';
  /** Current speeds with this device, bytes/s. */
  download_speed: number;
  upload_speed: number;
  folders: DeviceFolder[];
}

export interface DeviceFolder {
  folder: string; // folder id hex
  dir: string;
  /** True when nothing is left to send or receive in this folder with this device. */
  synced: boolean;
  download: number; // bytes left to download from this device
  upload: number; // bytes left to upload to this device
}

/** One file waiting to move between us and a device (the Sync Queue window). */
export interface QueueItem {
  folder: string;
  dir: string;
  path: string;
  size: number;
  /** Bytes of this file still to move. */
  left: number;
}

export interface SyncQueue {
  download: QueueItem[];
  upload: QueueItem[];
  /** Totals over the whole queue; the lists stop at `limit` items. */
  download_files: number;
  upload_files: number;
  download_bytes: number;
  upload_bytes: number;
}

/** A file being transferred right now (the Transfers tab). */
export interface TransferInfo {
  folder: string;
  dir: string;
  path: string;
  direction: 'down' | 'up';
  size: number;
  done: number;
  /** Devices this file comes from (down) or goes to (up). */
  peers: { id: string; name: string }[];
  /** bytes/s over the last seconds. */
  speed: number;
}

export type HistoryKind = 'added' | 'updated' | 'deleted' | 'renamed' | 'conflict' | 'sync_finished';

/** One line of the History tab. */
export interface HistoryEntry {
  /** Increasing; the renderer dedupes by it. */
  seq: number;
  kind: HistoryKind;
  folder: string;
  dir: string;
  /** '' for sync_finished. */
  path: string;
  /** The old path of a rename; the archived copy of a conflict's loser. */
  from?: string;
  /** Device name that made the change; '' for this device. */
  device: string;
  at: number; // ms
}

/** Device-wide state for the tray icon and the status bar. */
export interface EngineStatus {
  device_id: string;
  device_name: string;
  paused: boolean;
  speed: Speed;
  /** 'idle' | 'syncing' | 'paused' | 'error' | 'disconnected' as the tray shows it. */
  state: TrayState;
  folders: number;
  peers: number;
  errors: number;
  /** Files being transferred right now (getTransfers' length): a change means refetch it. */
  transfers: number;
}

export type TrayState = 'idle' | 'syncing' | 'paused' | 'error' | 'disconnected';

/**
 * Preferences of the app around the engine (not BitTorrent Sync config keys): the desktop
 * shell applies start_at_login; notifications are shown by whichever shell is running.
 */
export interface UiPrefs {
  start_at_login: boolean;
  notify_sync_finished: boolean;
  notify_conflicts: boolean;
  notify_new_devices: boolean;
  notify_errors: boolean;
}

export interface EngineMethods {
  getFolders(p: { secret?: string }): FolderInfo[];
  addFolder(p: { dir: string; secret?: string; prefs?: Partial<FolderPrefs> }): FolderInfo;
  removeFolder(p: { secret: string }): { removed: true };
  getFiles(p: { secret: string; path?: string }): FileEntry[];
  setFilePrefs(p: { secret: string; path: string; download: boolean }): FileEntry[];
  getFolderPeers(p: { secret: string }): PeerInfo[];
  getSecrets(p: { secret?: string }): Secrets;
  getFolderPrefs(p: { secret: string }): FolderPrefs;
  setFolderPrefs(p: { secret: string; prefs: Partial<FolderPrefs> }): FolderPrefs;
  getFolderHosts(p: { secret: string }): { hosts: string[] };
  setFolderHosts(p: { secret: string; hosts: string[] }): { hosts: string[] };
  getPrefs(p: Record<string, never>): Prefs;
  setPrefs(p: { prefs: Partial<Prefs> }): Prefs;
  getOs(p: Record<string, never>): { os: string };
  getVersion(p: Record<string, never>): { version: string };
  getSpeed(p: Record<string, never>): Speed;
  generateSecret(p: Record<string, never>): Secrets;
  rescanFolder(p: { secret: string }): { started: true };
  shutdown(p: Record<string, never>): { stopping: true };
  getStatus(p: Record<string, never>): EngineStatus;
  /** Pause or resume all syncing (peers stay connected; no data moves while paused). */
  setPaused(p: { paused: boolean }): EngineStatus;
  getDevices(p: Record<string, never>): DeviceInfo[];
  getSyncQueue(p: { peerId: string; limit?: number }): SyncQueue;
  getTransfers(p: Record<string, never>): TransferInfo[];
  /** Newest first; at most `limit` (default 1000) entries, optionally of one folder. */
  getHistory(p: { folder?: string; limit?: number }): HistoryEntry[];
  getUiPrefs(p: Record<string, never>): UiPrefs;
  setUiPrefs(p: { prefs: Partial<UiPrefs> }): UiPrefs;
}

/** Every method name at run time (transports validate against it). */
export const METHOD_NAMES = [
  'getFolders',
  'addFolder',
  'removeFolder',
  'getFiles',
  'setFilePrefs',
  'getFolderPeers',
  'getSecrets',
  'getFolderPrefs',
  'setFolderPrefs',
  'getFolderHosts',
  'setFolderHosts',
  'getPrefs',
  'setPrefs',
  'getOs',
  'getVersion',
  'getSpeed',
  'generateSecret',
  'rescanFolder',
  'shutdown',
  'getStatus',
  'setPaused',
  'getDevices',
  'getSyncQueue',
  'getTransfers',
  'getHistory',
  'getUiPrefs',
  'setUiPrefs',
] as const satisfies readonly (keyof EngineMethods)[];

export type MethodName = keyof EngineMethods;
export type MethodParams<M extends MethodName> = Parameters<EngineMethods[M]>[0];
export type MethodResult<M extends MethodName> = ReturnType<EngineMethods[M]>;

interface FileEventBase {
  folder: string; // folder id hex
  dir: string;
  path: string;
  /** Device name that made the change ('' for this device). */
  device: string;
  at: number; // ms
}

export interface EngineEvents {
  fileAdded: FileEventBase & { size: number };
  fileUpdated: FileEventBase & { size: number };
  fileDeleted: FileEventBase;
  fileRenamed: FileEventBase & { from: string };
  conflict: FileEventBase & { archivedAs: string };
  syncFinished: { folder: string; dir: string; at: number };
  folderState: { folder: string; dir: string; indexing: boolean; error: ErrorData | null };
  peerConnected: { peerId: string; name: string; address: string; lan: boolean; folders: string[] };
  peerDisconnected: { peerId: string; name: string; reason: string };
  transferProgress: {
    folder: string;
    path: string;
    direction: 'down' | 'up';
    peerId: string;
    bytesDone: number;
    bytesTotal: number;
  };
  error: ErrorData & { folder?: string; peerId?: string };
  /** One new History line (file events and sync finished, as stored by the engine). */
  history: HistoryEntry;
  /** Device-wide state changed (pause, tray state, counts); sent at most once a second for speed. */
  status: EngineStatus;
  /** Per-second speed sample, only while something moves (and one zero sample after). */
  speed: Speed & { peers: { id: string; download: number; upload: number }[] };
  uiPrefs: UiPrefs;
  prefs: Prefs;
  /** A folder was added, removed or changed its prefs: refetch getFolders. */
  foldersChanged: { reason: 'added' | 'removed' | 'prefs' };
}

export type EventName = keyof EngineEvents;

export const EVENT_NAMES = [
  'fileAdded',
  'fileUpdated',
  'fileDeleted',
  'fileRenamed',
  'conflict',
  'syncFinished',
  'folderState',
  'peerConnected',
  'peerDisconnected',
  'transferProgress',
  'error',
  'history',
  'status',
  'speed',
  'uiPrefs',
  'prefs',
  'foldersChanged',
] as const satisfies readonly EventName[];

// Compile-time proof that the run-time lists name every method and event.
type Missing<All, Listed> = Exclude<All, Listed> extends never ? true : Exclude<All, Listed>;
export const ALL_METHODS_LISTED: Missing<MethodName, (typeof METHOD_NAMES)[number]> = true;
export const ALL_EVENTS_LISTED: Missing<EventName, (typeof EVENT_NAMES)[number]> = true;

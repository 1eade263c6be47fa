import type { ErrorData } from '../errors.js';

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
  state: 'synced' | 'downloading' | 'deleted' | 'ignored' | 'local_change';
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
}

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
}

export type EventName = keyof EngineEvents;

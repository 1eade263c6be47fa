import type { EngineEvents, EventName, FolderPrefs, Prefs } from '../api/contract.js';
import type { FolderKeys } from '../secrets/secret.js';
import type { ChunkRef } from './record.js';
import type { Entry, LocalStat } from './entry.js';

/** What a folder needs from the engine around it; injected so tests can drive it directly. */
export interface LoggerLike {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface EntryStore {
  load(): Promise<Entry[]>;
  save(put: Entry[]): Promise<void>;
  clear(): Promise<void>;
  /** Folder-level values beside the entries (selective-sync.ts keeps the chosen files there). */
  getMeta(key: string): Promise<Buffer | undefined>;
  setMeta(key: string, value: Buffer): Promise<void>;
}

export interface FolderHost {
  readonly deviceId: string;
  now(): number;
  prefs(): Prefs;
  emit<E extends EventName>(event: E, payload: EngineEvents[E]): void;
  log: LoggerLike;
  /** Display name of a device id ('' for this device). */
  deviceName(id: string): string;
  /** Syncing is paused on this device: no data moves and peers' changes wait. */
  paused(): boolean;
}

export interface FolderSetup {
  keys: FolderKeys;
  root: string;
  prefs: FolderPrefs;
  store: EntryStore;
  indexer: Indexer;
}

/** One path as the scanner saw it; `chunks` is null when size+mtime+inode were unchanged. */
export interface ScanHit {
  path: string;
  kind: 'file' | 'dir';
  size: number;
  mtimeMs: number;
  mode: number;
  ino: number;
  chunks: ChunkRef[] | null;
}

/** A big file's chunks completed so far, while the rest is still being hashed. */
export interface PartialHit {
  path: string;
  /** Cumulative, in file order; `bytes` is their total. */
  chunks: readonly ChunkRef[];
  bytes: number;
  /** The file's size when its hashing began. */
  fileSize: number;
  /** The stat the file is being read under. */
  mtimeMs: number;
  mode: number;
}

/** The scanning side of engine/index, as the folder uses it. */
export interface Indexer {
  /**
   * Walk the whole folder; `onHit` for every path present; returns the paths seen.
   * `onPartial` hears of big files' first chunks while they are still being hashed.
   */
  scanAll(previous: (p: string) => LocalStat | undefined, onHit: (h: ScanHit) => void, onPartial?: (p: PartialHit) => void): Promise<Set<string>>;
  /** Look at one path: null when it no longer exists (or is ignored). */
  scanOne(rel: string, previous: LocalStat | undefined, onPartial?: (p: PartialHit) => void): Promise<ScanHit | null>;
  ignored(rel: string, isDir: boolean): boolean;
  /** Reload .SyncIgnore. */
  reloadIgnores(): Promise<void>;
  /** `onEventsLost`: the watcher may have missed changes (a burst of events): rescan. */
  watch(onPath: (rel: string) => void, onRootGone: () => void, onEventsLost: () => void): Promise<void>;
  /**
   * This device is about to rename a downloaded file into place at `rel`, where no file is:
   * the watcher need not report that rename. Call the result once it landed (or failed).
   */
  expectOwnRename(rel: string): (landed: boolean) => void;
  /** A first scan (nothing indexed yet) is about to start: get hashing ready now. Never rejects. */
  warmUp(): Promise<void>;
  close(): Promise<void>;
}

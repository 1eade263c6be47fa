import type { ShoalError } from '../errors.js';
import type { ArchiveFn, LandedStat } from '../transfer/assembler.js';
import type { ChunkLocator } from './locator.js';
import type { PeerLink } from './peer-link.js';
import type { FileRecord } from './record.js';

/** What the puller (puller.ts) needs from its folder, and what it reports back. */
export interface PullHost {
  readonly root: string;
  readonly locator: ChunkLocator;
  /**
   * May chunks of the old version of this same file be reused (BitTorrent Sync's patching,
   * limited by max_file_size_diff_for_patching, a size difference)? Chunks found in other
   * files always are.
   */
  mayPatch(record: FileRecord): boolean;
  /** Is this file's content to be downloaded at all here (selective sync may leave it out)? */
  wantsContent(record: FileRecord): boolean;
  /** Connected peers that announced exactly this version of the file. */
  peersHaving(record: FileRecord): PeerLink[];
  /** The state a finalize may replace (what the index says is on disk), or null. */
  expectedOnDisk(pathRel: string): { size: number; mtimeMs: number } | null;
  archiver(pathRel: string): ArchiveFn | null;
  /**
   * A file new here (nothing expected on disk) is about to be put in place at `pathRel`:
   * the watcher may skip that rename's event. Call the result once it landed or failed.
   */
  expectOwnRename(pathRel: string): (landed: boolean) => void;
  /** Resolves once no deletion (an archive move) of the file at `pathRel` is under way. */
  settled(pathRel: string): Promise<void>;
  /** `info.stat`: the file's stat as it was put in place (inode, size, mtime). */
  onPulled(record: FileRecord, info: PulledInfo): Promise<void>;
  onPullFailed(record: FileRecord, err: ShoalError): void;
  onProgress(record: FileRecord, peerId: string, done: number): void;
  /** Syncing is paused: no requests leave and nothing is put in place until resume(). */
  paused(): boolean;
  /**
   * Bytes in flight allowed to this peer (default: the puller's window). A rate-limited link
   * needs only a few seconds' worth; more would keep arriving long after a pause.
   */
  windowFor?(peer: PeerLink): number;
}

export interface PulledInfo {
  fromPeers: string[];
  copiedBytes: number;
  fetchedBytes: number;
  stat: LandedStat;
}

/** A file being downloaded right now, as the Transfers tab shows it. */
export interface ActiveDownload {
  record: FileRecord;
  done: number;
  /** Peers we asked for its chunks. */
  peers: string[];
  /** bytes/s over the last seconds. */
  speed: number;
}

export interface PullerOptions {
  maxActiveFiles?: number;
  /** Bytes in flight per peer. */
  peerWindowBytes?: number;
  maxCopiesInFlight?: number;
}

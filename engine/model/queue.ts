import { isSynced, type Entry } from './entry.js';
import type { Puller } from './puller.js';
import type { FileRecord } from './record.js';
import { compareVersions } from './version.js';

/**
 * What is left to move between this device and one peer in one folder: the single place
 * that decides it, so the Sync Queue, the Devices tab, PeerInfo.download/upload and
 * FolderInfo.up_bytes always agree.
 */
export interface QueueFile {
  path: string;
  size: number;
  /** Bytes of it still to move. */
  left: number;
}

/** The folder state the queues are computed from. */
export interface QueueSource {
  entries: ReadonlyMap<string, Entry>;
  puller: Puller;
}

export interface PeerIndex {
  index: ReadonlyMap<string, FileRecord>;
  /** The peer has sent its whole index (before that, nothing counts as missing there). */
  complete: boolean;
}

/** Files we still need that this peer has in exactly the wanted version. */
export function* downloadsFrom(f: QueueSource, peer: PeerIndex): Generator<QueueFile> {
  for (const record of f.puller.wantedRecords()) {
    const theirs = peer.index.get(record.path);
    if (!theirs || theirs.deleted || compareVersions(theirs.version, record.version) !== 'equal') continue;
    yield { path: record.path, size: record.size, left: f.puller.leftBytes(record.path) };
  }
}

/** Files we have in sync that the peer lacks or has in an older version. */
export function* uploadsTo(f: QueueSource, peer: PeerIndex): Generator<QueueFile> {
  if (!peer.complete) return;
  for (const e of f.entries.values()) {
    if (!needsUpload(e, peer)) continue;
    yield { path: e.record.path, size: e.record.size, left: e.record.size };
  }
}

export function needsUpload(e: Entry, peer: PeerIndex): boolean {
  if (!isSynced(e) || e.record.deleted || e.record.kind !== 'file') return false;
  const theirs = peer.index.get(e.record.path);
  return !theirs || compareVersions(theirs.version, e.record.version) === 'older';
}

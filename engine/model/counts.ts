import type { Entry } from './entry.js';
import { needsUpload, type PeerIndex } from './queue.js';

/** What one path adds to a sum: files and bytes. */
interface Part {
  files: number;
  bytes: number;
}

/** A sum over the folder's paths, brought up to date by re-counting only the stale ones. */
class PathSum {
  files = 0;
  bytes = 0;
  /** What each path added (only paths that add something). */
  private readonly parts = new Map<string, Part>();
  readonly stale = new Set<string>();
  /** Everything must be counted again (a new peer, the folder just loaded). */
  all = true;

  refresh(entries: ReadonlyMap<string, Entry>, part: (e: Entry) => Part | null): void {
    if (this.all) {
      this.all = false;
      this.stale.clear();
      this.parts.clear();
      this.files = 0;
      this.bytes = 0;
      for (const [p, e] of entries) this.set(p, part(e));
      return;
    }
    for (const p of this.stale) {
      const old = this.parts.get(p);
      if (old) {
        this.files -= old.files;
        this.bytes -= old.bytes;
        this.parts.delete(p);
      }
      const e = entries.get(p);
      this.set(p, e ? part(e) : null);
    }
    this.stale.clear();
  }

  private set(p: string, part: Part | null): void {
    if (!part) return;
    this.parts.set(p, part);
    this.files += part.files;
    this.bytes += part.bytes;
  }
}

const fileOf = (e: Entry): Part | null => (e.record.deleted || e.record.kind !== 'file' ? null : { files: 1, bytes: e.record.size });

/**
 * The folder's numbers that the API and the UI poll (get_folders every few ms during a
 * benchmark, the Devices tab, the tray): files and size, and per peer what it still lacks
 * of ours. Counting them by walking every entry on each poll cost the sending side ~13 ms
 * per poll at 10,000 files, about a quarter of its CPU while it served them. Here each
 * change marks its path stale (touch, touchPeer) and a read re-counts only those paths.
 *
 * Every change to an entry reaches touch() (SyncFolder.markDirty), every change to a
 * peer's index touchPeer().
 */
export class FolderCounts {
  private readonly totals = new PathSum();
  private readonly peers = new Map<string, PathSum>();

  /** An entry changed (its record, what is on disk, or it was added). */
  touch(path: string): void {
    if (!this.totals.all) this.totals.stale.add(path);
    for (const s of this.peers.values()) if (!s.all) s.stale.add(path);
  }

  /** All entries changed (loaded from the store). */
  touchAll(): void {
    this.totals.all = true;
    for (const s of this.peers.values()) s.all = true;
  }

  /** A peer announced a record for this path. */
  touchPeer(peerId: string, path: string): void {
    const s = this.peers.get(peerId);
    if (s && !s.all) s.stale.add(path);
  }

  peerAdded(peerId: string): void {
    this.peers.set(peerId, new PathSum());
  }

  peerRemoved(peerId: string): void {
    this.peers.delete(peerId);
  }

  /** Files (not folders, not deleted) and their total size. */
  folderTotals(entries: ReadonlyMap<string, Entry>): Part {
    this.totals.refresh(entries, fileOf);
    return { files: this.totals.files, bytes: this.totals.bytes };
  }

  /** Files of ours the peer lacks or has in an older version, and their bytes (queue.ts needsUpload). */
  uploads(entries: ReadonlyMap<string, Entry>, peerId: string, peer: PeerIndex): Part {
    let s = this.peers.get(peerId);
    if (!s) this.peers.set(peerId, (s = new PathSum()));
    // Counted whether or not its index is complete yet: only reporting waits for that.
    s.refresh(entries, (e) => (needsUpload(e, peer) ? { files: 1, bytes: e.record.size } : null));
    return peer.complete ? { files: s.files, bytes: s.bytes } : { files: 0, bytes: 0 };
  }
}

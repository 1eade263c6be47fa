import { RateWindow } from './rate-window.js';
import type { FileRecord } from './record.js';

/** A file counts as uploading while a peer asked for its chunks this recently. */
export const UPLOAD_ACTIVE_MS = 3000;
const PROGRESS_EVERY_MS = 250;
/**
 * At most this many files are tracked: past it, stale ones are dropped (at most once a
 * second: a scan of the map per served file made serving 10,000 small files quadratic),
 * then the oldest. The Transfers tab shows the newest ones of a burst that big anyway.
 */
const MAX_TRACKED = 256;
const PRUNE_EVERY_MS = 1000;

/** A file being uploaded right now, as the Transfers tab shows it. */
export interface ActiveUpload {
  record: FileRecord;
  /**
   * Bytes of this version sent to the peer that got most of it (we cannot see its disk: what
   * it already had, from a partial download or its own copies, is not counted).
   */
  done: number;
  peers: string[];
  speed: number;
}

interface PeerProgress {
  lastAt: number;
  /** Bytes of this version served to this peer. */
  sent: number;
  lastReport: number;
  reported: number;
}

interface Tracked {
  record: FileRecord;
  peers: Map<string, PeerProgress>;
  rate: RateWindow;
}

/**
 * Remembers which files peers are downloading from us: the uploader's side has no job of its
 * own, only chunk requests, so "transferring" means "requested in the last few seconds".
 */
export class UploadTracker {
  private readonly files = new Map<string, Tracked>();
  private prunedAt = 0;

  /**
   * A chunk of `record` was sent to `peerId`. Returns the peer's progress when it is time to
   * report it (when it moved: at most every 250 ms per file and peer, and once at the end),
   * else null.
   */
  served(record: FileRecord, peerId: string, size: number): number | null {
    const now = Date.now();
    let t = this.files.get(record.path);
    if (!t || t.record !== record) {
      if (this.files.size >= MAX_TRACKED) this.makeRoom(now);
      t = { record, peers: new Map(), rate: new RateWindow() };
      this.files.delete(record.path); // a new version goes to the end (newest)
      this.files.set(record.path, t);
    }
    t.rate.add(size, now);
    let p = t.peers.get(peerId);
    if (!p) t.peers.set(peerId, (p = { lastAt: now, sent: 0, lastReport: 0, reported: -1 }));
    p.lastAt = now;
    p.sent = Math.min(record.size, p.sent + size);
    if (p.sent === p.reported) return null;
    if (p.sent < record.size && now - p.lastReport < PROGRESS_EVERY_MS) return null;
    p.lastReport = now;
    p.reported = p.sent;
    return p.sent;
  }

  active(): ActiveUpload[] {
    const now = Date.now();
    this.prune(now);
    const out: ActiveUpload[] = [];
    for (const t of this.files.values()) {
      let done = 0;
      for (const p of t.peers.values()) done = Math.max(done, p.sent);
      out.push({ record: t.record, done, peers: [...t.peers.keys()], speed: t.rate.rate(now) });
    }
    return out;
  }

  /** Below MAX_TRACKED again: stale files first, then the oldest (Map order = insertion). */
  private makeRoom(now: number): void {
    if (now - this.prunedAt >= PRUNE_EVERY_MS) this.prune(now);
    for (const path of this.files.keys()) {
      if (this.files.size < MAX_TRACKED) break;
      this.files.delete(path);
    }
  }

  private prune(now: number): void {
    this.prunedAt = now;
    for (const [path, t] of this.files) {
      for (const [id, p] of t.peers) if (now - p.lastAt > UPLOAD_ACTIVE_MS) t.peers.delete(id);
      if (t.peers.size === 0) this.files.delete(path);
    }
  }
}

import type { PeerLink } from './peer-link.js';
import type { FileRecord } from './record.js';

/**
 * Batches index records for peers: changes made in the same few milliseconds (an indexing
 * run, a burst of edits) travel in one message, while a lone change leaves at once.
 */
const MAX_BATCH = 2000;

export class Announcer {
  private readonly pending = new Map<string, FileRecord>();
  private scheduled = false;

  constructor(private readonly peers: () => Iterable<PeerLink>, private readonly delayMs = 5) {}

  announce(record: FileRecord): void {
    this.pending.set(record.path, record);
    if (this.pending.size >= MAX_BATCH) this.flush();
    else this.schedule();
  }

  /** Send a full index to one newly joined peer, in bounded messages. */
  sendFull(peer: PeerLink, records: Iterable<FileRecord>): void {
    let batch: FileRecord[] = [];
    for (const r of records) {
      batch.push(r);
      if (batch.length >= MAX_BATCH) {
        peer.sendIndex(batch, false);
        batch = [];
      }
    }
    peer.sendIndex(batch, true);
  }

  flush(): void {
    if (this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending.clear();
    for (const p of this.peers()) p.sendIndex(batch, false);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setTimeout(() => {
      this.scheduled = false;
      this.flush();
    }, this.delayMs).unref();
  }
}

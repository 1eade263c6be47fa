import type { PeerLink } from './peer-link.js';
import type { FileRecord } from './record.js';

/**
 * Batches index records for peers: changes made in the same few milliseconds (an indexing
 * run, a burst of edits) travel in one message, while a lone change leaves at once.
 * Every record is made ready to send (`prepare`: this device's own are signed then, see
 * record.ts UNSIGNED) just before it leaves, and only when there is a peer to send it to.
 */
const MAX_BATCH = 2000;

export class Announcer {
  private readonly pending = new Map<string, FileRecord>();
  private scheduled = false;

  constructor(
    private readonly peers: () => Iterable<PeerLink>,
    private readonly prepare: (r: FileRecord) => void,
    private readonly delayMs = 5,
  ) {}

  announce(record: FileRecord): void {
    // A preview never takes the place of a record waiting to go out (a second hash of a file
    // can preview it after the first one's record was announced): that record must be sent.
    const waiting = this.pending.get(record.path);
    if (record.preview && waiting && !waiting.preview) return;
    this.pending.set(record.path, record);
    if (this.pending.size >= MAX_BATCH) this.flush();
    else this.schedule();
  }

  /** Send a full index to one newly joined peer, in bounded messages. */
  sendFull(peer: PeerLink, records: Iterable<FileRecord>): void {
    let batch: FileRecord[] = [];
    for (const r of records) {
      this.prepare(r);
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
    const peers = [...this.peers()];
    if (peers.length === 0) return; // a peer that joins later gets everything (sendFull)
    for (const r of batch) this.prepare(r);
    for (const p of peers) p.sendIndex(batch, false);
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

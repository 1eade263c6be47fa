import { verifyRecord, type FileRecord } from './record.js';
import { WORKER_FROM, recordVerifier } from './record-verifier.js';

/**
 * Index messages from peers, applied strictly in the order they arrived, once the
 * signatures of their records have been checked. A big index (a first sync) is checked on
 * the verifier's worker while the engine's thread goes on with other work; a message with
 * a few changed records, when nothing is queued ahead of it, is checked and applied at once,
 * so a single change is never delayed.
 *
 * ok[i] tells whether records[i] may be taken: its signature verified, or it equals a record
 * we hold (signed or checked here already, so not checked again).
 */
export type ApplyIndex = (peerId: string, records: FileRecord[], ok: readonly boolean[], complete: boolean) => void;

/**
 * Messages queued before the sender is asked to wait: reading from its connection pauses
 * until the queue is shorter again (each message holds up to MAX_INDEX_RECORDS records, so
 * a peer sending faster than signatures can be checked never fills our memory).
 */
export const MAX_QUEUED = 8;

export class IndexIntake {
  private chain: Promise<void> = Promise.resolve();
  private queued = 0;
  /** Resolved when the queue is under MAX_QUEUED again (see receive). */
  private roomWaiters: Array<() => void> = [];

  constructor(
    private readonly keys: { folderId: Buffer; publicKey: Buffer },
    /** Is this record identical to one we hold (signed or checked here already)? */
    private readonly known: (r: FileRecord) => boolean,
    private readonly apply: ApplyIndex,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Index messages received but not applied yet. */
  get pending(): number {
    return this.queued;
  }

  /**
   * Take one index message. Returns a promise when the queue is full: the caller stops
   * reading from that peer until it resolves.
   */
  receive(peerId: string, records: FileRecord[], complete: boolean): Promise<void> | undefined {
    const known = records.map((r) => this.known(r));
    const unknown: number[] = [];
    known.forEach((k, i) => {
      if (!k) unknown.push(i);
    });
    if (this.queued === 0 && unknown.length < WORKER_FROM) {
      this.apply(peerId, records, records.map((r, i) => known[i]! || this.signed(r)), complete);
      return undefined;
    }
    this.queued++;
    const checked = recordVerifier.verify(
      this.keys.folderId,
      this.keys.publicKey,
      unknown.map((i) => records[i]!),
    );
    const done = (verdicts: (boolean | undefined)[]): void => {
      this.queued--;
      if (this.queued < MAX_QUEUED) for (const wake of this.roomWaiters.splice(0)) wake();
      try {
        // A record known when it arrived was not sent for checking: ours may have changed since.
        this.apply(peerId, records, records.map((r, i) => verdicts[i] ?? (this.known(r) || this.signed(r))), complete);
      } catch (err) {
        this.onError(err);
      }
    };
    this.chain = this.chain.then(() =>
      checked.then(
        (ok) => {
          const verdicts: (boolean | undefined)[] = new Array(records.length);
          unknown.forEach((i, k) => (verdicts[i] = ok[k]));
          done(verdicts);
        },
        () => done([]), // checked on this thread while applying instead
      ),
    );
    if (this.queued < MAX_QUEUED) return undefined;
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  private signed(r: FileRecord): boolean {
    return verifyRecord(this.keys.folderId, this.keys.publicKey, r);
  }
}

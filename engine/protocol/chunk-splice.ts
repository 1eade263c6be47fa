import { ShoalError } from '../errors.js';
import { MAX_CHUNKS, type ChunkRef, type ChunkSplice, type FileRecord } from '../model/record.js';

export type { ChunkSplice };

/** Lists shorter than this are sent whole (the saving would be a few hundred bytes). */
export const SPLICE_MIN_CHUNKS = 64;

/** Records whose chunk list the two ends of a connection remember (the same rule on both). */
function remembered(r: FileRecord): boolean {
  return r.kind === 'file' && !r.deleted && r.chunks.length >= SPLICE_MIN_CHUNKS;
}

function sameChunk(a: ChunkRef, b: ChunkRef): boolean {
  return a.size === b.size && a.hash.equals(b.hash);
}

/** Express `next` against `prev`, or null when that saves too little to be worth it. */
export function planSplice(prev: readonly ChunkRef[], next: readonly ChunkRef[]): ChunkSplice | null {
  const most = Math.min(prev.length, next.length);
  let head = 0;
  while (head < most && sameChunk(prev[head]!, next[head]!)) head++;
  let tail = 0;
  while (tail < most - head && sameChunk(prev[prev.length - 1 - tail]!, next[next.length - 1 - tail]!)) tail++;
  if (head + tail < SPLICE_MIN_CHUNKS / 2) return null;
  return { head, tail, mid: next.slice(head, next.length - tail) };
}

/** Rebuild a chunk list from the previous one and a splice (untrusted: every count is checked). */
export function applySplice(base: readonly ChunkRef[], s: ChunkSplice): ChunkRef[] {
  if (s.head > base.length || s.tail > base.length - s.head) {
    throw new ShoalError('PROTOCOL_ERROR', 'A chunk list change refers to more chunks than the previous list has');
  }
  if (s.head + s.mid.length + s.tail > MAX_CHUNKS) throw new ShoalError('PROTOCOL_ERROR', 'Too many chunks');
  return [...base.slice(0, s.head), ...s.mid, ...base.slice(base.length - s.tail)];
}

/**
 * A big file's chunk list sent as a change to the last one sent for the same path on the
 * same connection: "keep the first `head` and the last `tail` chunks, put `mid` between".
 * An edit to a 1 GiB file then costs a few chunk references instead of all ~8,000 (~280 KB),
 * and a final record after its previews (which list its first chunks) only the rest.
 *
 * Only the wire changes: the receiving link rebuilds the whole record before anything else
 * sees it, and its signature is checked over the whole record as always, so a wrong splice
 * (a bug, a hostile peer) can only produce a record that fails its signature check. Both
 * ends keep the last list per path (ChunkLists), in the same order the stream carries them.
 *
 * ChunkLists is the last chunk list per path that went one way over one connection: the
 * sender's copy decides how to send the next one, the receiver's rebuilds it. They hold the
 * same arrays as the records themselves (no copies), and only those of big files.
 */
export class ChunkLists {
  private readonly last = new Map<string, readonly ChunkRef[]>();

  /** Sender: the splice to send `r` with (null: whole), and remember it as sent. */
  outgoing(r: FileRecord): ChunkSplice | null {
    const prev = this.last.get(r.path);
    this.note(r);
    return prev && remembered(r) ? planSplice(prev, r.chunks) : null;
  }

  /**
   * Receiver: give a received record its whole chunk list (in place) and remember it. A
   * splice without a list to apply it to is a protocol error (the peer broke the rule).
   */
  incoming(r: FileRecord, splice: ChunkSplice | null): void {
    if (splice) {
      const base = this.last.get(r.path);
      if (!base) throw new ShoalError('PROTOCOL_ERROR', `A chunk list change for ${r.path} came before any list`);
      r.chunks = applySplice(base, splice);
      let total = 0;
      for (const c of r.chunks) total += c.size;
      if (total !== r.size) throw new ShoalError('PROTOCOL_ERROR', 'Chunk sizes do not add up to the file size');
    }
    this.note(r);
  }

  /** incoming() for each record of an index message, in order. */
  incomingAll(records: readonly FileRecord[], splices: ReadonlyArray<ChunkSplice | null> | undefined): void {
    for (let i = 0; i < records.length; i++) this.incoming(records[i]!, splices?.[i] ?? null);
  }

  private note(r: FileRecord): void {
    if (remembered(r)) this.last.set(r.path, r.chunks);
    else this.last.delete(r.path);
  }
}

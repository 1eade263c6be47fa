import type { ChunkSpan } from '../model/chunk-verifier.js';

/**
 * The bookkeeping of one extent staged in memory by direct-writer.ts: which byte ranges it
 * holds, the places handed out in it, and the chunks in it still to be verified.
 */

/**
 * A placed chunk committed before its hash was checked (commitPlaced with a check): `done`
 * is called once it was verified - 'ok', or 'bad' (its range is taken out of the extent
 * again: the chunk is missing, to be fetched again) - or with an error (the download was
 * stopped). An extent is written only once every chunk in it passed.
 */
export interface BehindCheck {
  hash: Buffer;
  done(result: 'ok' | 'bad' | Error): void;
}

export interface PendingCheck extends ChunkSpan {
  done: BehindCheck['done'];
}

export interface Stage {
  buf: Buffer;
  /** Bytes of this extent that belong to the file. */
  len: number;
  filled: number;
  /** Staged byte ranges [start, end), relative to the extent, in arrival order, merged when adjacent. */
  ranges: number[];
  touched: number;
  /** Places handed out by placeRun() and not yet committed or dropped: never evicted meanwhile. */
  placed: number;
  /** Chunks committed here whose hash is still to be checked (verifiesBehind)... */
  pending: PendingCheck[];
  /** ...and batches of them being checked now: the extent is written once none is left. */
  verifying: number;
  /** Sends `pending` to be checked when no more chunks came for a while (the extent may never fill). */
  timer: NodeJS.Timeout | null;
}

/** Tell each check its verdict (ok[i] from a verifier) or the error that ended it. */
export function settle(checks: PendingCheck[], result: Uint8Array | Error): void {
  checks.forEach((c, i) => c.done(result instanceof Error ? result : result[i] === 1 ? 'ok' : 'bad'));
}

export function newStage(buf: Buffer, len: number, touched: number): Stage {
  return { buf, len, filled: 0, ranges: [], touched, placed: 0, pending: [], verifying: 0, timer: null };
}

/** Take [a, b) out of a flat list of ranges (it lies inside one of them). */
export function removeRange(ranges: number[], a: number, b: number): void {
  for (let i = 0; i < ranges.length; i += 2) {
    const s = ranges[i]!;
    const e = ranges[i + 1]!;
    if (a < s || b > e) continue;
    const keep: number[] = [];
    if (s < a) keep.push(s, a);
    if (b < e) keep.push(b, e);
    ranges.splice(i, 2, ...keep);
    return;
  }
}

/** Add [a, b) to a flat list of ranges, merging with the last one when adjacent. */
export function addRange(ranges: number[], a: number, b: number): void {
  const n = ranges.length;
  if (n > 0 && ranges[n - 1] === a) ranges[n - 1] = b;
  else ranges.push(a, b);
}

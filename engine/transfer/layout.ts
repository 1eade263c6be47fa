import { ShoalError } from '../errors.js';
import type { FileRecord } from '../model/record.js';

/**
 * Where each chunk of a record lives in the file. Records from peers are validated on
 * decode, but local callers build records too; a record whose chunks do not add up to its
 * size would silently produce a wrong file, so it is refused here.
 */
export interface ChunkLayout {
  /** Byte offset of chunk i (doubles hold every offset up to 2^53 exactly). */
  offsets: Float64Array;
  maxChunk: number;
}

export function layoutOf(record: FileRecord): ChunkLayout {
  if (record.kind !== 'file' || record.deleted) {
    throw new ShoalError('BAD_REQUEST', `${record.path} is not a file to write`);
  }
  const n = record.chunks.length;
  const offsets = new Float64Array(n);
  let pos = 0;
  let maxChunk = 0;
  for (let i = 0; i < n; i++) {
    const c = record.chunks[i]!;
    if (!Number.isSafeInteger(c.size) || c.size <= 0) throw new ShoalError('BAD_REQUEST', `${record.path}: bad chunk size`);
    offsets[i] = pos;
    pos += c.size;
    if (c.size > maxChunk) maxChunk = c.size;
  }
  if (pos !== record.size) {
    throw new ShoalError('BAD_REQUEST', `${record.path}: chunk sizes add up to ${pos}, not ${record.size}`);
  }
  return { offsets, maxChunk };
}

export function hashMismatch(path: string, index: number): ShoalError {
  return new ShoalError('HASH_MISMATCH', `Chunk ${index} of ${path} does not match its hash; it was not written.`);
}

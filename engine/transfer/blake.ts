import { chunkHash as hash, chunkHashEquals } from '../index/chunk-hash.js';

/**
 * Chunk verification: the one chunk hash of engine/index/chunk-hash.ts (BLAKE3-256), so
 * what the receiver checks is always what the sender's indexer computed.
 */

/** True when the chunk hash of `data` equals `expected`. Hashes are public, so no constant-time compare. */
export function chunkMatches(data: Buffer, expected: Buffer): boolean {
  return chunkHashEquals(data, expected);
}

/** Hash into a fresh buffer (tests, and the rare zero-chunk cache). */
export function chunkHash(data: Buffer): Buffer {
  return hash(data);
}

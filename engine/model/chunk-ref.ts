/**
 * What a file record says about one of its chunks. Its own small module so code that only
 * chunks and hashes (the hash worker) does not load the record's signing code.
 */
export interface ChunkRef {
  /** BLAKE3-256 of the chunk's bytes (index/chunk-hash.ts). */
  hash: Buffer;
  size: number;
}

/** Bytes of a chunk hash. */
export const HASH_BYTES = 32;

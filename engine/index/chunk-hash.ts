import { Blake3Hasher, blake3UrlSafeBase64 } from '@napi-rs/blake-hash';
import { HASH_BYTES } from '../model/chunk-ref.js';

/**
 * The chunk hash: BLAKE3-256 (the default 32-byte output), through @napi-rs/blake-hash
 * (the Rust `blake3` crate, SIMD picked at run time; prebuilt N-API binaries for Linux,
 * macOS and Windows; loads in worker threads). Every user goes through this module: the
 * indexer and its hash worker, the receiver's verification of peers' chunks, resume and
 * local chunk copies. Chunks are content addresses that peers verify data against, so
 * this stays a cryptographic hash.
 *
 * Measured on the 2-core dev machine, one thread, 128 KiB inputs (bench/hash-speed.ts):
 * BLAKE3 here ~5.5 GB/s, sodium BLAKE2b-256 ~1.0 GB/s, node:crypto sha256 ~1.3 GB/s.
 *
 * Results come back as short strings and are decoded into the caller's memory: the
 * library's Buffer results are each a separate C-heap allocation with a finalizer, and
 * tens of thousands of those left the heap fragmented (and were slower).
 *
 * Changing the function changes every chunk id: CHUNK_HASH names it in the local index
 * (store.ts drops an index built with another one, so files are hashed again).
 * The chunker's GEAR table is derived with BLAKE2b on purpose: it is part of the cut rule
 * and never changes.
 */
export const CHUNK_HASH = 'blake3-256';

/** Write the chunk hash of `input` into out[offset, offset + 32). */
export function chunkHashInto(out: Buffer, offset: number, input: Uint8Array): void {
  out.write(blake3UrlSafeBase64(input as Buffer), offset, HASH_BYTES, 'base64url');
}

/** The chunk hash of `input` (a new 32-byte Buffer). */
export function chunkHash(input: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(HASH_BYTES);
  chunkHashInto(out, 0, input);
  return out;
}

/** Synchronous use only (no await between write and compare), so one is enough. */
const scratch = Buffer.alloc(HASH_BYTES);

/** Does `data` hash to `expected`? (Hashes are public: no constant-time compare needed.) */
export function chunkHashEquals(data: Uint8Array, expected: Uint8Array): boolean {
  if (expected.length !== HASH_BYTES) return false;
  chunkHashInto(scratch, 0, data);
  return scratch.equals(expected);
}

/**
 * ok[i] = 1 when the chunk at spans[2i] of length spans[2i+1] in `memory` hashes to
 * hashes[32i, 32i + 32), else 0 (also for spans outside `memory`).
 */
export function checkChunkSpans(memory: ArrayBufferLike, spans: Uint32Array, hashes: Uint8Array): Uint8Array {
  const count = Math.floor(spans.length / 2);
  const ok = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const at = spans[2 * i]!;
    const len = spans[2 * i + 1]!;
    if (at + len > memory.byteLength || (i + 1) * HASH_BYTES > hashes.length) continue;
    ok[i] = chunkHashEquals(Buffer.from(memory, at, len), hashes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES)) ? 1 : 0;
  }
  return ok;
}

/** Incremental chunk hash with a reusable state (one per concurrent hash). */
export class ChunkHashStream {
  private readonly h = new Blake3Hasher();

  init(): void {
    this.h.reset();
  }

  update(input: Uint8Array): void {
    this.h.update(input as Buffer);
  }

  /** Write the hash of everything fed since init() into out[offset, offset + 32). */
  finalInto(out: Buffer, offset: number): void {
    out.write(this.h.digest('hex'), offset, HASH_BYTES, 'hex');
  }
}

import { HASH_BYTES, type ChunkRef } from '../model/chunk-ref.js';
import { ChunkHashStream, chunkHashInto } from './chunk-hash.js';
import { Chunker } from './chunker.js';
import { slabBytes } from './slab.js';

/**
 * Cuts a byte stream into chunks and hashes each one: feed the file's buffers in order
 * with push(), then finish(). A chunk that lies inside one buffer is hashed in one call;
 * only chunks that straddle buffers go through the incremental state.
 *
 * Hashes are written into one scratch block reused from file to file; finish() copies a
 * file's hashes into a single kept block (compactHashes), so nothing is allocated per chunk.
 */
export class ChunkHasher {
  private readonly chunker = new Chunker();
  private readonly stream = new ChunkHashStream();
  /** True while a chunk that began in an earlier buffer is being hashed incrementally. */
  private open = false;
  /** Bytes of the open chunk fed so far. */
  private openSize = 0;
  /** hashes[i * HASH_BYTES ...] is chunk i's hash; grows by doubling, kept across files. */
  private hashes = Buffer.allocUnsafeSlow(8 * HASH_BYTES);
  private sizes: number[] = [];
  private total = 0;

  /** Bytes pushed so far. */
  get size(): number {
    return this.total;
  }

  push(buf: Uint8Array): void {
    const n = buf.length;
    this.total += n;
    let start = 0;
    let cut: number;
    while ((cut = this.chunker.next(buf, start, n)) >= 0) {
      const piece = buf.subarray(start, cut);
      let size = cut - start;
      const at = this.slot();
      if (this.open) {
        this.stream.update(piece);
        this.stream.finalInto(this.hashes, at);
        size += this.openSize;
        this.open = false;
      } else {
        chunkHashInto(this.hashes, at, piece);
      }
      this.sizes.push(size);
      start = cut;
    }
    if (start < n) {
      if (!this.open) {
        this.stream.init();
        this.open = true;
        this.openSize = 0;
      }
      this.stream.update(buf.subarray(start, n));
      this.openSize += n - start;
    }
  }

  /** Chunks completed so far (the open one excluded). */
  get completed(): number {
    return this.sizes.length;
  }

  /**
   * Copies of the completed chunks [from, completed): for announcing a big file's first
   * chunks while the rest is still being hashed (hash-worker.ts, hasher.ts).
   */
  completedSince(from: number): { hashes: Uint8Array; sizes: number[] } {
    const to = this.sizes.length;
    return { hashes: this.hashes.slice(from * HASH_BYTES, to * HASH_BYTES), sizes: this.sizes.slice(from, to) };
  }

  /** Close the last chunk and return the list; the instance is ready for another file. */
  finish(): ChunkRef[] {
    if (this.open) {
      // slot() may replace this.hashes (growth): take the offset first, then the buffer.
      const at = this.slot();
      this.stream.finalInto(this.hashes, at);
      this.sizes.push(this.openSize);
    }
    const out = compactHashes(this.hashes, this.sizes);
    this.sizes = [];
    this.open = false;
    this.openSize = 0;
    this.total = 0;
    this.chunker.reset();
    if (this.hashes.length > 64 * 1024) this.hashes = Buffer.allocUnsafeSlow(8 * HASH_BYTES); // after a huge file
    return out;
  }

  /** Offset in `hashes` for the next chunk's hash (grows the block when full). */
  private slot(): number {
    const at = this.sizes.length * HASH_BYTES;
    if (at + HASH_BYTES > this.hashes.length) {
      const bigger = Buffer.allocUnsafeSlow(this.hashes.length * 2);
      this.hashes.copy(bigger, 0, 0, at);
      this.hashes = bigger;
    }
    return at;
  }
}

/**
 * Copy a file's chunk hashes into one block that lives as long as the index keeps them,
 * and return the chunk list viewing it. Small blocks (files of up to 8 chunks) come from
 * slab.ts: one allocation per kept hash would fragment the heap (measured: megabytes for
 * a few thousand small files).
 */
function compactHashes(hashes: Buffer, sizes: number[]): ChunkRef[] {
  const n = sizes.length;
  const block = slabBytes(n * HASH_BYTES);
  hashes.copy(block, 0, 0, n * HASH_BYTES);
  const chunks: ChunkRef[] = new Array(n);
  for (let i = 0; i < n; i++) chunks[i] = { hash: block.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES), size: sizes[i]! };
  return chunks;
}

/** Chunk and hash an in-memory buffer (tests, small tools). */
export function chunkBuffer(buf: Uint8Array): ChunkRef[] {
  const h = new ChunkHasher();
  h.push(buf);
  return h.finish();
}

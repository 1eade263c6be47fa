import { HASH_BYTES, type ChunkRef } from '../model/record.js';
import { Blake2bStream, blake2b256Into } from './blake2b.js';
import { Chunker } from './chunker.js';
import { slabBytes } from './slab.js';

/**
 * Cuts a byte stream into chunks and hashes each one: feed the file's buffers in order
 * with push(), then finish(). A chunk that lies inside one buffer is hashed in one call;
 * only chunks that straddle buffers go through the incremental state.
 */
export class ChunkHasher {
  private readonly chunker = new Chunker();
  private readonly stream = new Blake2bStream();
  /** True while a chunk that began in an earlier buffer is being hashed incrementally. */
  private open = false;
  /** Bytes of the open chunk fed so far. */
  private openSize = 0;
  private chunks: ChunkRef[] = [];
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
      const hash = Buffer.allocUnsafe(HASH_BYTES);
      const piece = buf.subarray(start, cut);
      let size = cut - start;
      if (this.open) {
        this.stream.update(piece);
        this.stream.final(hash);
        size += this.openSize;
        this.open = false;
      } else {
        blake2b256Into(hash, piece);
      }
      this.chunks.push({ hash, size });
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

  /** Close the last chunk and return the list; the instance is ready for another file. */
  finish(): ChunkRef[] {
    if (this.open) {
      const hash = Buffer.allocUnsafe(HASH_BYTES);
      this.stream.final(hash);
      this.chunks.push({ hash, size: this.openSize });
    }
    const out = compactHashes(this.chunks);
    this.chunks = [];
    this.open = false;
    this.openSize = 0;
    this.total = 0;
    this.chunker.reset();
    return out;
  }
}

/**
 * Move a file's chunk hashes into one block that lives as long as the index keeps them.
 * Each hash was a slice of Node's shared 8 KiB buffer pool; kept for the life of the index,
 * such slices pin whole pool slabs (measured: megabytes for a few thousand small files).
 * Small blocks (files of up to 8 chunks) come from slab.ts.
 */
function compactHashes(chunks: ChunkRef[]): ChunkRef[] {
  const block = slabBytes(chunks.length * HASH_BYTES);
  for (let i = 0; i < chunks.length; i++) {
    const c = chunks[i]!;
    const slot = block.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES);
    c.hash.copy(slot);
    c.hash = slot;
  }
  return chunks;
}

/** Chunk and hash an in-memory buffer (tests, small tools). */
export function chunkBuffer(buf: Uint8Array): ChunkRef[] {
  const h = new ChunkHasher();
  h.push(buf);
  return h.finish();
}

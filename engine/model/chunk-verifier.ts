import { checkChunkSpans } from '../index/chunk-hash.js';
import { HASH_BYTES } from './chunk-ref.js';
import { verifyThread } from './verify-thread.js';

/**
 * Verifies the chunks received into a download's write extent (transfer/direct-writer.ts)
 * on the verify thread (verify-thread.ts), reading the extent's shared memory in place: the
 * receiving engine thread is the busiest thread of a big download, and BLAKE3 over every
 * byte was ~0.2 s of it per GiB. One message per 4 MiB extent, not per chunk: per chunk,
 * the hand-off cost as much as the hash.
 *
 * If the worker cannot run or dies, the chunks are checked on this thread instead: a
 * verdict is never skipped.
 */

/** A chunk in an extent: where it lies and what it must hash to. */
export interface ChunkSpan {
  at: number;
  len: number;
  hash: Buffer;
}

class ChunkVerifier {
  /** Chunks checked on the worker so far (tests). */
  checkedOnWorker = 0;

  /** ok[i] = 1 when spans[i]'s bytes in `memory` hash to spans[i].hash, else 0. */
  async verify(memory: SharedArrayBuffer, spans: readonly ChunkSpan[]): Promise<Uint8Array> {
    const { at, hashes } = pack(spans);
    try {
      const ok = await verifyThread.run({ memory, spans: at, hashes }, [at.buffer as ArrayBuffer, hashes.buffer as ArrayBuffer]);
      if (ok.length !== spans.length) throw new Error('verify-worker: a reply of the wrong length');
      this.checkedOnWorker += spans.length;
      return ok;
    } catch {
      return verifySpansHere(memory, spans); // (at and hashes went to the worker: packed again)
    }
  }
}

/** Spans and hashes as the worker takes them: [offset, length] pairs, hashes concatenated. */
function pack(spans: readonly ChunkSpan[]): { at: Uint32Array; hashes: Uint8Array } {
  const at = new Uint32Array(spans.length * 2);
  const hashes = new Uint8Array(spans.length * HASH_BYTES);
  spans.forEach((s, i) => {
    at[2 * i] = s.at;
    at[2 * i + 1] = s.len;
    if (s.hash.length === HASH_BYTES) hashes.set(s.hash, i * HASH_BYTES);
  });
  return { at, hashes };
}

/** What verify() answers, computed on this thread (a few chunks: not worth the trip). */
export function verifySpansHere(memory: ArrayBufferLike, spans: readonly ChunkSpan[]): Uint8Array {
  const { at, hashes } = pack(spans);
  return checkChunkSpans(memory, at, hashes);
}

export const chunkVerifier = new ChunkVerifier();

/** The verifier as DirectWriter takes it (transfer/direct-writer.ts VerifySpans). */
export const verifySpans = (memory: SharedArrayBuffer, spans: readonly ChunkSpan[]): Promise<Uint8Array> => chunkVerifier.verify(memory, spans);

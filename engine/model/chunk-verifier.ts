import { checkChunkSpans } from '../index/chunk-hash.js';
import { OnDemandWorker } from '../util/on-demand-worker.js';
import { HASH_BYTES } from './chunk-ref.js';
import type { ChunkCheckJob, VerifyReply } from './verify-worker.js';

/**
 * Verifies the chunks received into a download's write extent (transfer/direct-writer.ts)
 * on a worker thread (verify-worker.ts), reading the extent's shared memory in place: the
 * receiving engine thread is the busiest thread of a big download, and BLAKE3 over every
 * byte was ~0.2 s of it per GiB. One message per 4 MiB extent, not per chunk: per chunk,
 * the hand-off cost as much as the hash.
 *
 * If the worker cannot run or dies, the chunks are checked on this thread instead: a
 * verdict is never skipped.
 */
const IDLE_MS = 2000;

interface Waiting {
  resolve(ok: Uint8Array): void;
  reject(err: Error): void;
}

/** A chunk in an extent: where it lies and what it must hash to. */
export interface ChunkSpan {
  at: number;
  len: number;
  hash: Buffer;
}

class ChunkVerifier {
  private readonly worker = new OnDemandWorker<VerifyReply>(import.meta.url, 'verify-worker', IDLE_MS, {
    reply: (m) => this.onReply(m),
    failed: (err) => this.fail(err),
    busy: () => this.waiting.size > 0,
  });
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;
  /** Chunks checked on the worker so far (tests). */
  checkedOnWorker = 0;

  /** ok[i] = 1 when spans[i]'s bytes in `memory` hash to spans[i].hash, else 0. */
  async verify(memory: SharedArrayBuffer, spans: readonly ChunkSpan[]): Promise<Uint8Array> {
    const { at, hashes } = pack(spans);
    try {
      const ok = await this.send({ id: this.nextId++, memory, spans: at, hashes });
      if (ok.length !== spans.length) throw new Error('verify-worker: a reply of the wrong length');
      this.checkedOnWorker += spans.length;
      return ok;
    } catch {
      return checkChunkSpans(memory, at, hashes);
    }
  }

  private send(job: ChunkCheckJob): Promise<Uint8Array> {
    const w = this.worker.get();
    return new Promise((resolve, reject) => {
      this.waiting.set(job.id, { resolve, reject });
      w.postMessage(job, [job.spans.buffer as ArrayBuffer, job.hashes.buffer as ArrayBuffer]);
    });
  }

  private onReply(m: VerifyReply): void {
    const waiter = this.waiting.get(m.id);
    if (!waiter) return;
    this.waiting.delete(m.id);
    waiter.resolve(m.ok);
    if (this.waiting.size === 0) this.worker.idle();
  }

  private fail(err: Error): void {
    for (const [id, waiter] of this.waiting) {
      this.waiting.delete(id);
      waiter.reject(err);
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

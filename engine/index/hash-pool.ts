import type { Worker } from 'node:worker_threads';
import { spawnModuleWorker } from '../util/module-worker.js';
import { HASH_BYTES, type ChunkRef } from '../model/record.js';
import type { HashJob, WorkerReply } from './hash-worker.js';
import { SLAB_PIECE_MAX, keepBytes } from './slab.js';

/**
 * The chunks of a file being hashed, as they complete: collects them and tells a listener
 * (the folder announces a big file's first chunks while the rest is still being hashed).
 */
export class PartialChunks {
  readonly chunks: ChunkRef[] = [];
  bytes = 0;

  constructor(private readonly listener: (chunks: readonly ChunkRef[], bytes: number) => void) {}

  add(hashes: Uint8Array, sizes: readonly number[]): void {
    // Kept as long as a preview record refers to them: a block of their own.
    const block = Buffer.from(hashes.buffer, hashes.byteOffset, hashes.byteLength);
    for (let i = 0; i < sizes.length; i++) {
      this.chunks.push({ hash: block.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES), size: sizes[i]! });
      this.bytes += sizes[i]!;
    }
    this.listener(this.chunks, this.bytes);
  }
}

/** Completed chunks are reported at least every this many bytes hashed. */
export const PARTIAL_EVERY = 16 * 1024 * 1024;

/**
 * Files at least this big are worth a trip to the worker (posting a job costs ~0.1 ms,
 * hashing 1 MiB ~2 ms); smaller ones are hashed on the main thread.
 */
export const WORKER_MIN_SIZE = 1024 * 1024;
/**
 * The worker (an isolate: several MiB) is stopped after this long without work, so an idle
 * daemon does not keep it; starting one again costs ~30 ms, small next to a big file's hash.
 */
const IDLE_MS = 500;

interface Job {
  resolve(r: { chunks: ChunkRef[]; bytesRead: number }): void;
  reject(err: Error): void;
  onProgress: ((bytesDone: number) => void) | undefined;
  partials: PartialChunks | undefined;
  detach(): void;
}

/**
 * One worker thread that chunks and hashes big files (hash-worker.ts), started on demand.
 * With 2 cores, one big file hashed there runs beside everything the main thread does
 * (small files, signing, the index store), instead of taking turns with it.
 */
class HashWorker {
  private worker: Worker | null = null;
  private readonly jobs = new Map<number, Job>();
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | null = null;

  /** A job is running: callers hash on their own thread meanwhile, so both cores work. */
  get busy(): boolean {
    return this.jobs.size > 0;
  }

  /**
   * Chunk and hash `size` bytes of the open descriptor `fd` (the caller closes it after the
   * promise settles; the worker has stopped reading by then). An abort stops the job at
   * the next read buffer and resolves with what was read: the caller checks the signal.
   */
  hash(
    fd: number,
    size: number,
    onProgress?: (bytesDone: number) => void,
    signal?: AbortSignal,
    partials?: PartialChunks,
  ): Promise<{ chunks: ChunkRef[]; bytesRead: number }> {
    const w = this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const onAbort = (): void => w.postMessage({ cancel: id });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.jobs.set(id, { resolve, reject, onProgress, partials, detach: () => signal?.removeEventListener('abort', onAbort) });
      w.postMessage({ id, fd, size, partialEvery: partials ? PARTIAL_EVERY : 0 } satisfies HashJob);
    });
  }

  /** Stop the worker now if it has no job (after a big scan: it may not be needed for long). */
  stopIfIdle(): void {
    const w = this.worker;
    if (!w || this.jobs.size > 0) return;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    this.worker = null;
    void w.terminate();
  }

  private start(): Worker {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (this.worker) {
      this.worker.ref();
      return this.worker;
    }
    const w = spawnModuleWorker(import.meta.url, 'hash-worker');
    w.on('message', (m: WorkerReply) => this.onReply(m));
    w.on('error', (err) => this.fail(w, err));
    w.on('exit', (code) => this.fail(w, new Error(`hash worker exited with code ${code}`)));
    this.worker = w;
    return w;
  }

  private onReply(m: WorkerReply): void {
    const job = this.jobs.get(m.id);
    if (!job) return;
    if ('progress' in m) {
      job.onProgress?.(m.progress);
      return;
    }
    if ('partial' in m) {
      job.partials?.add(m.partial.hashes, m.partial.sizes);
      return;
    }
    this.settle(m.id, job);
    if ('error' in m) {
      job.reject(Object.assign(new Error(m.error.message), { code: m.error.code }));
      return;
    }
    // One block for all of a file's hashes, as ChunkHasher.finish() does on this thread.
    // (Kept for as long as the index knows the file: a small block goes into a slab like the rest.)
    const block = m.hashes.byteLength <= SLAB_PIECE_MAX ? keepBytes(m.hashes) : Buffer.from(m.hashes.buffer, m.hashes.byteOffset, m.hashes.byteLength);
    const chunks: ChunkRef[] = m.sizes.map((size, i) => ({ hash: block.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES), size }));
    job.resolve({ chunks, bytesRead: m.done });
  }

  private settle(id: number, job: Job): void {
    job.detach();
    this.jobs.delete(id);
    if (this.jobs.size > 0 || !this.worker) return;
    const w = this.worker;
    w.unref(); // an idle worker never keeps the process alive
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.worker !== w || this.jobs.size > 0) return;
      this.worker = null;
      void w.terminate();
    }, IDLE_MS);
    this.idleTimer.unref();
  }

  /** The worker died (crash, or terminated when idle): fail what it was doing. */
  private fail(w: Worker, err: Error): void {
    if (this.worker !== w) return; // one stopped for idleness had no jobs
    this.worker = null;
    for (const [id, job] of this.jobs) {
      job.detach();
      this.jobs.delete(id);
      job.reject(err);
    }
  }
}

export const hashWorker = new HashWorker();

import { OnDemandWorker } from '../util/on-demand-worker.js';
import { HASH_BYTES, type ChunkRef } from '../model/record.js';
import type { HashJob, SmallOutcome, WorkerReply } from './hash-worker.js';
import type { HashResult } from './small-read.js';
import { ShoalError, type ErrorCode } from '../errors.js';
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
 * daemon does not keep it; starting one again costs ~80 ms on the 2-core dev VM (an
 * isolate, then BLAKE3 loaded: it needs nothing else), small next to a big file's hash.
 */
const IDLE_MS = 500;

/** Small files sent to the worker in one message at most (hashSmall)... */
const SMALL_BATCH = 32;
/**
 * ...and batches it may have at once: one to work on and one waiting, since the replies
 * are only read between the engine thread's runs of synchronous work.
 */
const SMALL_BATCHES_AHEAD = 2;

interface SmallWaiter {
  resolve(r: HashResult | null): void;
  reject(err: Error): void;
  signal: AbortSignal | undefined;
}

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
  private readonly worker = new OnDemandWorker<WorkerReply>(import.meta.url, 'hash-worker', IDLE_MS, {
    reply: (m) => this.onReply(m),
    failed: (err) => this.fail(err),
    busy: () => this.hasWork,
  });
  private readonly jobs = new Map<number, Job>();
  /** Batches of small files sent to the worker, by message id. */
  private readonly smallJobs = new Map<number, SmallWaiter[]>();
  /** Small files the worker has hashed so far (tests). */
  smallHashed = 0;
  /** The batch being gathered (sent at the next check phase or when full). */
  private gathering: { paths: string[]; waiters: SmallWaiter[] } | null = null;
  /** A big file went to the worker since warmUp() last started it (takesSmallFiles). */
  private hadBigFile = true;
  private nextId = 1;

  /**
   * Start the worker ahead of work that is sure to come (a folder's first scan): a thread
   * start is ~100 ms (an isolate, then its modules and BLAKE3), and the first big file
   * would otherwise wait for it (measured on the 2-core dev VM: the first 16 MiB of a 1 GiB
   * file hashed 155 ms after the job was posted, 120 of them the start). Without work it
   * stops again after IDLE_MS, as always.
   */
  warmUp(): void {
    if (this.worker.running) return;
    this.worker.get();
    this.hadBigFile = false;
    this.idleIfDone();
  }

  get running(): boolean {
    return this.worker.running;
  }

  /** A big file is being hashed: callers hash on their own thread meanwhile, so both cores work. */
  get busy(): boolean {
    return this.jobs.size > 0;
  }

  /**
   * The worker is running, a big file has been given to it (not just warmUp), and it has
   * room for a batch of small files: the next small files may go to it (hashSmall) instead
   * of being hashed on the engine's thread, which hashes the rest itself, so the two share
   * the work by how fast each gets through it. (A folder of small files only is hashed on
   * the engine's thread, as before warm-ups: sharing them there was not measured faster.)
   */
  get takesSmallFiles(): boolean {
    if (!this.worker.running || !this.hadBigFile) return false;
    return this.gathering ? this.gathering.paths.length < SMALL_BATCH : this.smallJobs.size < SMALL_BATCHES_AHEAD;
  }

  /** Batches of small files are with the worker (hasher.ts yields more often then). */
  get hasSmallFiles(): boolean {
    return this.smallJobs.size > 0;
  }

  /**
   * Hash a small file on the worker (small-read.ts readSmallSync there), batched with the
   * others asked for in this round of the event loop. Null when it is no longer small.
   */
  hashSmall(absPath: string, signal?: AbortSignal): Promise<HashResult | null> {
    return new Promise((resolve, reject) => {
      let g = this.gathering;
      if (!g) {
        g = this.gathering = { paths: [], waiters: [] };
        setImmediate(() => this.sendGathered());
      }
      g.paths.push(absPath);
      g.waiters.push({ resolve, reject, signal });
      if (g.paths.length >= SMALL_BATCH) this.sendGathered();
    });
  }

  private sendGathered(): void {
    const g = this.gathering;
    if (!g) return;
    this.gathering = null;
    const w = this.worker.get();
    const id = this.nextId++;
    this.smallJobs.set(id, g.waiters);
    w.postMessage({ id, small: g.paths } satisfies HashJob);
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
    const w = this.worker.get();
    this.hadBigFile = true;
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
    if (!this.hasWork) this.worker.stop();
  }

  /** Files are out with the worker or being gathered for it. */
  private get hasWork(): boolean {
    return this.jobs.size > 0 || this.smallJobs.size > 0 || this.gathering !== null;
  }

  private onReply(m: WorkerReply): void {
    if ('small' in m) return this.onSmallReply(m.id, m.small);
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
    job.resolve({ chunks: chunkRefs(m.hashes, m.sizes), bytesRead: m.done });
  }

  private onSmallReply(id: number, outcomes: SmallOutcome[]): void {
    const waiters = this.smallJobs.get(id);
    if (!waiters) return;
    this.smallJobs.delete(id);
    this.smallHashed += waiters.length;
    waiters.forEach((w, i) => {
      const o = outcomes[i];
      if (w.signal?.aborted) w.reject(w.signal.reason as Error);
      else if (!o) w.reject(new Error('hash worker sent no outcome'));
      else if ('error' in o) w.reject(new ShoalError((o.error.code ?? 'IO_ERROR') as ErrorCode, o.error.message));
      else if ('notSmall' in o) w.resolve(null);
      else {
        const f = o.file;
        w.resolve({ chunks: chunkRefs(f.hashes, f.sizes), size: f.size, mtimeMs: f.mtimeMs, ino: f.ino, mode: f.mode, changedDuringHash: f.changedDuringHash });
      }
    });
    this.idleIfDone();
  }

  private settle(id: number, job: Job): void {
    job.detach();
    this.jobs.delete(id);
    this.idleIfDone();
  }

  private idleIfDone(): void {
    if (!this.hasWork) this.worker.idle();
  }

  /** The worker died (crash, or terminated): fail what it was doing. */
  private fail(err: Error): void {
    for (const [id, job] of this.jobs) {
      job.detach();
      this.jobs.delete(id);
      job.reject(err);
    }
    for (const [id, waiters] of this.smallJobs) {
      this.smallJobs.delete(id);
      for (const w of waiters) w.reject(err);
    }
  }
}

/**
 * One block for all of a file's hashes, as ChunkHasher.finish() does on this thread (kept for
 * as long as the index knows the file: a small block goes into a slab like the rest).
 */
function chunkRefs(hashes: Uint8Array, sizes: readonly number[]): ChunkRef[] {
  const block = hashes.byteLength <= SLAB_PIECE_MAX ? keepBytes(hashes) : Buffer.from(hashes.buffer, hashes.byteOffset, hashes.byteLength);
  return sizes.map((size, i) => ({ hash: block.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES), size }));
}

export const hashWorker = new HashWorker();

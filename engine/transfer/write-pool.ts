import type { Worker } from 'node:worker_threads';
import { spawnModuleWorker } from '../util/module-worker.js';
import { fromPutError, type PutJob, type PutResult } from './put-in-place.js';
import type { WriteReply, WriteRequest } from './write-worker.js';

/**
 * A few worker threads that put small downloaded files in place (write-worker.ts).
 *
 * A small file costs a dozen file-system calls, and on a busy disk the creating ones wait
 * for the disk (measured on the 2-core dev VM while 10,000 files landed: ~150 us per
 * create, most of it blocked). Made from the engine's thread they stalled it; sent one by
 * one to libuv's pool they cost more in hand-offs than the calls themselves. Here files go
 * to a thread that makes all their calls and may block, in batches: the files that arrived
 * in one round of I/O travel in one message each way, and each folder they land in is
 * fsynced once per batch (put-in-place.ts putBatchSync). Several threads keep several
 * files' fsyncs in flight at once, and the engine's thread stays free.
 *
 * Workers start on demand and stop after IDLE_MS without work.
 */
const WORKERS = 4;
/** Batches handed to one worker at a time: the next one is there when a batch is done. */
const BATCHES_PER_WORKER = 2;
/** Files in one batch at most (a batch's files wait for each other's fsyncs)... */
const MAX_BATCH = 16;
/**
 * ...and their bytes, beyond the first file's: a batch's contents travel packed in one
 * buffer that is handed over, not copied (packBatch), and buffers of this size come from
 * malloc's heap, already paged in, rather than from a fresh mapping.
 */
const MAX_BATCH_BYTES = 120 * 1024;
const IDLE_MS = 10_000;

interface Slot {
  worker: Worker;
  batches: number;
}

interface Waiting {
  job: PutJob;
  resolve(r: PutResult): void;
  reject(err: Error): void;
}

class WritePool {
  private readonly slots: Slot[] = [];
  private readonly pending = new Map<number, { files: Waiting[]; slot: Slot }>();
  private readonly waiting: Waiting[] = [];
  private nextId = 1;
  private dispatchScheduled = false;
  private idleTimer: NodeJS.Timeout | null = null;

  /** A worker is running: a file handed over now is written without a thread start first. */
  get warm(): boolean {
    return this.slots.length > 0;
  }

  /** Start a worker ahead of a burst of files (a thread start costs tens of ms). */
  warmUp(): void {
    if (this.slots.length === 0) {
      this.start();
      this.armIdle();
    }
  }

  /**
   * Put `job` in place on a worker thread, its folder fsynced. Rejects with the ShoalError
   * the writing raised. Files handed over in the same round of I/O share a batch.
   */
  write(job: PutJob): Promise<PutResult> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ job, resolve, reject });
      if (this.dispatchScheduled) return;
      this.dispatchScheduled = true;
      setImmediate(() => {
        this.dispatchScheduled = false;
        this.dispatch();
      });
    });
  }

  private dispatch(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    while (this.waiting.length > 0) {
      const slot = this.freeSlot();
      if (!slot) return;
      // Spread what waits over the workers that can take it, so their fsyncs overlap.
      const free = Math.max(1, this.slots.filter((s) => s.batches < BATCHES_PER_WORKER).length + WORKERS - this.slots.length);
      const files = this.waiting.splice(0, batchSize(this.waiting, Math.min(MAX_BATCH, Math.ceil(this.waiting.length / free))));
      const id = this.nextId++;
      if (slot.batches++ === 0) slot.worker.ref(); // files being written keep the process alive
      this.pending.set(id, { files, slot });
      const { jobs, packed } = packBatch(files.map((f) => f.job));
      slot.worker.postMessage({ id, jobs, packed } satisfies WriteRequest, [packed]);
    }
  }

  /** The least busy worker with room, starting one while there are fewer than WORKERS. */
  private freeSlot(): Slot | null {
    let best: Slot | null = null;
    for (const s of this.slots) if (s.batches < BATCHES_PER_WORKER && (!best || s.batches < best.batches)) best = s;
    if (best && best.batches === 0) return best;
    if (this.slots.length < WORKERS) return this.start();
    return best;
  }

  private start(): Slot {
    const worker = spawnModuleWorker(import.meta.url, 'write-worker');
    const slot: Slot = { worker, batches: 0 };
    worker.on('message', (m: WriteReply) => this.onReply(m));
    worker.on('error', (err) => this.lost(slot, err));
    worker.on('exit', (code) => this.lost(slot, new Error(`write worker exited with code ${code}`)));
    worker.unref();
    this.slots.push(slot);
    return slot;
  }

  private onReply(m: WriteReply): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (--p.slot.batches === 0) p.slot.worker.unref(); // an idle worker never does
    p.files.forEach((f, i) => {
      const o = m.outcomes[i];
      if (o && 'result' in o) f.resolve(o.result);
      else f.reject(o ? fromPutError(o.error) : new Error('write worker sent no outcome'));
    });
    this.dispatch();
    if (this.pending.size === 0 && this.waiting.length === 0) this.armIdle();
  }

  /** A worker died: fail what it had (the puller retries those files) and forget it. */
  private lost(slot: Slot, err: Error): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    this.slots.splice(i, 1);
    for (const [id, p] of this.pending) {
      if (p.slot !== slot) continue;
      this.pending.delete(id);
      for (const f of p.files) f.reject(err);
    }
    this.dispatch();
  }

  private armIdle(): void {
    if (this.idleTimer) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.pending.size > 0 || this.waiting.length > 0) return;
      for (const s of this.slots.splice(0)) void s.worker.terminate();
    }, IDLE_MS);
    this.idleTimer.unref();
  }
}

/** How many of the first `max` waiting files make a batch (MAX_BATCH_BYTES; at least one). */
function batchSize(waiting: readonly Waiting[], max: number): number {
  let n = 1;
  let bytes = waiting[0]!.job.data.length;
  while (n < max && bytes + waiting[n]!.job.data.length <= MAX_BATCH_BYTES) bytes += waiting[n++]!.job.data.length;
  return n;
}

/**
 * The batch's contents copied into one buffer of their exact size, transferred to the worker
 * with the message. Posting the files' own buffers would copy each one's whole backing
 * store (a pooled frame, Node's shared 8 KiB slab), not just its bytes.
 */
function packBatch(jobs: PutJob[]): { jobs: WriteRequest['jobs']; packed: ArrayBuffer } {
  let total = 0;
  for (const j of jobs) total += j.data.length;
  const packed = Buffer.allocUnsafeSlow(total); // its own ArrayBuffer, every byte written below
  let at = 0;
  const out = jobs.map(({ data, ...rest }) => {
    packed.set(data, at);
    const job = { ...rest, offset: at, length: data.length };
    at += data.length;
    return job;
  });
  return { jobs: out, packed: packed.buffer as ArrayBuffer };
}

export const writePool = new WritePool();

import type { Worker } from 'node:worker_threads';
import { spawnModuleWorker } from '../util/module-worker.js';
import { fromPutError, type PutJob, type PutResult } from './put-in-place.js';
import type { WriteReply, WriteRequest } from './write-worker.js';

/**
 * A few worker threads that put small downloaded files in place (write-worker.ts).
 *
 * A small file costs a dozen file-system calls, and on a busy disk the creating ones wait
 * for the journal (measured on the 2-core dev VM while 10,000 files landed: ~150 us per
 * create, most of it blocked). Made from the engine's thread they stalled it; sent one by
 * one to libuv's pool they cost more in hand-offs than the calls themselves. Here each
 * file is one message to a thread that makes all its calls and may block: several files'
 * fsyncs are in flight at once, and the engine's thread stays free.
 *
 * Workers start on demand and stop after IDLE_MS without work.
 */
const WORKERS = 4;
/** Files handed to one worker at a time (the rest wait here). */
const PER_WORKER = 4;
const IDLE_MS = 10_000;

interface Slot {
  worker: Worker;
  busy: number;
}

interface Pending {
  resolve(r: PutResult): void;
  reject(err: Error): void;
  slot: Slot;
}

class WritePool {
  private readonly slots: Slot[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly waiting: Array<{ job: PutJob; resolve(r: PutResult): void; reject(err: Error): void }> = [];
  private nextId = 1;
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

  /** Put `job` in place on a worker thread. Rejects with the ShoalError the writing raised. */
  write(job: PutJob): Promise<PutResult> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ job, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    while (this.waiting.length > 0) {
      const slot = this.freeSlot();
      if (!slot) return;
      const w = this.waiting.shift()!;
      const id = this.nextId++;
      if (slot.busy++ === 0) slot.worker.ref(); // a file being written keeps the process alive
      this.pending.set(id, { resolve: w.resolve, reject: w.reject, slot });
      slot.worker.postMessage({ id, job: w.job } satisfies WriteRequest);
    }
  }

  /** The least busy worker with room, starting one while there are fewer than WORKERS. */
  private freeSlot(): Slot | null {
    let best: Slot | null = null;
    for (const s of this.slots) if (s.busy < PER_WORKER && (!best || s.busy < best.busy)) best = s;
    if (best && best.busy === 0) return best;
    if (this.slots.length < WORKERS) return this.start();
    return best;
  }

  private start(): Slot {
    const worker = spawnModuleWorker(import.meta.url, 'write-worker');
    const slot: Slot = { worker, busy: 0 };
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
    if (--p.slot.busy === 0) p.slot.worker.unref(); // an idle worker never does
    if ('error' in m) p.reject(fromPutError(m.error));
    else p.resolve(m.result);
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
      p.reject(err);
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

export const writePool = new WritePool();

import { OnDemandWorker } from '../util/on-demand-worker.js';
import type { ChunkCheckJob, VerifyJob, VerifyReply } from './verify-worker.js';

/**
 * The one verify worker thread (verify-worker.ts) that record-verifier.ts (signatures of
 * peers' records) and chunk-verifier.ts (chunks received into a download's extents) share:
 * one isolate, started on demand and stopped when idle, instead of one per kind of check
 * (each costs several MiB while it runs). Replies are matched to their jobs by id; if the
 * worker cannot run or dies, every job out fails, and each caller checks on its own thread.
 */
const IDLE_MS = 2000;

interface Waiting {
  resolve(ok: Uint8Array): void;
  reject(err: Error): void;
}

class VerifyThread {
  private readonly worker = new OnDemandWorker<VerifyReply>(import.meta.url, 'verify-worker', IDLE_MS, {
    reply: (m) => this.onReply(m),
    failed: (err) => this.fail(err),
    busy: () => this.waiting.size > 0,
  });
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;

  /** Run a job (its `id` is set here); `transfer` lists buffers handed over, not copied. */
  run(job: Omit<VerifyJob, 'id'> | Omit<ChunkCheckJob, 'id'>, transfer: ArrayBuffer[]): Promise<Uint8Array> {
    const w = this.worker.get();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      w.postMessage({ ...job, id }, transfer);
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

export const verifyThread = new VerifyThread();

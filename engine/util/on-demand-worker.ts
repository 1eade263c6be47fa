import type { Worker } from 'node:worker_threads';
import { spawnModuleWorker } from './module-worker.js';

/**
 * One worker thread started when there is work and stopped after `idleMs` without any
 * (an isolate costs several MiB; starting one again ~30 ms). While idle it never keeps
 * the process alive. The owner says when work goes out (get) and when none is left
 * (idle), and hears of replies and of the worker's death (which fails the work in flight).
 */
export class OnDemandWorker<Reply> {
  private worker: Worker | null = null;
  private idleTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly baseUrl: string,
    private readonly name: string,
    private readonly idleMs: number,
    private readonly handlers: {
      reply(m: Reply): void;
      /** The worker died (crash, exit) while it was ours: fail what it was doing. */
      failed(err: Error): void;
      /** Work still out: the idle timer must not stop the worker. */
      busy(): boolean;
    },
  ) {}

  get running(): boolean {
    return this.worker !== null;
  }

  /** The worker, started if need be, kept referenced until idle(). */
  get(): Worker {
    this.clearTimer();
    if (this.worker) {
      this.worker.ref();
      return this.worker;
    }
    const w = spawnModuleWorker(this.baseUrl, this.name);
    w.on('message', (m: Reply) => this.handlers.reply(m));
    w.on('error', (err) => this.died(w, err));
    w.on('exit', (code) => this.died(w, new Error(`${this.name} exited with code ${code}`)));
    this.worker = w;
    return w;
  }

  /** No work is out: unref the worker and stop it after idleMs (one timer, from the last work). */
  idle(): void {
    const w = this.worker;
    if (!w) return;
    w.unref();
    this.clearTimer();
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.worker === w && !this.handlers.busy()) this.stop();
    }, this.idleMs);
    this.idleTimer.unref();
  }

  /** Stop the worker now (the owner knows it has no work out). */
  stop(): void {
    this.clearTimer();
    const w = this.worker;
    this.worker = null;
    if (w) void w.terminate();
  }

  private clearTimer(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  private died(w: Worker, err: Error): void {
    if (this.worker !== w) return; // one stopped for idleness had nothing to do
    this.worker = null;
    this.clearTimer();
    this.handlers.failed(err);
  }
}

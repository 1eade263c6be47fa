/**
 * When to do file I/O synchronously on the event-loop thread.
 *
 * A read or write that the page cache serves takes microseconds; sending it to libuv's
 * thread pool costs more than that in hand-offs (measured on the 2-core dev machine:
 * ~20 us per dispatch, plus waking a pool thread and the completion callback). So hot
 * paths call the synchronous functions while they are fast, and use the pool for a while
 * once calls are slow (the disk has to seek, a network file system), so that this thread
 * is not held up by slow storage.
 *
 * One slow call proves little: on a busy machine the thread may simply have been
 * preempted during it (seen: a third of a download's reads went to the pool for that
 * reason alone). A disk that has to seek is slow call after call, so it takes STRIKES
 * slow calls, with no run of fast ones in between, to switch.
 */
const STRIKES = 3;

export class SyncIoGate {
  private asyncUntil = 0;
  private strikes = 0;

  constructor(
    /** A call slower than this counts as a strike... */
    private readonly slowMs = 8,
    /** ...and STRIKES of them send the calls to the pool for this long. */
    private readonly backoffMs = 1000,
  ) {}

  /** May the next call be synchronous? */
  get allowed(): boolean {
    return performance.now() >= this.asyncUntil;
  }

  /** Report how long a synchronous call took (from performance.now() before it). */
  took(startMs: number): void {
    const now = performance.now();
    if (now - startMs <= this.slowMs) {
      if (this.strikes > 0) this.strikes--;
      return;
    }
    if (++this.strikes < STRIKES) return;
    this.strikes = 0;
    this.asyncUntil = now + this.backoffMs;
  }
}

/**
 * The gate the engine's hot paths share (scanner stats, chunk reads, small-file writes):
 * storage that turns slow for one of them is slow for the others too.
 */
export const syncIo = new SyncIoGate();

import { ShoalError } from '../errors.js';

/**
 * Bandwidth limits (download_limit / upload_limit) and the speed shown by get_speed and
 * the UI. Time comes from an injectable Clock so tests run a "2 second" transfer in
 * microseconds.
 */

export interface Clock {
  /** Milliseconds, monotonic (wall-clock jumps must not stall or flood transfers). */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Smallest burst: one typical chunk must never have to wait for a bucket smaller than itself. */
export const MIN_BURST_BYTES = 64 * 1024;

interface Waiter {
  bytes: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * Token bucket in bytes. Burst = 1 s of rate (at least 64 KiB). A new bucket starts
 * empty, so a transfer that begins now takes bytes / rate from the first byte; after an
 * idle period up to one burst goes through at once.
 *
 * `take()` returns undefined synchronously when the bytes may go now (always, when
 * unlimited): the hot path allocates no promise. Otherwise it returns a promise resolved
 * in FIFO order. A request larger than the burst waits for a full bucket and leaves it in
 * debt, so big requests are never starved and the average rate still holds.
 */
export class TokenBucket {
  private rate: number;
  private capacity: number;
  private tokens = 0;
  private last: number;
  private readonly queue: Waiter[] = [];
  private timer: unknown = null;
  private readonly clock: Clock;

  constructor(bytesPerSec = 0, clock: Clock = systemClock) {
    this.clock = clock;
    this.rate = sanitize(bytesPerSec);
    this.capacity = burstFor(this.rate);
    this.last = clock.now();
  }

  /** 0 = unlimited. */
  get bytesPerSec(): number {
    return this.rate;
  }

  /** Requests waiting for tokens. */
  get pending(): number {
    return this.queue.length;
  }

  take(bytes: number): Promise<void> | void {
    if (this.rate === 0 || bytes <= 0) return;
    if (this.queue.length === 0) {
      this.refill();
      if (this.tokens >= this.need(bytes)) {
        this.tokens -= bytes;
        return;
      }
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ bytes, resolve, reject });
      this.schedule();
    });
  }

  /** Change the limit at run time (setPrefs). Waiters are re-timed; 0 releases them all. */
  setRate(bytesPerSec: number): void {
    this.refill();
    this.rate = sanitize(bytesPerSec);
    this.capacity = burstFor(this.rate);
    if (this.tokens > this.capacity) this.tokens = this.capacity;
    this.cancelTimer();
    if (this.rate === 0) {
      this.tokens = 0;
      for (const w of this.queue.splice(0)) w.resolve();
      return;
    }
    this.release();
  }

  /** Shutting down: fail every waiter so no transfer hangs on a timer that will not come. */
  close(): void {
    this.cancelTimer();
    const err = new ShoalError('SHUTTING_DOWN', 'Transfer stopped: Shoal is shutting down.');
    for (const w of this.queue.splice(0)) w.reject(err);
  }

  private need(bytes: number): number {
    return Math.min(bytes, this.capacity);
  }

  private refill(): void {
    const now = this.clock.now();
    const elapsed = now - this.last;
    this.last = now;
    if (elapsed <= 0 || this.rate === 0) return;
    this.tokens = Math.min(this.capacity, this.tokens + (elapsed * this.rate) / 1000);
  }

  /** Hand tokens to waiters in order; schedule a timer for the first that must still wait. */
  private release(): void {
    this.refill();
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      if (this.tokens < this.need(head.bytes)) break;
      this.tokens -= head.bytes;
      this.queue.shift();
      head.resolve();
    }
    if (this.queue.length > 0) this.schedule();
  }

  private schedule(): void {
    if (this.timer !== null || this.queue.length === 0) return;
    const deficit = this.need(this.queue[0]!.bytes) - this.tokens;
    const ms = Math.max(1, Math.ceil((deficit * 1000) / this.rate));
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.release();
    }, ms);
  }

  private cancelTimer(): void {
    if (this.timer === null) return;
    this.clock.clearTimeout(this.timer);
    this.timer = null;
  }
}

function sanitize(bytesPerSec: number): number {
  return Number.isFinite(bytesPerSec) && bytesPerSec > 0 ? bytesPerSec : 0;
}

function burstFor(rate: number): number {
  return Math.max(rate, MIN_BURST_BYTES);
}

/**
 * Moving-average speed over the last `windowMs` (default 3 s) in fixed time slots: O(1)
 * per sample, no allocation, and a stalled transfer decays to 0 within one window.
 */
export class RateMeter {
  private readonly slotMs: number;
  private readonly slots: Float64Array;
  private readonly started: number;
  private current: number;
  private totalBytes = 0;
  private readonly clock: Clock;

  constructor(windowMs = 3000, slotMs = 250, clock: Clock = systemClock) {
    this.clock = clock;
    this.slotMs = slotMs;
    this.slots = new Float64Array(Math.max(2, Math.round(windowMs / slotMs)));
    this.started = clock.now();
    this.current = Math.floor(this.started / slotMs);
  }

  add(bytes: number): void {
    this.advance(this.clock.now());
    this.slots[this.current % this.slots.length] += bytes;
    this.totalBytes += bytes;
  }

  /** Bytes since the meter was created. */
  get total(): number {
    return this.totalBytes;
  }

  /** Average bytes/s over the window (or over the meter's lifetime while it is younger). */
  bytesPerSec(): number {
    const now = this.clock.now();
    this.advance(now);
    let sum = 0;
    for (let i = 0; i < this.slots.length; i++) sum += this.slots[i];
    const covered = (this.slots.length - 1) * this.slotMs + (now - this.current * this.slotMs);
    const span = Math.max(this.slotMs, Math.min(covered, now - this.started));
    return (sum * 1000) / span;
  }

  private advance(now: number): void {
    const idx = Math.floor(now / this.slotMs);
    if (idx <= this.current) return;
    const n = this.slots.length;
    const steps = Math.min(idx - this.current, n);
    for (let k = 1; k <= steps; k++) this.slots[(this.current + k) % n] = 0;
    this.current = idx;
  }
}

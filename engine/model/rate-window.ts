/**
 * Bytes per second over the last few seconds, for one transfer (the Transfers tab's speed).
 * Keeps one bucket per second, so memory stays constant however many chunks move.
 */
const BUCKET_MS = 1000;

export class RateWindow {
  private readonly buckets: number[];
  private readonly starts: number[];
  private last = 0;

  constructor(private readonly seconds = 3) {
    this.buckets = new Array<number>(seconds).fill(0);
    this.starts = new Array<number>(seconds).fill(-1);
  }

  add(bytes: number, now: number): void {
    const slot = Math.floor(now / BUCKET_MS);
    const i = slot % this.seconds;
    if (this.starts[i] !== slot) {
      this.starts[i] = slot;
      this.buckets[i] = 0;
    }
    this.buckets[i]! += bytes;
    this.last = now;
  }

  /** When bytes last moved (ms), 0 = never. */
  get lastAt(): number {
    return this.last;
  }

  /** Average bytes/s over the window: the full seconds before this one plus this partial one. */
  rate(now: number): number {
    const slot = Math.floor(now / BUCKET_MS);
    let sum = 0;
    for (let i = 0; i < this.seconds; i++) {
      const start = this.starts[i]!;
      if (start >= 0 && start <= slot && slot - start < this.seconds) sum += this.buckets[i]!;
    }
    const span = this.seconds - 1 + (now - slot * BUCKET_MS) / BUCKET_MS;
    return Math.round(sum / Math.max(span, 1));
  }
}

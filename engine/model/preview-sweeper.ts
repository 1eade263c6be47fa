import type { Job } from './pull-job.js';

/** A preview's download waits this long for news (a longer preview, its final record). */
export const PREVIEW_IDLE_MS = 60_000;

/**
 * Drops the downloads of previews (record.ts) whose final record never came: a peer that
 * stopped hashing a big file, or went away, would otherwise leave a temp file as big as
 * the part it previewed. Looks every PREVIEW_IDLE_MS / 4 while preview downloads exist.
 */
export class PreviewSweeper {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly jobs: () => Iterable<Job>,
    private readonly drop: (job: Job) => void,
    private readonly idleMs = PREVIEW_IDLE_MS,
  ) {}

  /** A preview download started: make sure a sweep is coming. */
  arm(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      let left = false;
      for (const job of [...this.jobs()]) {
        if (!job.record.preview) continue;
        if (Date.now() - job.news > this.idleMs) this.drop(job);
        else left = true;
      }
      if (left) this.arm();
    }, this.idleMs / 4);
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

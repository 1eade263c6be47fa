/**
 * Reusable buffers for whole frames, in a few size classes.
 *
 * A download or upload moves one frame per request: a chunk (~134 KiB on average, up to
 * 512 KiB) or a run of adjacent chunks (up to 1 MiB, model/pull-job.ts RUN_BYTES):
 * a fresh buffer for each cost a page-faulted allocation (the engine's malloc settings
 * mmap every block of 128 KiB or more) and, later, a garbage collection. Measured on the
 * 2-core dev machine: ChaCha20-Poly1305 into fresh 128 KiB buffers ran at ~270 MB/s,
 * in place into reused ones at ~1,500 MB/s.
 *
 * Ownership is explicit: acquire() hands out a buffer nobody else holds; release() gives
 * it back once nothing refers to it any more (the socket wrote it, the chunk was written
 * to disk). Releasing is optional: a buffer never released is simply garbage collected.
 * Releasing a buffer that did not come from the pool, or one already back in it, is
 * ignored, so a stray release can never hand one buffer to two users.
 */
const CLASSES = [16 * 1024, 64 * 1024, 160 * 1024, 288 * 1024, 544 * 1024, 1040 * 1024] as const;
/**
 * Idle buffers kept per class: enough for a download's request window of frames (the
 * puller's 16 MiB, received but not yet on disk) or a send buffer's worth going out, and
 * for the small files of a burst waiting for their write worker.
 * Idle buffers are all dropped TRIM_MS after the last use, so an idle daemon keeps none.
 */
const MAX_IDLE = [256, 32, 112, 60, 30, 20] as const;
const TRIM_MS = 5000;

/**
 * Smaller frames (requests, acks, small index batches) come from Node's shared slab. Those
 * from here up are pooled, small files' 4-16 KiB included: allocated one by one, they left
 * the C heap fragmented (measured: a receiver of 10,000 small files kept 64 MiB of malloc
 * heap, 32 MiB with them pooled, and its idle RSS went from 152 to 120 MiB).
 */
const MIN_POOLED = 4 * 1024;

function classOf(size: number): number {
  for (let c = 0; c < CLASSES.length; c++) if (size <= CLASSES[c]!) return c;
  return -1;
}

export class FramePool {
  private readonly idle: ArrayBuffer[][] = CLASSES.map(() => []);
  /** Buffers made so far (a measure of how well reuse works; tests and benchmarks). */
  created = 0;
  private usedSinceTrim = false;
  private trimTimer: NodeJS.Timeout | null = null;
  /** Every ArrayBuffer this pool made that is still alive (idle or handed out). */
  private readonly owned = new WeakSet<ArrayBuffer>();
  /** Those currently idle (guards against a double release). */
  private readonly idleSet = new WeakSet<ArrayBuffer>();

  /** A buffer of exactly `size` bytes (uninitialized). */
  acquire(size: number): Buffer {
    if (size < MIN_POOLED) return Buffer.allocUnsafe(size);
    const c = classOf(size);
    if (c < 0) return Buffer.allocUnsafeSlow(size);
    this.usedSinceTrim = true;
    let ab = this.idle[c]!.pop();
    if (ab) this.idleSet.delete(ab);
    else {
      // Uninitialized: every byte handed out is written before it is read.
      ab = Buffer.allocUnsafeSlow(CLASSES[c]!).buffer as ArrayBuffer;
      this.created++;
      this.owned.add(ab);
    }
    return Buffer.from(ab, 0, size);
  }

  /** Give back a buffer from acquire() (or any view of it) once nothing uses it. */
  release(buf: Uint8Array): void {
    const ab = buf.buffer as ArrayBuffer;
    if (!this.owned.has(ab) || this.idleSet.has(ab)) return;
    const c = classOf(ab.byteLength);
    const list = this.idle[c]!;
    if (list.length >= MAX_IDLE[c]!) return; // let the GC have it
    list.push(ab);
    this.idleSet.add(ab);
    this.armTrim();
  }

  private armTrim(): void {
    if (this.trimTimer) return;
    this.trimTimer = setTimeout(() => {
      this.trimTimer = null;
      if (this.usedSinceTrim) {
        this.usedSinceTrim = false;
        this.armTrim();
      } else this.clear();
    }, TRIM_MS);
    this.trimTimer.unref();
  }

  /** Idle buffers held (tests). */
  get idleCount(): number {
    let n = 0;
    for (const l of this.idle) n += l.length;
    return n;
  }

  /** Drop every idle buffer (memory pressure, tests). */
  clear(): void {
    for (const l of this.idle) {
      for (const ab of l) this.idleSet.delete(ab);
      l.length = 0;
    }
  }
}

/** One pool for the whole process: frames of every connection share it. */
export const framePool = new FramePool();

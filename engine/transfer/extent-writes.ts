import fs from 'node:fs';
import { releaseExtent } from './extent-buffers.js';

/** A write through the page cache, on the file's ordinary descriptor. */
export type BufferedWrite = (bufs: Buffer[], position: number) => Promise<void>;

/** O_DIRECT needs offsets and lengths in whole blocks; 4 KiB covers every common disk. */
export const BLOCK = 4096;

/**
 * Extent writes in flight per file. Devices take several at once: the dev VM's virtual disk
 * took ~10 ms per 4 MiB write (up to 60 ms) while a 1 GiB download kept both cores busy, so
 * two at a time could not keep up with the network (S1: 1.41-1.54 s with four, 1.49-1.74 s
 * with two; eight were no better).
 */
const MAX_INFLIGHT = 4;

const writeFd = (fd: number, buf: Buffer, len: number, pos: number): Promise<number> =>
  new Promise((resolve, reject) => fs.write(fd, buf, 0, len, pos, (err, n) => (err ? reject(err) : resolve(n))));

/**
 * Full extents on their way to the disk (direct-writer.ts): one O_DIRECT write each, at
 * most MAX_INFLIGHT at once, the others waiting in order with their buffers; a buffer goes
 * back to the pool once written. Unaligned extents (a file's tail), and every write once
 * the file system refused one (it took the O_DIRECT open but not the write), go through
 * the page cache. Errors go to `failed`; the writer throws them at its next call.
 */
export class ExtentWrites {
  private readonly inflight = new Set<Promise<void>>();
  private readonly waiting: Array<{ buf: Buffer; len: number; pos: number }> = [];
  private directBroken = false;

  constructor(
    private readonly fd: () => number | null,
    private readonly buffered: BufferedWrite,
    private readonly failed: (err: unknown) => void,
  ) {}

  /** Write `len` bytes of `buf` at `pos` (the caller hands the buffer over; it is released once written). */
  add(buf: Buffer, len: number, pos: number): void {
    this.waiting.push({ buf, len, pos });
    this.start();
  }

  /** A write is under way: one of them will be done, and its buffer free, soon. */
  get busy(): boolean {
    return this.inflight.size > 0;
  }

  /** Resolves once one of the writes under way is done. */
  async oneDone(): Promise<void> {
    await Promise.race(this.inflight);
  }

  /** Resolves once every write added so far is done (or failed). */
  async allDone(): Promise<void> {
    while (this.inflight.size > 0 || this.waiting.length > 0) await Promise.allSettled([...this.inflight]);
  }

  private start(): void {
    while (this.inflight.size < MAX_INFLIGHT && this.waiting.length > 0) {
      const { buf, len, pos } = this.waiting.shift()!;
      const fd = this.fd();
      const direct = len % BLOCK === 0 && !this.directBroken && fd !== null;
      const job: Promise<void> = (direct ? this.writeDirect(fd, buf, len, pos) : this.buffered([buf.subarray(0, len)], pos))
        .catch((err: unknown) => this.failed(err))
        .finally(() => {
          releaseExtent(buf);
          this.inflight.delete(job);
          this.start();
        });
      this.inflight.add(job);
    }
  }

  private async writeDirect(fd: number, buf: Buffer, len: number, pos: number): Promise<void> {
    try {
      let done = 0;
      while (done < len) {
        const n = await writeFd(fd, done === 0 ? buf : buf.subarray(done), len - done, pos + done);
        if (n <= 0 || n % BLOCK !== 0) throw Object.assign(new Error('short O_DIRECT write'), { code: 'EINVAL' });
        done += n;
      }
    } catch (err) {
      // The file system took the open but not the write: the page cache from now on.
      if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
      this.directBroken = true;
      await this.buffered([buf.subarray(0, len)], pos);
    }
  }
}

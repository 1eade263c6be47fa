import fs from 'node:fs/promises';
import path from 'node:path';
import { ShoalError } from '../errors.js';
import type { ChunkRequest } from './peer-link.js';
import type { FileRecord } from './record.js';

/** Pooled read buffers: enough for most chunks (the average is ~134 KiB) at a bounded cost. */
const POOL_BUF_BYTES = 256 * 1024;
const MAX_POOLED = 8;

interface Handle {
  fh: Promise<fs.FileHandle>;
  /** The version the handle was opened for: a new version means a new file (renamed into place). */
  record: FileRecord;
  timer: NodeJS.Timeout | null;
  users: number;
  retired: boolean;
}

/**
 * Serves chunk requests from peers: checks the request against what our index says is on
 * disk (path, offset, size and hash must name a real chunk of that file), then reads it.
 * Keeps a few file handles open so a big file isn't reopened for every chunk.
 */
export class ChunkReader {
  private readonly handles = new Map<string, Handle>();
  private readonly offsets = new WeakMap<FileRecord, Float64Array>();
  /** Buffers given back through recycle(). */
  private readonly pool: Buffer[] = [];

  constructor(private readonly root: string, private readonly maxOpen = 16, private readonly idleMs = 2000) {}

  async read(record: FileRecord, req: ChunkRequest): Promise<Buffer> {
    const idx = this.chunkAt(record, req.offset);
    const chunk = idx >= 0 ? record.chunks[idx] : undefined;
    if (!chunk || chunk.size !== req.size || !chunk.hash.equals(req.hash)) {
      throw new ShoalError('BAD_REQUEST', 'No such chunk in this version of the file');
    }
    const abs = path.join(this.root, ...record.path.split('/'));
    const h = this.acquire(abs, record);
    try {
      const fh = await h.fh;
      const buf = this.allocate(req.size);
      let got = 0;
      while (got < req.size) {
        const { bytesRead } = await fh.read(buf, got, req.size - got, req.offset + got);
        if (bytesRead === 0) throw new ShoalError('IO_ERROR', 'File is shorter than its index says');
        got += bytesRead;
      }
      return buf;
    } finally {
      this.release(abs, h);
    }
  }

  /**
   * Hand back a buffer read() returned once nothing refers to it any more (its bytes were
   * encrypted into a frame). Serving a big file then allocates almost nothing per chunk,
   * which spares the mark-compacts that external memory pressure would force.
   */
  recycle(buf: Buffer): void {
    const whole = buf.buffer;
    if (buf.byteOffset !== 0 || whole.byteLength !== POOL_BUF_BYTES || this.pool.length >= MAX_POOLED) return;
    this.pool.push(Buffer.from(whole, 0, POOL_BUF_BYTES));
  }

  private allocate(size: number): Buffer {
    if (size > POOL_BUF_BYTES || size < POOL_BUF_BYTES / 8) return Buffer.allocUnsafe(size);
    // allocUnsafeSlow: an ArrayBuffer of its own, so recycle() can recognise it by its size.
    return (this.pool.pop() ?? Buffer.allocUnsafeSlow(POOL_BUF_BYTES)).subarray(0, size);
  }

  /** Forget an open handle (file replaced or deleted). */
  invalidate(rel: string): void {
    const abs = path.join(this.root, ...rel.split('/'));
    const h = this.handles.get(abs);
    if (h) this.retire(abs, h);
  }

  async close(): Promise<void> {
    for (const [abs, h] of [...this.handles]) this.retire(abs, h);
  }

  private chunkAt(record: FileRecord, offset: number): number {
    let offs = this.offsets.get(record);
    if (!offs) {
      offs = new Float64Array(record.chunks.length);
      let o = 0;
      for (let i = 0; i < record.chunks.length; i++) {
        offs[i] = o;
        o += record.chunks[i]!.size;
      }
      this.offsets.set(record, offs);
    }
    let lo = 0;
    let hi = offs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = offs[mid]!;
      if (v === offset) return mid;
      if (v < offset) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  private acquire(abs: string, record: FileRecord): Handle {
    let h = this.handles.get(abs);
    if (h && h.record !== record) {
      this.retire(abs, h);
      h = undefined;
    }
    if (!h) {
      if (this.handles.size >= this.maxOpen) {
        for (const [k, v] of this.handles) {
          if (v.users === 0) {
            this.retire(k, v);
            break;
          }
        }
      }
      const fh = fs.open(abs, 'r');
      const created: Handle = { fh, record, users: 0, timer: null, retired: false };
      fh.catch(() => this.retire(abs, created));
      h = created;
      this.handles.set(abs, h);
    }
    if (h.timer) clearTimeout(h.timer);
    h.timer = null;
    h.users++;
    return h;
  }

  private release(abs: string, h: Handle): void {
    h.users--;
    if (h.users > 0) return;
    if (h.retired) {
      void closeQuietly(h);
      return;
    }
    h.timer = setTimeout(() => this.retire(abs, h), this.idleMs);
    h.timer.unref();
  }

  /** Take a handle out of the cache; it closes once its last reader is done. */
  private retire(abs: string, h: Handle): void {
    if (this.handles.get(abs) === h) this.handles.delete(abs);
    if (h.timer) clearTimeout(h.timer);
    h.timer = null;
    if (h.retired) return;
    h.retired = true;
    if (h.users === 0) void closeQuietly(h);
  }
}

async function closeQuietly(h: Handle): Promise<void> {
  try {
    await (await h.fh).close();
  } catch {
    // the open failed or it is already closed: nothing to release
  }
}

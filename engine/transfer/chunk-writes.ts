import type { FileHandle } from 'node:fs/promises';
import { ShoalError } from '../errors.js';
import type { DirectWriter } from './direct-writer.js';
import { writevFully } from './io.js';
import { hashMismatch } from './layout.js';

/** Bounds of one coalesced write (buffers, bytes). */
const MAX_RUN_CHUNKS = 64;
const MAX_RUN_BYTES = 8 * 1024 * 1024;

/** A verified chunk (or a placed one verified behind) waiting to reach the temp file. */
export interface QueuedWrite {
  i: number;
  /** Its offset in the file. */
  pos: number;
  data: Buffer;
  /** `data` is the chunk's place in its extent (FileAssembler.placeRun): counted there, not copied. */
  placed: boolean;
  /** The hash a placed chunk is verified against with the rest of its extent (verifiesBehind), or null: checked already. */
  behind: Buffer | null;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** What the write loop writes to: the assembler's temp file as it is now. */
export interface WriteTarget {
  path: string;
  fh: FileHandle;
  direct: DirectWriter | null;
  /** The download stopped: chunks still to be verified behind fail at once. */
  stopped: boolean;
  /** `bytes` more went to the file (early syncs). */
  wrote(bytes: number): void;
}

/**
 * One file's chunk writes, one write at a time; chunks verified meanwhile are written
 * together, adjacent ones in one pwritev. A fast download then costs a few large writes
 * instead of one thread-pool job per chunk, whose hand-offs cost the event loop more than
 * the copies. Big files go to their O_DIRECT extents instead (direct-writer.ts).
 */
export class ChunkWrites {
  private queue: QueuedWrite[] = [];
  private writing = false;

  constructor(private readonly target: () => WriteTarget) {}

  add(w: QueuedWrite): void {
    this.queue.push(w);
    if (!this.writing) void this.drain();
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0).sort((a, b) => a.i - b.i);
        const t = this.target();
        if (t.direct) await this.stageDirect(t, t.direct, batch);
        else await this.writeRuns(t, batch);
      }
    } finally {
      this.writing = false;
    }
  }

  private async writeRuns(t: WriteTarget, batch: QueuedWrite[]): Promise<void> {
    for (let start = 0; start < batch.length; ) {
      let end = start + 1;
      let bytes = batch[start]!.data.length;
      while (end < batch.length && batch[end]!.i === batch[end - 1]!.i + 1 && end - start < MAX_RUN_CHUNKS && bytes < MAX_RUN_BYTES) {
        bytes += batch[end++]!.data.length;
      }
      const run = batch.slice(start, end);
      start = end;
      try {
        await writevFully(t.fh, run.map((w) => w.data), run[0]!.pos);
        t.wrote(bytes);
        for (const w of run) w.resolve();
      } catch (err) {
        for (const w of run) w.reject(err);
      }
    }
  }

  /** O_DIRECT path: each chunk is staged in its extent(s); full extents are written as they fill. */
  private async stageDirect(t: WriteTarget, direct: DirectWriter, batch: QueuedWrite[]): Promise<void> {
    for (const w of batch) {
      try {
        if (w.behind) {
          if (t.stopped) throw new ShoalError('INTERNAL', `${t.path}: the download stopped before this chunk was verified`);
          // Settled once its extent is verified and written; the write loop goes on meanwhile.
          const done = (r: 'ok' | 'bad' | Error): void => (r === 'ok' ? w.resolve() : w.reject(r === 'bad' ? hashMismatch(t.path, w.i) : r));
          await direct.commitPlaced(w.pos, w.data.length, { hash: w.behind, done });
          t.wrote(w.data.length);
          continue;
        }
        if (w.placed) await direct.commitPlaced(w.pos, w.data.length);
        else await direct.put(w.pos, w.data);
        t.wrote(w.data.length);
        w.resolve();
      } catch (err) {
        w.reject(err);
      }
    }
  }
}

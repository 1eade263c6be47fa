import { constants } from 'node:fs';
import os from 'node:os';
import { open, type FileHandle } from 'node:fs/promises';
import { ShoalError } from '../errors.js';
import { verifySpans } from '../model/chunk-verifier.js';
import { extendsRecord, type FileRecord } from '../model/record.js';
import { chunkMatches } from './blake.js';
import { finishTemp, type CommitOptions, type LandedStat } from './commit.js';
import { DirectWriter, type VerifySpans } from './direct-writer.js';
import { EarlySync } from './early-sync.js';
import { fsError } from './errors.js';
import { ChunkWrites } from './chunk-writes.js';
import { readFully, writevFully } from './io.js';
import { hashMismatch, layoutOf, type ChunkLayout } from './layout.js';
import { verifyTempChunks } from './resume.js';
import { resolveInRoot } from './safe-path.js';
import { openTemp, removeQuietly, tempPathFor } from './temp-file.js';

export { writeSmallFile } from './small-file.js';
export { removeTempLeftovers } from './leftovers.js';
export type { ArchiveFn, CommitOptions, ExpectedFile, LandedStat } from './commit.js';

/**
 * Builds one file from verified chunks in `<name>.!sync` and swaps it in only when every
 * chunk is there, so the target is always either the old good file or the new good file.
 *
 * Chunks may arrive in any order and many writes may be in flight at once (positional
 * writes to distinct ranges do not interfere). One assembler per target path at a time.
 */

export interface OpenOptions {
  /** Verify and keep the chunks of a temp file left by an interrupted run (default true). */
  resume?: boolean;
}

export type FinalizeOptions = CommitOptions;

const MISSING = 0;
const WRITING = 1;
const PRESENT = 2;
/** Its bytes are being received straight into its write extent (placeRun). */
const PLACED = 3;

type Phase = 'open' | 'finalizing' | 'done' | 'closed';

const READ_SOURCE = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0);
const MAX_SPARE_BUFFERS = 4;
/**
 * The verifier for chunks received into their extents, when they are checked on the verify
 * thread (DirectWriter verifiesBehind), else undefined: checked here as they arrive. The
 * thread frees the receiving one (~0.2 s of it per GiB) but costs hand-offs and a thread
 * competing for the cores: measured on the 2-core dev VM it only added CPU (1 GiB: ~0.15 s
 * more in all, and no faster), so it is used with a core to spare. SHOAL_VERIFY_BEHIND=1 or
 * 0 forces it either way.
 */
function verifyBehind(): VerifySpans | undefined {
  const forced = process.env.SHOAL_VERIFY_BEHIND;
  return forced === '1' || (forced !== '0' && os.availableParallelism() > 2) ? verifySpans : undefined;
}

export class FileAssembler {
  /** What is being assembled (a preview's record grows into its final one: extend()). */
  private rec: FileRecord;
  readonly targetAbs: string;
  readonly tempAbs: string;
  /** Chunks found intact in a leftover temp file when opened (for logs and tests). */
  readonly resumedChunks: number;

  private fh: FileHandle | null;
  private layout: ChunkLayout;
  private state: Uint8Array;
  private presentCount = 0;
  private presentBytes = 0;
  /** Known when a leftover temp was reopened (its mode may differ from a fresh file's). */
  private readonly tempMode: number | undefined;
  private phase: Phase = 'open';
  private inflight = 0;
  private idleWaiters: Array<() => void> = [];
  /** Verified chunks on their way to the temp file (chunk-writes.ts). */
  private readonly writes = new ChunkWrites(() => ({
    path: this.rec.path,
    fh: this.fh!,
    direct: this.direct,
    stopped: this.phase !== 'open',
    wrote: (bytes) => this.wrote(bytes),
  }));
  /** Background datasyncs while the file downloads (early-sync.ts). */
  private readonly early = new EarlySync();
  /** Read buffers for local copies, reused so a big file's copies do not churn memory. */
  private spare: Buffer[] = [];
  /** Big files on Linux: chunks go to the disk in aligned O_DIRECT extents (direct-writer.ts). */
  private direct: DirectWriter | null = null;
  private openingDirect: Promise<void> | null = null;

  private constructor(record: FileRecord, targetAbs: string, tempAbs: string, fh: FileHandle, layout: ChunkLayout, tempMode: number | undefined, present: number[]) {
    this.rec = record;
    this.targetAbs = targetAbs;
    this.tempAbs = tempAbs;
    this.fh = fh;
    this.layout = layout;
    this.tempMode = tempMode;
    this.state = new Uint8Array(record.chunks.length);
    for (const i of present) this.markPresent(i);
    this.resumedChunks = present.length;
  }

  /** Open (or resume) the temp file for `record` inside `root`, creating parent folders. */
  static async open(root: string, record: FileRecord, opts: OpenOptions = {}): Promise<FileAssembler> {
    const layout = layoutOf(record);
    const targetAbs = await resolveInRoot(root, record.path, { createParents: true });
    const tempAbs = tempPathFor(targetAbs);
    const resume = opts.resume !== false;
    const { fh, existed } = await openTemp(tempAbs, resume);
    let asm: FileAssembler;
    if (!existed) asm = new FileAssembler(record, targetAbs, tempAbs, fh, layout, undefined, []);
    else {
      try {
        const st = await fh.stat();
        const present = await verifyTempChunks(fh, record, layout, st.size);
        asm = new FileAssembler(record, targetAbs, tempAbs, fh, layout, st.mode, present);
      } catch (err) {
        await fh.close().catch(() => {});
        throw fsError(err, tempAbs, 'read');
      }
    }
    if (!asm.complete) asm.direct = await DirectWriter.open(tempAbs, record.size, (bufs, pos) => writevFully(fh, bufs, pos), verifyBehind());
    return asm;
  }

  get record(): FileRecord {
    return this.rec;
  }

  /**
   * Continue assembling a longer record that begins with this one's chunks (a preview's
   * final record, or a longer preview): chunks present stay present, the new ones are
   * missing. Takes effect at once; writes in flight are unaffected (their offsets do not move).
   */
  extend(record: FileRecord): void {
    this.assertOpen();
    if (!extendsRecord(record, this.rec)) throw new ShoalError('INTERNAL', `${record.path}: not an extension of the record being assembled`);
    const layout = layoutOf(record);
    const state = new Uint8Array(record.chunks.length);
    state.set(this.state);
    this.rec = record;
    this.layout = layout;
    this.state = state;
    if (this.direct) this.direct.setSize(record.size);
    else if (!this.openingDirect) {
      // Grown big enough for O_DIRECT: writes go through the page cache until it is open.
      const fh = this.fh!;
      this.openingDirect = DirectWriter.open(this.tempAbs, record.size, (bufs, pos) => writevFully(fh, bufs, pos), verifyBehind()).then((w) => {
        if (!w) return;
        if (this.phase !== 'open' || this.direct) return void w.close();
        w.setSize(this.rec.size);
        this.direct = w;
      });
      this.inflight++;
      void this.openingDirect.finally(() => this.settled());
    }
  }

  get chunkCount(): number {
    return this.state.length;
  }

  /** Bytes verified and written so far (progress). */
  get bytesPresent(): number {
    return this.presentBytes;
  }

  get complete(): boolean {
    return this.presentCount === this.state.length;
  }

  /** Chunk indexes still needed, ascending. Chunks being written right now are not listed. */
  missing(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.state.length; i++) if (this.state[i] === MISSING) out.push(i);
    return out;
  }

  isPresent(i: number): boolean {
    return this.state[i] === PRESENT;
  }

  offsetOf(i: number): number {
    this.checkIndex(i);
    return this.layout.offsets[i]!;
  }

  /**
   * Where chunks i..i+n-1 (`size` bytes in all, answered together: a request for a run of
   * chunks) may be received into: their places in the O_DIRECT extent they will be written
   * from (DirectWriter.placeRun), one after another in one buffer, so the receiver decrypts
   * them there instead of into a buffer of its own that writeChunk then copies. Null unless
   * all of them are missing and fit one extent. Each chunk's part then goes to
   * writeChunk(i, part) as usual, or to dropPlace(i, part) if the bytes never come.
   */
  placeRun(i: number, n: number, size: number): Buffer | null {
    if (this.phase !== 'open' || !this.direct || n < 1 || i < 0 || i + n > this.state.length) return null;
    const lens: number[] = [];
    let total = 0;
    for (let k = i; k < i + n; k++) {
      if (this.state[k] !== MISSING) return null;
      const len = this.record.chunks[k]!.size;
      lens.push(len);
      total += len;
    }
    if (total !== size) return null;
    const place = this.direct.placeRun(this.layout.offsets[i]!, lens);
    if (place) this.state.fill(PLACED, i, i + n);
    return place;
  }

  /** The place placeRun gave chunk i will not be filled (the download failed): the chunk is missing again. */
  dropPlace(i: number, place: Buffer): void {
    const pos = this.layout.offsets[i];
    if (this.state[i] !== PLACED || pos === undefined || !this.direct?.isPlace(pos, place)) return;
    this.direct.dropPlace(pos);
    this.state[i] = MISSING;
  }

  /**
   * Verify and write chunk i. HASH_MISMATCH (nothing written) if the bytes are wrong.
   * A chunk already present or being written is ignored (duplicate from another peer).
   * `data` may be the chunk's place (placeRun): then it is verified where it lies.
   */
  async writeChunk(i: number, data: Buffer): Promise<void> {
    this.assertOpen();
    this.checkIndex(i);
    const c = this.record.chunks[i]!;
    const placed = this.state[i] === PLACED && this.direct !== null && this.direct.isPlace(this.layout.offsets[i]!, data);
    if (!placed && this.state[i] !== MISSING) return;
    // A placed chunk is verified with the rest of its extent, off this thread, where it can be.
    const behind = placed && this.direct!.verifiesBehind && data.length === c.size;
    if (!behind && (data.length !== c.size || !chunkMatches(data, c.hash))) {
      if (placed) this.dropPlace(i, data);
      throw hashMismatch(this.record.path, i);
    }
    await this.writeVerified(i, data, placed, behind ? c.hash : null);
  }

  /**
   * Fill chunk i from a local file (another synced file, or the old version of this one).
   * True when the chunk is present afterwards; false when the source no longer holds the
   * expected bytes (gone, shorter, changed, unreadable) - the caller downloads it instead.
   * Errors writing our temp file (DISK_FULL, ...) are thrown.
   */
  async copyChunkFrom(i: number, srcAbsPath: string, srcOffset: number): Promise<boolean> {
    this.assertOpen();
    this.checkIndex(i);
    if (this.state[i] !== MISSING) return true;
    const c = this.record.chunks[i]!;
    const buf = this.spare.pop() ?? Buffer.allocUnsafe(this.layout.maxChunk);
    try {
      const view = buf.subarray(0, c.size);
      if (!(await readSource(srcAbsPath, view, srcOffset))) return false;
      if (!chunkMatches(view, c.hash)) return false;
      if (this.phase !== 'open') return false; // aborted while we were reading
      if (this.state[i] !== MISSING) return true; // a download got there first
      await this.writeVerified(i, view);
      return true;
    } finally {
      if (this.spare.length < MAX_SPARE_BUFFERS) this.spare.push(buf);
    }
  }

  /**
   * Make the file real: fsync the temp, check the target is still what the caller thinks,
   * archive it, rename the temp into place with the record's mtime and exec bits, fsync
   * the directory (see finishTemp). On any failure the target is untouched; the complete
   * temp stays, so a retry after a rescan needs no download - abort({ keepTemp: false })
   * removes it.
   */
  async finalize(opts: FinalizeOptions): Promise<LandedStat> {
    this.assertOpen();
    if (this.rec.preview) throw new ShoalError('INTERNAL', `${this.rec.path}: a preview is never put in place`);
    if (!this.complete) {
      throw new ShoalError('INTERNAL', `${this.record.path}: ${this.state.length - this.presentCount} chunks are still missing`);
    }
    this.phase = 'finalizing';
    await this.waitIdle(); // an early sync may still run
    const fh = this.fh!;
    this.fh = null; // finishTemp closes it, whatever happens
    try {
      if (this.direct) {
        const direct = this.direct;
        this.direct = null;
        try {
          await direct.flush();
        } finally {
          await direct.close();
        }
      }
      if (this.early.error) {
        await fh.close().catch(() => {});
        throw fsError(this.early.error, this.targetAbs, 'write');
      }
      const landed = await finishTemp(fh, this.tempAbs, this.targetAbs, this.record, opts, this.tempMode);
      this.phase = 'done';
      return landed;
    } catch (err) {
      this.phase = 'closed';
      throw err;
    }
  }

  /**
   * Stop without touching the target. keepTemp (default) leaves the verified chunks for a
   * later resume; on DISK_FULL or when the file is no longer wanted pass keepTemp: false.
   * Safe to call after a failed finalize; a no-op after a successful one.
   */
  async abort(opts: { keepTemp: boolean } = { keepTemp: true }): Promise<void> {
    if (this.phase === 'done') return;
    this.phase = 'closed';
    // Chunks waiting for the rest of their extent would wait for ever: they fail now.
    this.direct?.dropUnverified(new ShoalError('INTERNAL', `${this.rec.path}: the download stopped before this chunk was verified`));
    await this.waitIdle();
    const direct = this.direct;
    this.direct = null;
    await direct?.close();
    const fh = this.fh;
    this.fh = null;
    if (fh) await fh.close().catch(() => {});
    if (!opts.keepTemp) await removeQuietly(this.tempAbs);
  }

  private async writeVerified(i: number, data: Buffer, placed = false, behind: Buffer | null = null): Promise<void> {
    this.state[i] = WRITING;
    this.inflight++;
    try {
      await new Promise<void>((resolve, reject) => {
        this.writes.add({ i, pos: this.layout.offsets[i]!, data, placed, behind, resolve, reject });
      });
      this.markPresent(i);
    } catch (err) {
      this.state[i] = MISSING;
      throw fsError(err, this.targetAbs, 'write');
    } finally {
      this.settled();
    }
  }

  private settled(): void {
    if (--this.inflight === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** Background datasyncs started so far (tests, logs). */
  get earlySyncs(): number {
    return this.early.count;
  }

  /** `bytes` more went to the temp file (or to its O_DIRECT extents): maybe time for an early sync. */
  private wrote(bytes: number): void {
    const sync = this.early.wrote(bytes, this.fh!);
    if (!sync) return;
    this.inflight++; // finalize and abort wait for it (waitIdle)
    void sync.finally(() => this.settled());
  }

  private markPresent(i: number): void {
    this.state[i] = PRESENT;
    this.presentCount++;
    this.presentBytes += this.record.chunks[i]!.size;
  }

  /** Never close the handle under an in-flight write (a reused fd would get our bytes). */
  private waitIdle(): Promise<void> {
    if (this.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private assertOpen(): void {
    if (this.phase !== 'open') throw new ShoalError('INTERNAL', `${this.record.path}: the assembler is already ${this.phase}`);
  }

  private checkIndex(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.state.length) {
      throw new ShoalError('BAD_REQUEST', `${this.record.path}: no chunk ${i}`);
    }
  }
}

/** Read exactly `buf.length` bytes at `offset`; any failure means "not available here". */
async function readSource(abs: string, buf: Buffer, offset: number): Promise<boolean> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(abs, READ_SOURCE);
    return await readFully(fh, buf, offset);
  } catch {
    return false;
  } finally {
    await fh?.close().catch(() => {});
  }
}

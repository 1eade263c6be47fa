import fs from 'node:fs';
import { promisify } from 'node:util';
import { verifySpansHere, type ChunkSpan } from '../model/chunk-verifier.js';
import { addRange, newStage, removeRange, settle, type BehindCheck, type PendingCheck, type Stage } from './extent-stage.js';
import { EXTENTS_SHARED, EXTENT_BYTES, MAX_EXTENT_BUFFERS, acquireExtent, releaseExtent } from './extent-buffers.js';
import { ExtentWrites, type BufferedWrite } from './extent-writes.js';

/**
 * Writes a big download with O_DIRECT (Linux): verified chunks are gathered into aligned
 * 4 MiB extents in memory, and each full extent goes to the disk in one write that
 * bypasses the page cache.
 *
 * Why: the final fsync makes every byte go to the disk anyway, and copying a whole file
 * into freshly allocated page-cache pages first cost more CPU than decrypting it
 * (measured on the 2-core dev VM: 3.9 s of write calls for a 1 GiB download through the
 * page cache, 0.5 s with O_DIRECT). The disk's own speed is then the only limit.
 *
 * Everything that does not fit the aligned pattern goes through the page cache instead,
 * on the file's ordinary descriptor: the file's unaligned tail, extents evicted before
 * they filled up (chunks arriving far out of order), and all of it where O_DIRECT is
 * refused (other systems, tmpfs, some network file systems). Each byte is written exactly
 * once, by one path or the other; the caller's fsync covers both.
 *
 * Not safe for concurrent use: the assembler calls put() from its one write loop.
 */
export type { BufferedWrite };

/** Verdicts on chunks in an extent's shared memory: ok[i] = 1 when spans[i] hashes right (model/chunk-verifier.ts). */
export type VerifySpans = (memory: SharedArrayBuffer, spans: readonly ChunkSpan[]) => Promise<Uint8Array>;

/** Files smaller than this are written through the page cache (few extents to gain). */
export const DIRECT_MIN_FILE = 32 * 1024 * 1024;
/** Partly filled extents one file may hold in memory. */
const MAX_STAGED = 4;
/**
 * Verified bytes of one file that may not have reached its temp file yet (staged, waiting
 * to be written or being written: as many as there are extent buffers); a crash loses
 * them, and the resume fetches them again.
 */
export const MAX_UNWRITTEN_BYTES = MAX_EXTENT_BUFFERS * EXTENT_BYTES;

const O_DIRECT: number | undefined = (fs.constants as Record<string, number>).O_DIRECT;
const openFd = promisify(fs.open);
const closeFd = promisify(fs.close);

/**
 * Checks of chunks in an extent that is not filling up (a chunk fetched again, a resumed
 * download) go out this long after the last chunk came; a filling extent's go out at once.
 */
const CHECK_AFTER_MS = 5;

export class DirectWriter {
  private readonly staged = new Map<number, Stage>();
  /** File offset of each place handed out (placeRun()) -> its extent's stage. */
  private readonly places = new Map<number, Stage>();
  /** Full extents on their way to the disk. */
  private readonly writes: ExtentWrites;
  private error: unknown = null;
  /** dropUnverified() was called: checks still coming back are settled with this. */
  private stopped: Error | null = null;
  private tick = 0;
  private fd: number | null;

  private constructor(
    fd: number,
    private size: number,
    private readonly buffered: BufferedWrite,
    private readonly verify: VerifySpans | null,
  ) {
    this.fd = fd;
    this.writes = new ExtentWrites(() => this.fd, buffered, (err) => (this.error ??= err));
  }

  /**
   * A writer for the temp file at `abs`, or null where O_DIRECT cannot be used. With
   * `verify`, placed chunks may be committed unchecked and verified a whole extent at a time
   * (verifiesBehind).
   */
  static async open(abs: string, size: number, buffered: BufferedWrite, verify?: VerifySpans): Promise<DirectWriter | null> {
    if (process.platform !== 'linux' || O_DIRECT === undefined || size < DIRECT_MIN_FILE) return null;
    try {
      const fd = await openFd(abs, fs.constants.O_WRONLY | O_DIRECT | (fs.constants.O_NOFOLLOW ?? 0));
      return new DirectWriter(fd, size, buffered, verify && EXTENTS_SHARED ? verify : null);
    } catch {
      return null; // EINVAL on tmpfs and others: the page cache it is
    }
  }

  /** Take `data` for file offset `pos` (a range never given before). Throws an earlier write's error. */
  async put(pos: number, data: Buffer): Promise<void> {
    if (this.error) throw this.error;
    for (let off = 0; off < data.length; ) {
      const at = pos + off;
      const k = Math.floor(at / EXTENT_BYTES);
      const start = k * EXTENT_BYTES;
      const len = Math.min(EXTENT_BYTES, this.size - start);
      const n = Math.min(data.length - off, start + len - at);
      const piece = data.subarray(off, off + n);
      off += n;
      const st = this.staged.get(k) ?? (await this.stage(k, len));
      if (!st) {
        await this.buffered([piece], at);
        continue;
      }
      piece.copy(st.buf, at - start);
      st.filled += n;
      st.touched = ++this.tick;
      addRange(st.ranges, at - start, at - start + n);
      await this.filledUp(k, st);
    }
  }

  /**
   * The memory where adjacent chunks from file offset `pos` on (their lengths `lens`; ranges
   * never given before) will be written from, for the caller to fill directly - the receiver
   * decrypts a chunk, or a run of chunks answered together, straight into it
   * (protocol/frames.ts openPlaced) - then commitPlaced() or dropPlace() each chunk at its
   * offset. Null when that would need waiting (no free extent buffer, or an eviction) or the
   * range crosses extents: put() it then. The extent is never written or evicted while a
   * place in it is open.
   */
  placeRun(pos: number, lens: readonly number[]): Buffer | null {
    let len = 0;
    for (const n of lens) {
      if (n <= 0) return null;
      len += n;
    }
    if (this.error || this.fd === null || len <= 0) return null;
    const k = Math.floor(pos / EXTENT_BYTES);
    const start = k * EXTENT_BYTES;
    if (pos + len > start + EXTENT_BYTES || pos + len > this.size) return null;
    let st = this.staged.get(k);
    if (!st) {
      if (this.staged.size >= MAX_STAGED) return null;
      const buf = acquireExtent();
      if (!buf) return null;
      st = newStage(buf, Math.min(EXTENT_BYTES, this.size - start), ++this.tick);
      this.staged.set(k, st);
    }
    st.touched = ++this.tick;
    for (let at = pos, i = 0; i < lens.length; at += lens[i++]!) {
      st.placed++;
      this.places.set(at, st);
    }
    return st.buf.subarray(pos - start, pos - start + len);
  }

  /** Whether `data` is the place handed out for `pos` (and still open). */
  isPlace(pos: number, data: Buffer): boolean {
    const st = this.places.get(pos);
    return st !== undefined && data.buffer === st.buf.buffer && data.byteOffset === st.buf.byteOffset + (pos % EXTENT_BYTES);
  }

  /**
   * Placed chunks may be committed before their hash is checked (commitPlaced with a check):
   * a worker thread verifies a whole extent's chunks in its shared memory as it is written,
   * instead of the receiving thread hashing each one as it arrives.
   */
  get verifiesBehind(): boolean {
    return this.verify !== null;
  }

  /**
   * The place for `pos` holds its bytes: they count as put(). Verified already, or - with
   * `check`, when verifiesBehind - checked with the rest of the extent (BehindCheck).
   * Throws an earlier write's error.
   */
  async commitPlaced(pos: number, len: number, check?: BehindCheck): Promise<void> {
    const st = this.takePlace(pos);
    if (this.error) throw this.error;
    const k = Math.floor(pos / EXTENT_BYTES);
    if (!st || this.staged.get(k) !== st) throw new Error(`DirectWriter: no open place at ${pos}`);
    if (check) {
      if (!this.verify) throw new Error('DirectWriter: not verifying behind');
      if (this.stopped) return check.done(this.stopped);
      st.pending.push({ at: pos - k * EXTENT_BYTES, len, hash: check.hash, done: check.done });
      if (st.timer) st.timer.refresh();
      else st.timer = setTimeout(() => this.sendChecks(k, st), CHECK_AFTER_MS);
    }
    st.filled += len;
    st.touched = ++this.tick;
    addRange(st.ranges, pos - k * EXTENT_BYTES, pos - k * EXTENT_BYTES + len);
    await this.filledUp(k, st);
  }

  /** Extent k may be complete: check its chunks still unchecked, then (once all passed) write it. */
  private async filledUp(k: number, st: Stage): Promise<void> {
    if (st.filled !== st.len) return;
    if (st.pending.length > 0) return this.sendChecks(k, st); // written when they pass (onVerdict)
    if (st.verifying === 0) this.writeFull(k, st);
  }

  /** Send the extent's unchecked chunks to the verifier (one message for all of them). */
  private sendChecks(k: number, st: Stage): void {
    if (st.timer) clearTimeout(st.timer);
    st.timer = null;
    if (st.pending.length === 0 || this.staged.get(k) !== st) return; // (eviction checks its own)
    const checks = st.pending.splice(0);
    st.verifying++;
    this.verify!(st.buf.buffer as SharedArrayBuffer, checks).then(
      (ok) => this.onVerdict(k, st, checks, ok),
      () => this.onVerdict(k, st, checks, verifySpansHere(st.buf.buffer, checks)),
    );
  }

  /** Verdicts on a batch of the extent's chunks: bad ones leave the extent; a complete, all-good extent is written. */
  private onVerdict(k: number, st: Stage, checks: PendingCheck[], ok: Uint8Array): void {
    st.verifying--;
    if (this.stopped) return settle(checks, this.stopped);
    checks.forEach((c, i) => {
      if (ok[i] === 1) return;
      st.filled -= c.len;
      removeRange(st.ranges, c.at, c.at + c.len);
    });
    settle(checks, ok);
    if (this.staged.get(k) === st && st.filled === st.len && st.pending.length === 0 && st.verifying === 0) {
      try {
        this.writeFull(k, st);
      } catch {
        // an earlier write's error, kept: the next put() or flush() throws it
      }
    }
  }

  /** The place for `pos` will not be used (wrong bytes, a failed download): its range stays unwritten. */
  dropPlace(pos: number): void {
    this.takePlace(pos);
  }

  private takePlace(pos: number): Stage | undefined {
    const st = this.places.get(pos);
    if (!st) return undefined;
    this.places.delete(pos);
    st.placed--;
    return st;
  }

  /** Write everything still in memory and wait for every write; throws the first error. */
  async flush(): Promise<void> {
    for (const [k, st] of [...this.staged]) await this.evict(k, st);
    await this.writes.allDone();
    if (this.error) throw this.error;
  }

  /** The file grew (a preview's download taken over by the final record): extents now end at the new size. */
  setSize(size: number): void {
    if (size < this.size) throw new RangeError('DirectWriter.setSize: files only grow here');
    for (const [k, st] of this.staged) st.len = Math.min(EXTENT_BYTES, size - k * EXTENT_BYTES);
    this.size = size;
  }

  /**
   * The download stops: chunks waiting for their extent to fill are told so (their `done`
   * gets `err`) instead of waiting for chunks that will not come.
   */
  dropUnverified(err: Error): void {
    this.stopped ??= err;
    for (const st of this.staged.values()) {
      if (st.timer) clearTimeout(st.timer);
      st.timer = null;
      settle(st.pending.splice(0), this.stopped);
    }
  }

  /** Wait for writes in flight, drop what is staged (not written), close the descriptor. */
  async close(): Promise<void> {
    await this.writes.allDone();
    this.dropUnverified(new Error('DirectWriter: closed'));
    for (const st of this.staged.values()) releaseExtent(st.buf);
    this.staged.clear();
    this.places.clear();
    const fd = this.fd;
    this.fd = null;
    if (fd !== null) await closeFd(fd).catch(() => undefined);
  }

  /**
   * A buffer for extent k - once a write under way frees one, or by evicting this file's
   * oldest partial extent - or null (the piece then goes through the page cache).
   */
  private async stage(k: number, len: number): Promise<Stage | null> {
    for (let tries = 0; tries < 64; tries++) {
      // placeRun() may have staged this extent while we waited.
      const meanwhile = this.staged.get(k);
      if (meanwhile) return meanwhile;
      const buf = this.staged.size < MAX_STAGED ? acquireExtent() : null; // else each holds an open place
      if (buf) {
        const st = newStage(buf, len, ++this.tick);
        this.staged.set(k, st);
        return st;
      }
      // No room now. A write of this file's under way frees a buffer soon: wait for it rather
      // than write through the page cache (several times the CPU per byte); if none is,
      // this file's oldest partial extent goes through the page cache to make room.
      if (this.writes.busy) await this.writes.oneDone();
      else if (!(await this.evictOldest())) return null;
    }
    return null;
  }

  /** Evict the least recently used extent that holds no open place: false when every one does. */
  private async evictOldest(): Promise<boolean> {
    let oldest: [number, Stage] | null = null;
    for (const e of this.staged) {
      const busy = e[1].placed > 0 || e[1].verifying > 0;
      if (!busy && (!oldest || e[1].touched < oldest[1].touched)) oldest = e;
    }
    if (!oldest) return false;
    await this.evict(oldest[0], oldest[1]);
    return true;
  }

  /** A partly filled extent: its ranges go through the page cache. */
  private async evict(k: number, st: Stage): Promise<void> {
    this.staged.delete(k);
    // Never while chunks in it are being checked (evictOldest); unchecked ones are checked here.
    if (st.timer) clearTimeout(st.timer);
    const checks = st.pending.splice(0);
    const ok = checks.length > 0 ? verifySpansHere(st.buf.buffer, checks) : null;
    if (ok) {
      checks.forEach((c, i) => {
        if (ok[i] !== 1) removeRange(st.ranges, c.at, c.at + c.len);
      });
    }
    try {
      const r = st.ranges;
      for (let i = 0; i < r.length; i += 2) await this.buffered([st.buf.subarray(r[i]!, r[i + 1]!)], k * EXTENT_BYTES + r[i]!);
    } catch (err) {
      this.error ??= err;
      settle(checks, err as Error);
      throw err;
    } finally {
      releaseExtent(st.buf);
    }
    if (ok) settle(checks, ok);
  }

  /**
   * A full extent goes to the disk (extent-writes.ts): the caller does not wait for it. A
   * write loop that waited for the disk left the chunks arriving meanwhile uncommitted,
   * their extents staged, and the next extents with no place (measured: ~70 MB of a 1 GiB
   * download then copied, some of it through the page cache). Extent buffers bound what
   * waits (extent-buffers.ts); an error is thrown by the next put() or flush().
   */
  private writeFull(k: number, st: Stage): void {
    this.staged.delete(k);
    this.writes.add(st.buf, st.len, k * EXTENT_BYTES);
    if (this.error) throw this.error;
  }
}

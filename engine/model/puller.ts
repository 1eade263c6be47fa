import { ShoalError, isProgrammerError, toErrorData } from '../errors.js';
import { FileAssembler, writeSmallFile, type CommitOptions, type LandedStat } from '../transfer/assembler.js';
import type { PeerLink } from './peer-link.js';
import { PeerWindows } from './peer-windows.js';
import { PreviewSweeper } from './preview-sweeper.js';
import type { ActiveDownload, PullHost, PullerOptions } from './pull-host.js';
import { RUN_BYTES, activeDownloads, continuesPreview, copyLocalChunks, mayRetry, newJob, nextRun, splitLocal, type Job, type Run } from './pull-job.js';
import { fetchRun, type FetchSteps } from './fetch-run.js';
import type { FileRecord } from './record.js';
import { WantedFiles } from './wanted.js';

/**
 * Downloads the files a folder needs. Per file: resume what a `.!sync` temp already holds,
 * copy chunks that exist locally (renames, edits to big files), and fetch the rest from
 * every peer that has the file at once, rarest file first, with a per-peer window of bytes
 * in flight so transfers stay pipelined without unbounded memory.
 */
export class Puller {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly jobs = new Map<string, Job>();
  private readonly windows = new PeerWindows();
  private readonly wanted = new WantedFiles();
  private pumpScheduled = false;
  private closed = false;
  private readonly previews = new PreviewSweeper(
    () => this.jobs.values(),
    (job) => this.stop(job, { keepTemp: false }),
  );
  private readonly maxActive: number;
  private readonly window: number;
  private readonly maxCopies: number;
  private readonly fetchSteps: FetchSteps;
  /** Downloads being put in place, by path (landed()). */
  private readonly landings = new Map<string, Promise<void>>();

  constructor(private readonly host: PullHost, opts: PullerOptions = {}) {
    this.maxActive = opts.maxActiveFiles ?? 128;
    this.window = opts.peerWindowBytes ?? 16 * 1024 * 1024;
    this.maxCopies = opts.maxCopiesInFlight ?? 4;
    this.fetchSteps = {
      windows: this.windows,
      host,
      kick: () => this.kick(),
      finishSmall: (job, data) => this.finishSmall(job, data),
      retryChunk: (job, idx, err) => this.retryChunk(job, idx, err),
      maybeFinish: (job) => this.maybeFinish(job),
      fail: (job, err) => this.fail(job, err),
    };
  }

  /** Want this record on disk. A newer want for the same path replaces an older one. */
  want(record: FileRecord): void {
    const p = record.path;
    if (!this.host.wantsContent(record)) {
      this.forget(p); // not (or no longer) chosen on a selective_sync folder
      return;
    }
    const job = this.jobs.get(p);
    if (job && job.record !== record) {
      // The final record of a preview being downloaded takes that download over.
      if (continuesPreview(job, record)) this.extend(job, record);
      else this.cancel(p);
    }
    this.wanted.set(p, record);
    if (!this.queued.has(p) && !this.jobs.has(p)) {
      this.queued.add(p);
      this.queue.push(p);
    }
    this.kick();
  }

  /**
   * A peer's preview of a big file it is still hashing (record.ts): fetch the chunks it
   * lists into the temp file now. The file is never put in place from a preview; its final
   * record (want()) takes the download over. A preview whose final record does not come
   * within PREVIEW_IDLE_MS (preview-sweeper.ts) is dropped, its temp removed (it may be huge).
   */
  prefetch(preview: FileRecord): void {
    if (this.closed) return;
    const p = preview.path;
    const job = this.jobs.get(p);
    if (job) {
      if (continuesPreview(job, preview)) this.extend(job, preview);
      return;
    }
    if (this.wanted.has(p) || this.jobs.size >= this.maxActive || !this.host.wantsContent(preview)) return;
    this.startJob(preview);
    this.previews.arm();
    this.kick();
  }

  /** Stop pulling a path (it changed locally or was deleted). */
  cancel(p: string): void {
    this.wanted.delete(p);
    const job = this.jobs.get(p);
    if (job) this.stop(job, { keepTemp: true });
  }

  /** Stop pulling a path and drop its temp (selective sync: the file is no longer wanted here). */
  forget(p: string): void {
    this.wanted.delete(p);
    const job = this.jobs.get(p);
    if (job) this.stop(job, { keepTemp: false });
  }

  /**
   * End a download that is not being put in place yet. keepTemp: false for a preview whose
   * final record never came (its temp may be huge); a cancelled one keeps it for a resume.
   */
  private stop(job: Job, opts: { keepTemp: boolean }): void {
    if (job.finalizing) return;
    job.failed = true;
    this.jobs.delete(job.record.path);
    void job.asm?.abort(opts).catch(() => undefined);
    this.kick();
  }

  get pendingCount(): number {
    return this.wanted.size;
  }

  /** Bytes of the wanted files still to arrive: their sizes less what active jobs have. */
  get pendingBytes(): number {
    let n = this.wanted.bytes;
    for (const [p, job] of this.jobs) if (this.wanted.get(p) === job.record) n -= Math.min(job.doneBytes, job.record.size);
    return n;
  }

  isPulling(p: string): boolean {
    return this.wanted.has(p);
  }

  /** The versions wanted on disk and not there yet. */
  wantedRecords(): Iterable<FileRecord> {
    return this.wanted.records();
  }

  /** Bytes of a wanted file still to arrive (0 when not wanted). */
  leftBytes(p: string): number {
    const r = this.wanted.get(p);
    if (!r) return 0;
    const job = this.jobs.get(p);
    return Math.max(0, r.size - (job && job.record === r ? job.doneBytes : 0));
  }

  /** Files with bytes moving right now (requests out, or data in the last seconds). */
  transfers(): ActiveDownload[] {
    return activeDownloads(this.jobs.values(), Date.now());
  }

  /** Syncing resumed: put in place what completed while paused, and ask for the rest. */
  resume(): void {
    for (const job of this.jobs.values()) {
      if (job.held) {
        const data = job.held;
        job.held = null;
        void this.finishSmall(job, data).catch((err) => this.fail(job, err));
      } else void this.maybeFinish(job).catch((err) => this.fail(job, err));
    }
    this.kick();
  }

  /**
   * New peers, announcements, a finished chunk or file: fill the windows again. Kicks are
   * gathered until the event loop's next check phase (setImmediate), so the many
   * completions one round of I/O delivers cost one pump, not one each (10,000 small files
   * made ~50,000 pumps over every active job).
   */
  kick(): void {
    if (this.closed || this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      if (!this.closed) this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.previews.close();
    const jobs = [...this.jobs.values()];
    this.jobs.clear();
    await Promise.all(jobs.map((j) => j.asm?.abort({ keepTemp: true }).catch(() => undefined)));
  }

  private pump(): void {
    if (this.host.paused()) return;
    // Start new jobs.
    while (this.jobs.size < this.maxActive && this.queue.length > 0) {
      const p = this.queue.shift()!;
      this.queued.delete(p);
      const record = this.wanted.get(p);
      if (!record || this.jobs.has(p)) continue;
      this.startJob(record);
    }
    // Fill each peer's window, rarest (fewest sources) file first.
    const jobs = [...this.jobs.values()].filter((j) => (j.asm || j.small) && !j.failed && j.next < j.remote.length);
    if (jobs.length === 0) return;
    const sources = new Map<Job, PeerLink[]>();
    for (const j of jobs) sources.set(j, this.host.peersHaving(j.record));
    jobs.sort((a, b) => sources.get(a)!.length - sources.get(b)!.length);
    for (const job of jobs) {
      const peers = sources.get(job)!;
      if (peers.length === 0) continue;
      let progressed = true;
      while (job.next < job.remote.length && progressed) {
        progressed = false;
        for (const peer of peers) {
          if (job.next >= job.remote.length) break;
          const window = this.host.windowFor?.(peer) ?? this.window;
          // A rate-limited peer's small window holds a few requests, not one big one.
          const run = nextRun(job, peer.maxRunChunks, Math.min(RUN_BYTES, window / 4));
          if (!this.windows.admits(peer.id, run.bytes, window)) continue;
          const first = job.remote[job.next]!;
          job.next += run.count;
          this.fetch(job, first, run, peer);
          progressed = true;
        }
      }
    }
  }

  private startJob(record: FileRecord): void {
    const job = newJob(record);
    this.jobs.set(record.path, job);
    void this.prepare(job).catch((err) => this.fail(job, err));
  }

  private async prepare(job: Job): Promise<void> {
    if (job.record.chunks.length === 1 && !job.record.preview) {
      const src = this.host.locator.find(job.record.chunks[0]!.hash);
      if (!src || (src.path === job.record.path && !this.host.mayPatch(job.record))) {
        job.small = true;
        job.remote.push(0);
        this.kick();
        return;
      }
    }
    const opened = job.record;
    const asm = await FileAssembler.open(this.host.root, opened);
    if (job.failed) {
      await asm.abort({ keepTemp: true });
      return;
    }
    // A longer preview or the final record arrived while the temp was being opened.
    if (job.record !== opened) asm.extend(job.record);
    job.asm = asm;
    const missing = asm.missing();
    job.doneBytes = job.record.size - missing.reduce((n: number, i: number) => n + job.record.chunks[i]!.size, 0);
    await this.plan(job, missing);
  }

  /** Fetch chunks `indexes` of the job: copied where they exist here, downloaded otherwise. */
  private async plan(job: Job, indexes: readonly number[]): Promise<void> {
    const local = splitLocal(job, indexes, this.host);
    this.kick();
    await copyLocalChunks(job, local, this.host, this.maxCopies, () => this.kick());
    await this.maybeFinish(job);
  }

  /**
   * A longer record for a preview's download (a longer preview, or the final record): the
   * same job goes on; the chunks it adds are fetched too.
   */
  private extend(job: Job, record: FileRecord): void {
    job.news = Date.now();
    const asm = job.asm;
    if (!asm) {
      job.record = record; // prepare() extends the assembler once it is open
      return;
    }
    const from = job.record.chunks.length;
    job.record = record;
    asm.extend(record);
    const added: number[] = [];
    for (let i = from; i < record.chunks.length; i++) if (!asm.isPresent(i)) added.push(i);
    void this.plan(job, added).catch((err) => this.fail(job, err));
  }

  /** Ask `peer` for `run.count` chunks from `first` on in one request (fetch-run.ts). */
  private fetch(job: Job, first: number, run: Run, peer: PeerLink): void {
    fetchRun(this.fetchSteps, job, first, run, peer);
  }

  /** A small file's verified bytes: put the file in place now (or on resume, when paused). */
  private async finishSmall(job: Job, data: Buffer): Promise<void> {
    if (this.host.paused()) {
      job.held = Buffer.from(data);
      return;
    }
    await this.putInPlace(job, (opts) => writeSmallFile(this.host.root, job.record, data, opts, 'verified-by-caller'));
  }

  private retryChunk(job: Job, idx: number, err: unknown): void {
    if (isProgrammerError(err)) throw err;
    if (job.failed) return;
    if (!mayRetry(job, idx, err)) {
      this.fail(job, err);
      return;
    }
    job.remote.push(idx);
    this.kick();
  }

  private async maybeFinish(job: Job): Promise<void> {
    if (job.failed || job.finalizing || !job.asm || this.host.paused()) return;
    // A preview is never put in place; nor a record the assembler has not caught up with.
    if (job.record.preview || job.asm.record !== job.record) return;
    if (job.inflight > 0 || job.copying > 0 || job.next < job.remote.length) return;
    if (job.asm.missing().length > 0) return;
    const asm = job.asm;
    await this.putInPlace(job, (opts) => asm.finalize(opts));
  }

  /**
   * Put a complete download in place with `write` (archiving what it replaces, refusing if
   * the disk changed meanwhile), then finish the job; a failure fails it. A file new here
   * tells the watcher first, so that our own rename is not reported back to us.
   */
  private putInPlace(job: Job, write: (opts: CommitOptions) => Promise<LandedStat>): Promise<void> {
    const p = job.record.path;
    const landing = this.land(job, write);
    this.landings.set(p, landing);
    const forget = (): void => {
      if (this.landings.get(p) === landing) this.landings.delete(p);
    };
    void landing.then(forget, forget);
    return landing;
  }

  /**
   * Resolves once a download of `p` being put in place (isLanding) has landed and been
   * recorded, or failed; at once when none is. Whoever changes the file on this device's
   * behalf (selective sync removing it) waits for this, or it would find the new version
   * where it expects the old one.
   */
  landed(p: string): Promise<void> {
    return this.landings.get(p)?.catch(() => undefined) ?? Promise.resolve();
  }

  private async land(job: Job, write: (opts: CommitOptions) => Promise<LandedStat>): Promise<void> {
    job.finalizing = true;
    const expectOld = this.host.expectedOnDisk(job.record.path);
    const renamed = expectOld === null ? this.host.expectOwnRename(job.record.path) : null;
    let landed: LandedStat;
    try {
      landed = await write({ archive: this.host.archiver(job.record.path), expectOld });
    } catch (err) {
      renamed?.(false);
      job.finalizing = false;
      this.fail(job, err);
      return;
    }
    renamed?.(true);
    await this.done(job, landed);
  }

  /** The file is in place: forget the job and tell the host. */
  private async done(job: Job, stat: LandedStat): Promise<void> {
    this.jobs.delete(job.record.path);
    this.wanted.delete(job.record.path, job.record);
    await this.host.onPulled(job.record, {
      fromPeers: [...job.fromPeers],
      copiedBytes: job.copiedBytes,
      fetchedBytes: job.fetchedBytes,
      stat,
    });
    this.kick();
  }

  /**
   * A download of this path is being put in place (the file may already be renamed, its
   * folder fsync still running): what the watcher sees there now is our own write.
   */
  isLanding(p: string): boolean {
    return this.jobs.get(p)?.finalizing === true;
  }

  private fail(job: Job, err: unknown): void {
    if (isProgrammerError(err)) throw err;
    if (job.failed) return;
    job.failed = true;
    if (this.jobs.get(job.record.path) === job) this.jobs.delete(job.record.path);
    this.wanted.delete(job.record.path, job.record);
    const data = toErrorData(err);
    // On DISK_FULL the partial temp goes: kept, it would keep the disk full for every other file.
    void job.asm?.abort({ keepTemp: data.code !== 'DISK_FULL' }).catch(() => undefined);
    this.host.onPullFailed(job.record, new ShoalError(data.code, data.message));
    this.kick();
  }
}

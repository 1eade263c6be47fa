import path from 'node:path';
import { ShoalError, isProgrammerError } from '../errors.js';
import type { FileAssembler } from '../transfer/assembler.js';
import { EXTENT_BYTES } from '../transfer/extent-buffers.js';
import type { ChunkLocator, ChunkSource } from './locator.js';
import type { ActiveDownload } from './pull-host.js';
import { RateWindow } from './rate-window.js';
import { extendsRecord, type FileRecord } from './record.js';

/**
 * One file being downloaded (puller.ts), and how its chunks are planned: copied from files
 * this device already has, or fetched from peers.
 */
export interface Job {
  record: FileRecord;
  asm: FileAssembler | null;
  /**
   * A one-chunk file fetched whole and written in one go (writeSmallFile): no assembler,
   * no temp kept between chunks, no resume scan.
   */
  small: boolean;
  /** A small file's verified bytes that arrived while syncing was paused (written on resume). */
  held: Buffer | null;
  /** Chunk indexes still to fetch from the network, in file order. */
  remote: number[];
  next: number;
  inflight: number;
  copying: number;
  retries: Map<number, number>;
  fromPeers: Set<string>;
  copiedBytes: number;
  fetchedBytes: number;
  doneBytes: number;
  failed: boolean;
  finalizing: boolean;
  /** Peers asked for chunks of this file. */
  askedPeers: Set<string>;
  rate: RateWindow;
  /** When the job last heard of its record (a preview's download ends if its final never comes). */
  news: number;
}

/** Does `record` (a longer preview, or the final record) continue this preview's download? */
export function continuesPreview(job: Job, record: FileRecord): boolean {
  return !!job.record.preview && !job.failed && extendsRecord(record, job.record);
}

/**
 * Bytes one request asks for at most: adjacent chunks go in one request up to this (one
 * chunk may be bigger). A request, its answer frame and its read cost JavaScript on both
 * sides whatever their size, and ~134 KiB chunks made ~8,000 of them per GiB.
 */
export const RUN_BYTES = 1024 * 1024;

export interface Run {
  /** Chunks, from job.remote[job.next] on. */
  count: number;
  bytes: number;
}

/**
 * The next request's chunks: job.remote[job.next] and the chunks right after it in the file
 * that are fetched next too, up to `maxChunks` (the link's) and `maxBytes`, all in one
 * O_DIRECT extent (so that they can be received straight into it). A small file: one chunk.
 */
export function nextRun(job: Job, maxChunks: number, maxBytes = RUN_BYTES): Run {
  const chunks = job.record.chunks;
  const first = job.remote[job.next]!;
  let bytes = chunks[first]!.size;
  let count = 1;
  if (!job.asm || job.small || maxChunks <= 1) return { count, bytes };
  const start = job.asm.offsetOf(first);
  const extentEnd = (Math.floor(start / EXTENT_BYTES) + 1) * EXTENT_BYTES;
  let end = start + bytes;
  while (count < maxChunks && job.next + count < job.remote.length) {
    const idx = job.remote[job.next + count]!;
    if (idx !== first + count || idx >= chunks.length) break;
    const size = chunks[idx]!.size;
    if (bytes + size > maxBytes || end + size > extentEnd) break;
    bytes += size;
    end += size;
    count++;
  }
  return { count, bytes };
}

/** Failed fetches of one chunk after which its file's download fails. */
const MAX_CHUNK_RETRIES = 4;

/**
 * A fetch of chunk `idx` failed with `err`: count it, and say whether the chunk may be asked
 * for again. A peer that paused syncing is not failing: its link reports paused for a while,
 * so the chunk waits for another source or for that peer to resume, without using up retries.
 */
export function mayRetry(job: Job, idx: number, err: unknown): boolean {
  const paused = err instanceof ShoalError && err.code === 'PAUSED';
  const n = (job.retries.get(idx) ?? 0) + (paused ? 0 : 1);
  job.retries.set(idx, n);
  return n <= MAX_CHUNK_RETRIES;
}

/** A download counts as transferring while bytes arrived this recently (or requests are out). */
const ACTIVE_MS = 3000;

/** The jobs with bytes moving right now (requests out, or data in the last ACTIVE_MS). */
export function activeDownloads(jobs: Iterable<Job>, now: number): ActiveDownload[] {
  const out: ActiveDownload[] = [];
  for (const job of jobs) {
    if ((!job.asm && !job.small) || job.failed || job.finalizing) continue;
    if (job.inflight === 0 && now - job.rate.lastAt > ACTIVE_MS) continue;
    out.push({ record: job.record, done: job.doneBytes, peers: [...job.askedPeers], speed: job.rate.rate(now) });
  }
  return out;
}

export function newJob(record: FileRecord): Job {
  return {
    record,
    asm: null,
    small: false,
    held: null,
    remote: [],
    next: 0,
    inflight: 0,
    copying: 0,
    retries: new Map(),
    fromPeers: new Set(),
    copiedBytes: 0,
    fetchedBytes: 0,
    doneBytes: 0,
    failed: false,
    finalizing: false,
    askedPeers: new Set(),
    rate: new RateWindow(),
    news: Date.now(),
  };
}

/** What planning needs to know about this device's files. */
export interface PlanHost {
  readonly root: string;
  readonly locator: ChunkLocator;
  mayPatch(record: FileRecord): boolean;
  /** Resolves once no deletion (an archive move) of the file at `pathRel` is under way. */
  settled(pathRel: string): Promise<void>;
}

export interface LocalCopy {
  idx: number;
  /** The source file, relative to the folder and absolute. */
  srcRel: string;
  src: string;
  offset: number;
}

/**
 * Of chunks `indexes`, those found in a local file (another file, or the old version of
 * this one where patching is allowed) are returned to be copied; the rest are queued in
 * job.remote for download.
 */
export function splitLocal(job: Job, indexes: readonly number[], host: PlanHost): LocalCopy[] {
  const local: LocalCopy[] = [];
  const rec = job.record;
  const patchOldVersion = host.mayPatch(rec);
  const found = new Map(indexes.map((idx) => [idx, host.locator.find(rec.chunks[idx]!.hash)]));
  const ownAbs = path.join(host.root, ...rec.path.split('/'));
  // Only an edit of a file that is here (some chunks found in its old version) has bytes to guess at.
  const sources = [...found.values()];
  const guesses =
    patchOldVersion && sources.includes(undefined) && sources.some((src) => src?.path === rec.path)
      ? shiftedOffsets(rec, found, (i) => host.locator.find(rec.chunks[i]!.hash))
      : null;
  indexes.forEach((idx) => {
    const src = found.get(idx);
    const guess = guesses?.get(idx);
    if (src && (patchOldVersion || src.path !== rec.path)) {
      local.push({ idx, srcRel: src.path, src: path.join(host.root, ...src.path.split('/')), offset: src.offset });
    } else if (guess !== undefined) local.push({ idx, srcRel: rec.path, src: ownAbs, offset: guess });
    else job.remote.push(idx);
  });
  return local;
}

/** How many chunks before a found one are guessed at with its shift (see shiftedOffsets). */
const MAX_GUESSES_PER_ANCHOR = 16;

/**
 * Where chunks not found by hash may lie in the old version of the same file. After an
 * insert or a delete the old bytes follow, moved by the edit's length, but content-defined
 * cuts can take a few chunks to fall back in step with the old ones (the cut rule depends on
 * the distance from the chunk's start), and those chunks have new hashes although this
 * device holds their bytes. The nearest later chunk found in the old version gives the
 * shift. A guess is read and hashed like any local copy; a wrong one is downloaded.
 * `missing`: the chunks to fetch, with where the locator found each (undefined: nowhere);
 * `find` looks up the others. Returns chunk index -> offset in the old version.
 */
export function shiftedOffsets(
  record: FileRecord,
  missing: ReadonlyMap<number, ChunkSource | undefined>,
  find: (index: number) => ChunkSource | undefined,
): Map<number, number> {
  const out = new Map<number, number>();
  const chunks = record.chunks;
  let end = record.size;
  let shift: number | null = null;
  let guessed = 0;
  for (let i = chunks.length - 1; i >= 0; i--) {
    const c = chunks[i]!;
    const start = end - c.size;
    end = start;
    const isMissing = missing.has(i);
    const src = isMissing ? missing.get(i) : find(i);
    if (isMissing && !src) {
      if (shift !== null && guessed < MAX_GUESSES_PER_ANCHOR && start - shift >= 0) {
        out.set(i, start - shift);
        guessed++;
      }
      continue;
    }
    if (src && src.path === record.path) {
      shift = start - src.offset;
      guessed = 0;
    }
  }
  return out;
}

/**
 * Copy local chunks with a small concurrency; those that turn out stale (the source
 * changed or moved) are queued for download and `kick` is called.
 */
export async function copyLocalChunks(job: Job, local: readonly LocalCopy[], host: PlanHost, maxCopies: number, kick: () => void): Promise<void> {
  const asm = job.asm as FileAssembler;
  let cursor = 0;
  const worker = async (): Promise<void> => {
    while (cursor < local.length && !job.failed) {
      const { idx, srcRel, src, offset } = local[cursor++]!;
      job.copying++;
      try {
        const copy = (from: string, at: number) =>
          asm.copyChunkFrom(idx, from, at).catch((err: unknown) => {
            if (isProgrammerError(err)) throw err;
            return false;
          });
        let ok = await copy(src, offset);
        if (!ok) {
          // The source may have moved meanwhile: a rename arrives as delete + add, and the
          // delete can archive the old file while we copy from it. Once that delete is done
          // the locator points into .SyncArchive; try there once before downloading the chunk.
          await host.settled(srcRel);
          const moved = host.locator.find(job.record.chunks[idx]!.hash);
          const movedAbs = moved && path.join(host.root, ...moved.path.split('/'));
          if (moved && movedAbs && (movedAbs !== src || moved.offset !== offset)) ok = await copy(movedAbs, moved.offset);
        }
        const size = job.record.chunks[idx]!.size;
        if (ok) {
          job.copiedBytes += size;
          job.doneBytes += size;
        } else {
          job.remote.push(idx);
          kick();
        }
      } finally {
        job.copying--;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(maxCopies, local.length) }, worker));
}

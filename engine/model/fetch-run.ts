import { chunkMatches } from '../transfer/blake.js';
import { hashMismatch } from '../transfer/layout.js';
import type { PeerLink } from './peer-link.js';
import type { PeerWindows } from './peer-windows.js';
import type { PullHost } from './pull-host.js';
import type { Job, Run } from './pull-job.js';
import { dropRun, writeRun } from './run-writes.js';

/** What one request needs from the puller that sends it (puller.ts). */
export interface FetchSteps {
  windows: PeerWindows;
  host: PullHost;
  /** Fill the windows again. */
  kick(): void;
  /** A small file's verified bytes: put it in place. */
  finishSmall(job: Job, data: Buffer): Promise<void>;
  /** Chunk `idx` failed with `err`: ask for it again, or fail the file. */
  retryChunk(job: Job, idx: number, err: unknown): void;
  maybeFinish(job: Job): Promise<void>;
  fail(job: Job, err: unknown): void;
}

/**
 * Ask `peer` for `run.count` adjacent chunks of the job's file from `first` on, in one
 * request, and land the answer: each chunk verified and written on its own (a wrong one is
 * asked for again alone), progress counted, the window given back.
 */
export function fetchRun(steps: FetchSteps, job: Job, first: number, run: Run, peer: PeerLink): void {
  const { count, bytes } = run;
  const chunks = job.record.chunks;
  const offset = job.small ? 0 : job.asm!.offsetOf(first);
  const hash = count === 1 ? chunks[first]!.hash : Buffer.concat(chunks.slice(first, first + count).map((c) => c.hash));
  job.inflight++;
  job.askedPeers.add(peer.id);
  steps.windows.sent(peer.id, bytes);
  let windowOpen = true;
  const settleWindow = (): void => {
    if (windowOpen) steps.windows.settled(peer.id, bytes);
    windowOpen = false;
  };
  const release = (): void => {
    job.inflight--;
    settleWindow();
  };
  // A big file's chunks are received straight into their write extent where they can be.
  // Their bytes are then bounded by the extents (not by the window, which must not wait
  // for them: a placed chunk may be verified only once its whole extent has come).
  const asm = job.small ? null : job.asm!;
  let placed = false;
  const place = asm
    ? (size: number): Buffer | null => {
        const into = asm.placeRun(first, count, size);
        placed = into !== null;
        return into;
      }
    : undefined;
  /** Chunks of the answer that failed (wrong bytes, a write error): asked for again. */
  let failures: Array<[number, unknown]> = [];
  peer
    .request({ path: job.record.path, offset, size: bytes, count, hash }, place)
    .then(async (data) => {
      if (placed) {
        settleWindow();
        steps.kick();
      }
      try {
        if (job.failed) return placed ? dropRun(asm!, first, count, data, chunks) : undefined;
        if (job.small) {
          const chunk = chunks[first]!;
          if (data.length !== chunk.size || !chunkMatches(data, chunk.hash)) throw hashMismatch(job.record.path, first);
          // Counted before the file is put in place: finishing reports these numbers.
          job.fetchedBytes += chunk.size;
          job.doneBytes += chunk.size;
          job.fromPeers.add(peer.id);
          await steps.finishSmall(job, data);
          return;
        }
        const written = await writeRun(asm!, job.record.path, first, count, data, chunks);
        failures = written.failures;
        const got = written.got;
        if (got === 0) return;
        job.fetchedBytes += got;
        job.doneBytes += got;
        job.rate.add(got, Date.now());
        job.fromPeers.add(peer.id);
        steps.host.onProgress(job.record, peer.id, job.doneBytes);
      } finally {
        // Verified and written (or refused): nothing refers to the bytes any more.
        peer.release(data);
      }
    })
    .then(
      () => {
        release();
        for (const [i, err] of failures) steps.retryChunk(job, i, err);
        steps.kick();
        return steps.maybeFinish(job);
      },
      (err: unknown) => {
        release();
        for (let i = first; i < first + count; i++) steps.retryChunk(job, i, err);
      },
    )
    .catch((err) => steps.fail(job, err));
}

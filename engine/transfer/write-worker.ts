/**
 * Worker-thread side of write-pool.ts: puts batches of small files in place with blocking
 * calls (put-in-place.ts), so creating, fsyncing and renaming them blocks this thread, not
 * the engine's.
 *
 * In:  { id, jobs, packed }      Out: { id, outcomes: PutOutcome[] } (same order)
 */
import { parentPort } from 'node:worker_threads';
import { putBatchSync, type PutJob, type PutOutcome } from './put-in-place.js';

/** The files' bytes travel packed in `packed` (transferred): each job says where its are. */
export type WriteRequest = { id: number; jobs: Array<Omit<PutJob, 'data'> & { offset: number; length: number }>; packed: ArrayBuffer };
export type WriteReply = { id: number; outcomes: PutOutcome[] };

const port = parentPort!;
port.on('message', (m: WriteRequest) => {
  const jobs: PutJob[] = m.jobs.map(({ offset, length, ...rest }) => ({ ...rest, data: new Uint8Array(m.packed, offset, length) }));
  port.postMessage({ id: m.id, outcomes: putBatchSync(jobs) } satisfies WriteReply);
});

/**
 * Worker-thread side of write-pool.ts: puts batches of small files in place with blocking
 * calls (put-in-place.ts), so creating, fsyncing and renaming them blocks this thread, not
 * the engine's.
 *
 * In:  { id, jobs: PutJob[] }      Out: { id, outcomes: PutOutcome[] } (same order)
 */
import { parentPort } from 'node:worker_threads';
import { putBatchSync, type PutJob, type PutOutcome } from './put-in-place.js';

export type WriteRequest = { id: number; jobs: PutJob[] };
export type WriteReply = { id: number; outcomes: PutOutcome[] };

const port = parentPort!;
port.on('message', (m: WriteRequest) => {
  port.postMessage({ id: m.id, outcomes: putBatchSync(m.jobs) } satisfies WriteReply);
});

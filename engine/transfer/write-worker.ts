/**
 * Worker-thread side of write-pool.ts: puts small files in place with blocking calls
 * (put-in-place.ts), so creating, fsyncing and renaming them blocks this thread, not the
 * engine's.
 *
 * In:  { id, job: PutJob }      Out: { id, result: PutResult } or { id, error: PutError }
 */
import { parentPort } from 'node:worker_threads';
import { putInPlaceSync, toPutError, type PutError, type PutJob, type PutResult } from './put-in-place.js';

export type WriteRequest = { id: number; job: PutJob };
export type WriteReply = { id: number; result: PutResult } | { id: number; error: PutError };

const port = parentPort!;
port.on('message', (m: WriteRequest) => {
  let reply: WriteReply;
  try {
    reply = { id: m.id, result: putInPlaceSync(m.job) };
  } catch (err) {
    reply = { id: m.id, error: toPutError(err) };
  }
  port.postMessage(reply);
});

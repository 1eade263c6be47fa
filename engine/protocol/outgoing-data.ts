import type { OutgoingData } from './connection-types.js';
import { framePool } from './frame-pool.js';
import { HEADER_BYTES, allocFrame } from './frames.js';
import { dataHeader } from './messages.js';
import { MAX_DATA } from './types.js';

/**
 * A `data` message of `size` bytes for request `id`, built in its frame's own pooled
 * buffer: the caller fills `payload` in place (e.g. reads a chunk from disk straight into
 * it), then sends it once - `sendFrame` seals and writes the whole frame, a bulk frame whose
 * prefix is the message header (frames.ts) - or discards it.
 */
export function outgoingData(id: number, size: number, sendFrame: (frame: Buffer, bulkPrefix: number) => boolean): OutgoingData {
  if (size > MAX_DATA) throw new RangeError(`Data of ${size} bytes exceeds ${MAX_DATA}`);
  const head = dataHeader(id);
  const frame = allocFrame(head.length + size);
  frame.set(head, HEADER_BYTES);
  const start = HEADER_BYTES + head.length;
  let done = false;
  return {
    payload: frame.subarray(start, start + size),
    send: () => {
      if (done) throw new Error('prepareData: sent or discarded already');
      done = true;
      return sendFrame(frame, head.length);
    },
    discard: () => {
      if (done) return;
      done = true;
      framePool.release(frame);
    },
  };
}

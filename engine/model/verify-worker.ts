/**
 * Worker-thread side of record-verifier.ts and chunk-verifier.ts, beside the engine's thread:
 * - the Ed25519 signatures of a batch of records, so a peer's index of thousands of files
 *   is verified here instead of there (~40-80 us per record);
 * - the chunk hashes of a download's write extent (shared memory: no copy), ~0.2 s of the
 *   receiving thread per GiB otherwise.
 *
 * Records in:  { id, publicKey, packed } with `packed` = for each record
 *              [u32 BE length][the signed message][64-byte signature].
 * Chunks in:   { id, memory, spans, hashes } with spans = [offset, length] per chunk in
 *              `memory` and hashes = their expected 32-byte hashes, concatenated.
 * Message out: { id, ok } with ok[i] = 1 when item i verifies, else 0.
 * Anything malformed is answered with 0s: never trusted, never thrown.
 */
import { parentPort } from 'node:worker_threads';
import sodium from 'sodium-native';
import { checkChunkSpans } from '../index/chunk-hash.js';

export interface VerifyJob {
  id: number;
  publicKey: Uint8Array;
  packed: Uint8Array;
  count: number;
}

export interface ChunkCheckJob {
  id: number;
  memory: SharedArrayBuffer;
  spans: Uint32Array;
  hashes: Uint8Array;
}

export interface VerifyReply {
  id: number;
  ok: Uint8Array;
}

const SIG_BYTES = 64;
const port = parentPort!;

export function verifyPacked(publicKey: Uint8Array, packed: Uint8Array, count: number): Uint8Array {
  const ok = new Uint8Array(count);
  const key = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength);
  if (key.length !== sodium.crypto_sign_PUBLICKEYBYTES) return ok;
  const buf = Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength);
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 4 > buf.length) break;
    const len = buf.readUInt32BE(at);
    const end = at + 4 + len + SIG_BYTES;
    if (end > buf.length) break;
    const msg = buf.subarray(at + 4, at + 4 + len);
    const sig = buf.subarray(at + 4 + len, end);
    try {
      ok[i] = sodium.crypto_sign_verify_detached(sig, msg, key) ? 1 : 0;
    } catch {
      ok[i] = 0;
    }
    at = end;
  }
  return ok;
}

port.on('message', (m: VerifyJob | ChunkCheckJob) => {
  const ok =
    'memory' in m
      ? m.memory instanceof SharedArrayBuffer && m.spans instanceof Uint32Array && m.hashes instanceof Uint8Array
        ? checkChunkSpans(m.memory, m.spans, m.hashes)
        : new Uint8Array(0)
      : verifyPacked(m.publicKey, m.packed, m.count);
  port.postMessage({ id: m.id, ok } satisfies VerifyReply, [ok.buffer as ArrayBuffer]);
});

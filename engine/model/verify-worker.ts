/**
 * Worker-thread side of record-verifier.ts: checks the Ed25519 signatures of a batch of
 * records, so a peer's index of thousands of files is verified beside the engine's thread
 * instead of on it (~40-80 us per record here).
 *
 * Message in:  { id, publicKey, packed } with `packed` = for each record
 *              [u32 BE length][the signed message][64-byte signature].
 * Message out: { id, ok } with ok[i] = 1 when record i's signature verifies, else 0.
 * Anything malformed is answered with 0s: never trusted, never thrown.
 */
import { parentPort } from 'node:worker_threads';
import sodium from 'sodium-native';

export interface VerifyJob {
  id: number;
  publicKey: Uint8Array;
  packed: Uint8Array;
  count: number;
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

port.on('message', (m: VerifyJob) => {
  const ok = verifyPacked(m.publicKey, m.packed, m.count);
  port.postMessage({ id: m.id, ok } satisfies VerifyReply, [ok.buffer as ArrayBuffer]);
});

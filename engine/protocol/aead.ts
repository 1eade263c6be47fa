import crypto from 'node:crypto';
import sodium from 'sodium-native';
import { chacha20Xor } from './chacha20.js';

/**
 * The frames' cryptography: ChaCha20 and Poly1305 with RFC 8439's keys, encrypt-then-MAC.
 *
 * For a frame under (key, nonce), as in RFC 8439's AEAD: the Poly1305 one-time key is
 * ChaCha20 block 0, and the body is encrypted with the key stream from block 1 on. The tag
 * is that AEAD's tag with an empty plaintext and everything else as associated data:
 *   encrypted frame: body = payload XOR ChaCha20(key, nonce, counter 1...),
 *                    tag  = AEAD(key, nonce, ad = header + body, plaintext = empty)
 *   plain frame:     body = payload,  tag = the same over header + payload.
 * (A bulk frame's tag covers only a prefix of that associated data: see frames.ts.)
 * So the receiver checks the tag before it decrypts anything, and the header (its plain flag
 * included) is always authenticated.
 *
 * Why not the AEAD's own encryption: the two halves run faster apart. ChaCha20 runs in place
 * (chacha20.ts: OpenSSL's through a small native module, ~6 GB/s here, or libsodium's,
 * ~2.3 GB/s); OpenSSL's Poly1305 (AVX-512) at 6-9 GB/s, 2x libsodium's, and for a tag alone
 * node:crypto returns no output buffer. (node:crypto's encryption itself is out: it returns
 * every output in a new buffer, and a stream of those made the receiver page-fault its way
 * through fresh memory between garbage collections, measured slower overall.)
 *
 * test/protocol-messages.test.ts checks frames against an independent node:crypto
 * construction for small and big payloads.
 */
const CIPHER = 'chacha20-poly1305';
export const TAG_BYTES = 16;
/** From this size on, OpenSSL's tag is faster despite its per-call setup. */
const OPENSSL_FROM = 16 * 1024;
/** Block 0 of the key stream is the Poly1305 key; the body uses the stream from block 1. */
export const BODY_BLOCK = 1;
const EMPTY = Buffer.alloc(0);

/**
 * Encrypt the body frame[adBytes...] in place, then tag frame[0, authBytes) (the whole
 * frame unless said otherwise: see frames.ts for bulk frames) into `tag`.
 */
export function sealInPlace(key: Buffer, nonce: Buffer, frame: Buffer, adBytes: number, tag: Buffer, authBytes = frame.length): void {
  const body = frame.subarray(adBytes);
  chacha20Xor(body, body, nonce, BODY_BLOCK, key);
  tagOnly(key, nonce, frame.subarray(0, authBytes), tag);
}

/** Authenticate `ad` alone (plain frames: the payload is part of it), tag into `tag`. */
export function tagOnly(key: Buffer, nonce: Buffer, ad: Buffer, tag: Buffer): void {
  if (ad.length < OPENSSL_FROM) {
    sodium.crypto_aead_chacha20poly1305_ietf_encrypt_detached(EMPTY, tag, EMPTY, ad, null, nonce, key);
    return;
  }
  const c = crypto.createCipheriv(CIPHER, key, nonce, { authTagLength: TAG_BYTES });
  c.setAAD(ad, { plaintextLength: 0 });
  c.final();
  c.getAuthTag().copy(tag);
}

/**
 * Check `tag` over frame[0, authBytes) (the whole frame, ad + body, unless said otherwise),
 * then decrypt its body (frame[adBytes...]) into `out` (same length as the body; may be the
 * body itself). Throws, having written nothing, if the tag does not verify.
 */
export function openInto(key: Buffer, nonce: Buffer, frame: Buffer, adBytes: number, tag: Buffer, out: Buffer, authBytes = frame.length): void {
  checkTagOnly(key, nonce, frame.subarray(0, authBytes), tag);
  chacha20Xor(out, frame.subarray(adBytes), nonce, BODY_BLOCK, key);
}

/** Check a tag over `ad` alone (plain frames); throws if it does not verify. */
export function checkTagOnly(key: Buffer, nonce: Buffer, ad: Buffer, tag: Buffer): void {
  if (ad.length < OPENSSL_FROM) {
    sodium.crypto_aead_chacha20poly1305_ietf_decrypt_detached(EMPTY, null, EMPTY, tag, ad, nonce, key);
    return;
  }
  const d = crypto.createDecipheriv(CIPHER, key, nonce, { authTagLength: TAG_BYTES });
  d.setAAD(ad, { plaintextLength: 0 });
  d.setAuthTag(tag);
  d.final();
}

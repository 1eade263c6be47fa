import { ShoalError } from '../errors.js';
import { BODY_BLOCK, TAG_BYTES, checkTagOnly, openInto, sealInPlace as sealBody, tagOnly } from './aead.js';
import { aesCtrXor } from './bulk-cipher.js';
import { chacha20Xor } from './chacha20.js';
import { framePool } from './frame-pool.js';
import { MAX_FRAME } from './types.js';

/**
 * Frames after the handshake: `[u32 BE header][body][16-byte Poly1305 tag]`.
 * Header bit 31 = plain flag, bit 30 = bulk flag; the rest is the length of body + tag
 * (bits 0..29; for bulk frames bits 0..23, bits 24..28 hold the bulk prefix length, and
 * bit 29 says the body is encrypted with AES-256-CTR instead of ChaCha20: bulk-cipher.ts).
 * ChaCha20 and Poly1305 (aead.ts) with a 96-bit nonce = per-direction frame counter, so
 * frames can be neither reordered, replayed nor dropped. The body is always encrypted
 * unless plain, and the tag covers the header and
 *   normal frames: the whole body (ciphertext, or payload when plain);
 *   bulk frames:   the body's first `prefix` bytes, the message header of a `data` answer
 *                  (type and request id). The rest, a chunk of a file, is integrity-checked
 *                  by its owner instead: every chunk is verified against its BLAKE3 hash
 *                  from the signed file record before it is used (transfer/assembler.ts,
 *                  model/puller.ts), which the receiver computes anyway. A forger without
 *                  the keys can change neither the header nor the prefix, and a changed chunk
 *                  fails its hash: it is refused like a chunk that changed on the sender's
 *                  disk, never written. Poly1305 over every chunk on both sides (~8 % of each
 *                  engine thread in a big transfer) bought nothing on top of that.
 * Plain frames (LAN peers that both opted out of encryption) cost only the tag, and
 * flipping a flag breaks the tag, so an attacker can switch neither mode.
 *
 * Sealing and opening work in place (aead.ts), in buffers from the frame pool: a frame is
 * built in one buffer and written with one write, and a received payload is a view of the
 * frame it came in.
 */
export const HEADER_BYTES = 4;
export { TAG_BYTES };
/** Header bit 31: the frame is not encrypted (its tag still covers it). */
export const PLAIN_FLAG = 0x8000_0000;
const BULK_FLAG = 0x4000_0000;
const LENGTH_MASK = 0x3fff_ffff;
const BULK_LENGTH_MASK = 0x00ff_ffff;
const PREFIX_SHIFT = 24;
/** The longest authenticated prefix of a bulk frame (5 bits in the header). */
export const MAX_BULK_PREFIX = 31;
/** Bulk frames' header bit 29: the body is AES-256-CTR (bulk-cipher.ts), else ChaCha20. */
const AES_FLAG = 0x2000_0000;
/** AES blocks in ChaCha20's first block (openPlaced decrypts a bulk body's first 64 bytes apart). */
const AES_BLOCKS_IN_FIRST = 4;

/**
 * A bulk frame's body is decrypted in two parts when its chunk goes straight to where its
 * consumer keeps it (FrameOpener.openPlaced): ChaCha20's first block, which holds the whole
 * prefix, then the rest from block 2 on, block-aligned.
 */
const FIRST_BLOCK = 64;

/** A chunk going straight to its consumer's memory (openPlaced): a buffer of exactly `size` bytes, or null. */
export type PlaceChunk = (prefix: Buffer, size: number) => Buffer | null;

/** Whether a header word is that of an encrypted bulk frame (the only ones openPlaced takes). */
export function isEncryptedBulk(word: number): boolean {
  return word < PLAIN_FLAG && (word & BULK_FLAG) !== 0;
}

/** A bulk frame's prefix length from its header word; 0 for other frames. */
function bulkPrefixOf(word: number): number {
  return (word & BULK_FLAG) === 0 ? 0 : (word >>> PREFIX_SHIFT) & MAX_BULK_PREFIX;
}

/**
 * out = input XOR a frame's body key stream from 64-byte block `from` of the body on:
 * AES-256-CTR under `aesKey` when given (4 AES blocks per 64 bytes), else ChaCha20 under
 * `key` (whose block 0 is the Poly1305 key, so the body starts at BODY_BLOCK).
 */
function bodyXor(out: Uint8Array, input: Uint8Array, nonce: Buffer, from: number, key: Buffer, aesKey: Buffer | null, iv: Buffer): void {
  if (aesKey) aesCtrXor(out, input, nonce, from * AES_BLOCKS_IN_FIRST, aesKey, iv);
  else chacha20Xor(out, input, nonce, BODY_BLOCK + from, key);
}

/** Is this the header of a bulk frame whose body is AES-256-CTR? */
function isAesBulk(word: number): boolean {
  return (word & BULK_FLAG) !== 0 && (word & AES_FLAG) !== 0;
}

/** How many leading bytes of a frame the tag covers (see above); `frame` ends before its tag. */
function authenticatedBytes(word: number, frameWithoutTag: number): number {
  const prefix = bulkPrefixOf(word);
  return prefix === 0 ? frameWithoutTag : HEADER_BYTES + prefix;
}

/** The 96-bit nonce for frame `counter`, written into `nonce` (reused per direction). */
function setNonce(nonce: Buffer, counter: number): void {
  if (counter >= Number.MAX_SAFE_INTEGER) throw new ShoalError('PROTOCOL_ERROR', 'Frame counter exhausted');
  nonce.writeUInt32BE(Math.floor(counter / 0x1_0000_0000), 4);
  nonce.writeUInt32BE(counter >>> 0, 8);
}

/** Seals outgoing frames for one direction. */
export class FrameSealer {
  private counter = 0;
  private readonly nonce = Buffer.alloc(12);
  private readonly iv = Buffer.alloc(16);
  /** Set once the peer takes AES bulk frames (bulk-cipher.ts): encrypted bulk bodies use it. */
  private aesKey: Buffer | null = null;
  constructor(private readonly key: Buffer) {}

  /** From now on, encrypted bulk frames' bodies are AES-256-CTR under `aesKey` (bulkAesKey of this direction). */
  useAesForBulk(aesKey: Buffer): void {
    this.aesKey = aesKey;
  }

  /**
   * One whole frame carrying the concatenation of `parts`, in a buffer from the frame
   * pool (framePool.release it once written; the caller's parts are not kept).
   */
  seal(parts: readonly Uint8Array[], plain: boolean, bulkPrefix = 0): Buffer {
    let len = 0;
    for (const p of parts) len += p.length;
    const frame = allocFrame(len);
    let at = HEADER_BYTES;
    for (const p of parts) {
      frame.set(p, at);
      at += p.length;
    }
    return this.sealInPlace(frame, plain, bulkPrefix);
  }

  /**
   * Seal a frame from allocFrame() whose payload (frame[HEADER_BYTES, length - TAG_BYTES))
   * has been filled in: header and tag are written, the payload encrypted in place.
   * `bulkPrefix` > 0 makes it a bulk frame whose tag covers only that many payload bytes:
   * only for `data` answers, with their message header as the prefix (see above).
   * Frames must be sealed in the order they are sent (the nonce is a counter).
   */
  sealInPlace(frame: Buffer, plain: boolean, bulkPrefix = 0): Buffer {
    const at = frame.length - TAG_BYTES;
    let word = (plain ? PLAIN_FLAG : 0) + at - HEADER_BYTES + TAG_BYTES;
    const aes = bulkPrefix > 0 && !plain && this.aesKey !== null;
    if (bulkPrefix > 0) {
      if (bulkPrefix > MAX_BULK_PREFIX || bulkPrefix > at - HEADER_BYTES) throw new RangeError(`Bad bulk prefix ${bulkPrefix}`);
      word += BULK_FLAG + bulkPrefix * 2 ** PREFIX_SHIFT + (aes ? AES_FLAG : 0);
    }
    frame.writeUInt32BE(word, 0);
    setNonce(this.nonce, this.counter++);
    const tag = frame.subarray(at);
    const auth = authenticatedBytes(word, at);
    if (plain) tagOnly(this.key, this.nonce, frame.subarray(0, auth), tag);
    else if (aes) {
      const body = frame.subarray(HEADER_BYTES, at);
      bodyXor(body, body, this.nonce, 0, this.key, this.aesKey, this.iv);
      tagOnly(this.key, this.nonce, frame.subarray(0, auth), tag);
    } else sealBody(this.key, this.nonce, frame.subarray(0, at), HEADER_BYTES, tag, auth);
    return frame;
  }
}

/** A pooled buffer for one frame of `payloadBytes`; the payload goes at HEADER_BYTES. */
export function allocFrame(payloadBytes: number): Buffer {
  if (payloadBytes > MAX_FRAME) throw new ShoalError('FRAME_TOO_LARGE', `Frame of ${payloadBytes} bytes exceeds ${MAX_FRAME}`);
  return framePool.acquire(HEADER_BYTES + payloadBytes + TAG_BYTES);
}

function authFailed(cause: unknown): ShoalError {
  return new ShoalError('PROTOCOL_ERROR', 'A frame failed authentication (corrupted or tampered).', { cause });
}

/**
 * Parses the header word: total frame size on the wire, or throws before any allocation.
 * AES bulk frames are refused unless this side said it takes them (`acceptAes`).
 */
export function frameSizeFromHeader(word: number, acceptPlain: boolean, acceptAes = false): number {
  const bulk = (word & BULK_FLAG) !== 0;
  const bodyAndTag = word & (bulk ? BULK_LENGTH_MASK : LENGTH_MASK);
  const prefix = bulkPrefixOf(word);
  if (bodyAndTag - TAG_BYTES > MAX_FRAME) {
    throw new ShoalError('FRAME_TOO_LARGE', `The peer announced a frame of ${bodyAndTag} bytes (limit ${MAX_FRAME}).`);
  }
  if (bodyAndTag < TAG_BYTES) throw new ShoalError('PROTOCOL_ERROR', 'Frame is shorter than its tag');
  if (bulk && (prefix === 0 || prefix > bodyAndTag - TAG_BYTES)) throw new ShoalError('PROTOCOL_ERROR', 'Bad bulk frame prefix');
  if (word >= PLAIN_FLAG && !acceptPlain) {
    throw new ShoalError('PROTOCOL_ERROR', 'The peer sent an unencrypted frame that was not negotiated');
  }
  if (bulk && (word & AES_FLAG) !== 0 && (!acceptAes || word >= PLAIN_FLAG)) {
    throw new ShoalError('PROTOCOL_ERROR', 'The peer sent an AES-encrypted frame that was not negotiated');
  }
  return HEADER_BYTES + bodyAndTag;
}

/** Opens incoming frames for one direction. */
export class FrameOpener {
  private counter = 0;
  private readonly nonce = Buffer.alloc(12);
  private readonly iv = Buffer.alloc(16);
  private readonly firstBlock = Buffer.alloc(FIRST_BLOCK);
  /**
   * `aesKey`: this side takes AES bulk frames (bulk-cipher.ts), under that key (bulkAesKey of
   * this direction); without it they are refused (frameSizeFromHeader's acceptAes).
   */
  constructor(
    private readonly key: Buffer,
    private readonly aesKey: Buffer | null = null,
  ) {}

  /** Whether AES bulk frames are taken (pass to frameSizeFromHeader). */
  get acceptsAes(): boolean {
    return this.aesKey !== null;
  }

  /**
   * Check the tag over frame[0, auth) and decrypt body (frame[HEADER_BYTES, tagAt)) into `out`,
   * with the cipher the header says. Throws authFailed, having written nothing, on a bad tag.
   */
  private openBody(word: number, frame: Buffer, tagAt: number, auth: number, out: Buffer): void {
    try {
      if (isAesBulk(word)) {
        if (!this.aesKey) throw new Error('AES bulk frame not negotiated');
        checkTagOnly(this.key, this.nonce, frame.subarray(0, auth), frame.subarray(tagAt));
        bodyXor(out, frame.subarray(HEADER_BYTES, tagAt), this.nonce, 0, this.key, this.aesKey, this.iv);
      } else openInto(this.key, this.nonce, frame.subarray(0, tagAt), HEADER_BYTES, frame.subarray(tagAt), out, auth);
    } catch (err) {
      throw authFailed(err);
    }
  }

  /**
   * How many leading payload bytes the last opened frame's tag covered: all of them, or a
   * bulk frame's prefix (the rest must be checked by whoever uses it; see above).
   */
  authenticated = 0;

  /**
   * `frame` is a whole frame (header included), ours to change: it is decrypted in place.
   * Returns the payload, a view of `frame`.
   */
  open(frame: Buffer): Buffer {
    const word = frame.readUInt32BE(0);
    const tagAt = frame.length - TAG_BYTES;
    const auth = authenticatedBytes(word, tagAt);
    setNonce(this.nonce, this.counter++);
    const tag = frame.subarray(tagAt);
    const body = frame.subarray(HEADER_BYTES, tagAt);
    // A frame that fails is dropped whole: its payload is never handed out.
    if (word >= PLAIN_FLAG) {
      try {
        checkTagOnly(this.key, this.nonce, frame.subarray(0, auth), tag);
      } catch (err) {
        throw authFailed(err);
      }
    } else this.openBody(word, frame, tagAt, auth, body);
    this.authenticated = auth - HEADER_BYTES;
    return body;
  }

  /**
   * An encrypted bulk frame whose chunk its consumer may want in memory of its own (a
   * download's write extent, transfer/direct-writer.ts): the tag over header and prefix is
   * checked, the prefix decrypted and shown to `place` with the chunk's length, and if it
   * returns a buffer, the chunk is decrypted straight into it - no frame buffer, no copy
   * (measured: copying received chunks into their extents was ~0.1-0.2 s of the receiver's
   * thread per GiB). Returns that buffer; `frame` is left as it was. Returns null, having
   * changed nothing, when `place` does: open the frame as usual then.
   */
  openPlaced(frame: Buffer, place: PlaceChunk): Buffer | null {
    const word = frame.readUInt32BE(0);
    const prefix = bulkPrefixOf(word);
    const tagAt = frame.length - TAG_BYTES;
    const size = tagAt - HEADER_BYTES - prefix;
    if (!isEncryptedBulk(word) || prefix === 0 || size < FIRST_BLOCK) return null;
    setNonce(this.nonce, this.counter);
    try {
      checkTagOnly(this.key, this.nonce, frame.subarray(0, HEADER_BYTES + prefix), frame.subarray(tagAt));
    } catch (err) {
      throw authFailed(err);
    }
    const first = this.firstBlock;
    const aes = isAesBulk(word) ? this.aesKey : null;
    if (isAesBulk(word) && !aes) throw authFailed(new Error('AES bulk frame not negotiated'));
    const head = frame.subarray(HEADER_BYTES, HEADER_BYTES + FIRST_BLOCK);
    bodyXor(first, head, this.nonce, 0, this.key, aes, this.iv);
    const into = place(first.subarray(0, prefix), size);
    if (!into) return null; // not consumed: open() or openOutOf() checks the tag again
    if (into.length !== size) throw new RangeError(`openPlaced: a place of ${into.length} bytes for ${size}`);
    this.counter++;
    into.set(first.subarray(prefix));
    const rest = frame.subarray(HEADER_BYTES + FIRST_BLOCK, tagAt);
    bodyXor(into.subarray(FIRST_BLOCK - prefix), rest, this.nonce, 1, this.key, aes, this.iv);
    this.authenticated = prefix;
    return into;
  }

  /**
   * An encrypted frame that is not ours to keep (a view of a socket's read buffer), opened
   * into a pooled buffer of its size in the same pass: decrypting is the copy. Returns the
   * payload, a view of that buffer (framePool.release it once used).
   */
  openOutOf(frame: Buffer): Buffer {
    const tagAt = frame.length - TAG_BYTES;
    const word = frame.readUInt32BE(0);
    const auth = authenticatedBytes(word, tagAt);
    setNonce(this.nonce, this.counter++);
    const out = framePool.acquire(frame.length);
    const payload = out.subarray(HEADER_BYTES, tagAt);
    try {
      this.openBody(word, frame, tagAt, auth, payload);
    } catch (err) {
      framePool.release(out);
      throw err;
    }
    this.authenticated = auth - HEADER_BYTES;
    return payload;
  }
}

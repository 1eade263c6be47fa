import crypto from 'node:crypto';
import { ShoalError } from '../errors.js';
import { MAX_FRAME } from './types.js';

/**
 * Frames after the handshake: `[u32 BE header][body][16-byte Poly1305 tag]`.
 * Header bits 0..30 = length of body + tag; bit 31 = plain flag. ChaCha20-Poly1305
 * (IETF) with a 96-bit nonce = per-direction frame counter, so frames can be neither
 * reordered, replayed nor dropped. The header is always authenticated:
 *   encrypted: AAD = header, body = ciphertext of the payload;
 *   plain:     AAD = header + payload, empty plaintext, body = the payload in clear.
 * Plain frames (LAN peers that both opted out of encryption) cost only Poly1305, and
 * flipping the flag breaks the tag, so an attacker cannot switch modes.
 */
export const HEADER_BYTES = 4;
export const TAG_BYTES = 16;
const PLAIN_FLAG = 0x8000_0000;
const LENGTH_MASK = 0x7fff_ffff;
const CIPHER = 'chacha20-poly1305';
/** Largest assembly kept for reuse: a data frame of the biggest chunk, not a rare huge index. */
const MAX_SPARE = 1024 * 1024;

function nonceFor(counter: number): Buffer {
  if (counter >= Number.MAX_SAFE_INTEGER) throw new ShoalError('PROTOCOL_ERROR', 'Frame counter exhausted');
  const nonce = Buffer.alloc(12);
  nonce.writeUInt32BE(Math.floor(counter / 0x1_0000_0000), 4);
  nonce.writeUInt32BE(counter >>> 0, 8);
  return nonce;
}

/** Seals outgoing frames for one direction. */
export class FrameSealer {
  private counter = 0;
  constructor(private readonly key: Buffer) {}

  /**
   * The wire pieces of one frame carrying the concatenation of `parts`, to be written in
   * order (the socket's writev joins them; nothing here copies a payload). In plain mode
   * the returned pieces include the caller's buffers themselves.
   */
  seal(parts: readonly Buffer[], plain: boolean): Buffer[] {
    let len = 0;
    for (const p of parts) len += p.length;
    if (len > MAX_FRAME) throw new ShoalError('FRAME_TOO_LARGE', `Frame of ${len} bytes exceeds ${MAX_FRAME}`);
    const header = Buffer.allocUnsafe(HEADER_BYTES);
    header.writeUInt32BE((plain ? PLAIN_FLAG : 0) + len + TAG_BYTES, 0);
    const cipher = crypto.createCipheriv(CIPHER, this.key, nonceFor(this.counter++), { authTagLength: TAG_BYTES });
    const out: Buffer[] = [header];
    if (plain) {
      // Several setAAD calls authenticate their concatenation (checked in the tests).
      cipher.setAAD(header, { plaintextLength: 0 });
      for (const p of parts) if (p.length) cipher.setAAD(p, { plaintextLength: 0 });
      cipher.final();
      for (const p of parts) if (p.length) out.push(p);
    } else {
      cipher.setAAD(header, { plaintextLength: len });
      for (const p of parts) if (p.length) out.push(cipher.update(p));
      cipher.final();
    }
    out.push(cipher.getAuthTag());
    return out;
  }
}

/** Parses the header word: total frame size on the wire, or throws before any allocation. */
export function frameSizeFromHeader(word: number, acceptPlain: boolean): number {
  const bodyAndTag = word & LENGTH_MASK;
  if (bodyAndTag - TAG_BYTES > MAX_FRAME) {
    throw new ShoalError('FRAME_TOO_LARGE', `The peer announced a frame of ${bodyAndTag} bytes (limit ${MAX_FRAME}).`);
  }
  if (bodyAndTag < TAG_BYTES) throw new ShoalError('PROTOCOL_ERROR', 'Frame is shorter than its tag');
  if (word >= PLAIN_FLAG && !acceptPlain) {
    throw new ShoalError('PROTOCOL_ERROR', 'The peer sent an unencrypted frame that was not negotiated');
  }
  return HEADER_BYTES + bodyAndTag;
}

/** Opens incoming frames for one direction. */
export class FrameOpener {
  private counter = 0;
  constructor(private readonly key: Buffer) {}

  /** `frame` is a whole frame (header included). Returns the payload (a view in plain mode). */
  open(frame: Buffer): Buffer {
    const plain = frame.readUInt32BE(0) >= PLAIN_FLAG;
    const tagAt = frame.length - TAG_BYTES;
    const decipher = crypto.createDecipheriv(CIPHER, this.key, nonceFor(this.counter++), { authTagLength: TAG_BYTES });
    decipher.setAuthTag(frame.subarray(tagAt));
    try {
      if (plain) {
        decipher.setAAD(frame.subarray(0, tagAt), { plaintextLength: 0 });
        decipher.final();
        return frame.subarray(HEADER_BYTES, tagAt);
      }
      decipher.setAAD(frame.subarray(0, HEADER_BYTES), { plaintextLength: tagAt - HEADER_BYTES });
      const payload = decipher.update(frame.subarray(HEADER_BYTES, tagAt));
      decipher.final(); // throws on a bad tag; the payload is discarded unseen
      return payload;
    } catch (err) {
      throw new ShoalError('PROTOCOL_ERROR', 'A frame failed authentication (corrupted or tampered).', { cause: err });
    }
  }
}

export interface FrameReaderHandlers {
  /** One authenticated payload. May throw (the reader stops and reports the error). */
  frame(payload: Buffer): void;
  /** A ShoalError for bad input; anything else was thrown by `frame` (or is a bug). */
  error(err: unknown): void;
}

/**
 * Incremental parser. Socket chunks are kept in a short list; a frame inside one chunk is
 * a view of it (no copy). Once the header of a frame that spans chunks is known (and
 * checked against MAX_FRAME), one buffer of exactly its size is allocated and later
 * chunks are copied straight into it, so a peer dribbling tiny segments cannot make us
 * keep millions of chunk objects.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  /** Bytes held (chunk list + assembly). */
  private buffered = 0;
  /** Total size of the current frame, or -1 before its header arrived. */
  private need = -1;
  private assembly: Buffer | null = null;
  private filled = 0;
  /** The whole buffer the assembly is a view of (a reused spare may be larger). */
  private assemblyBase: Buffer | null = null;
  /** assemblyBase of the frame just completed, until that frame is opened. */
  private assembled: Buffer | null = null;
  /** A former assembly whose bytes nothing references any more (see process). */
  private spare: Buffer | null = null;
  private paused = false;
  private stopped = false;
  /** Plain frames are refused until the connection consented to them. */
  acceptPlain = false;

  constructor(
    private readonly opener: FrameOpener,
    private readonly handlers: FrameReaderHandlers,
  ) {}

  push(chunk: Buffer): void {
    if (this.stopped || chunk.length === 0) return;
    this.buffered += chunk.length;
    if (this.assembly) {
      const n = Math.min(chunk.length, this.assembly.length - this.filled);
      chunk.copy(this.assembly, this.filled, 0, n);
      this.filled += n;
      if (this.filled < this.assembly.length) return;
      // Complete: it becomes the head of the (empty) chunk list, taken as a view below.
      this.chunks.push(this.assembly);
      this.assembled = this.assemblyBase;
      this.assembly = null;
      if (n < chunk.length) this.chunks.push(chunk.subarray(n));
    } else {
      this.chunks.push(chunk);
    }
    this.process();
  }

  /** Hold delivery (bytes still accumulate; pause the socket too to bound them). */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.process();
  }

  /** Discard everything from now on. */
  stop(): void {
    this.stopped = true;
    this.chunks = [];
    this.assembly = null;
    this.assemblyBase = null;
    this.assembled = null;
    this.spare = null;
    this.buffered = 0;
  }

  get bufferedBytes(): number {
    return this.buffered;
  }

  private process(): void {
    while (!this.paused && !this.stopped && !this.assembly) {
      try {
        if (this.need < 0) {
          if (this.buffered < HEADER_BYTES) return;
          this.need = frameSizeFromHeader(this.peekWord(), this.acceptPlain);
        }
        if (this.buffered < this.need) return this.startAssembly();
        const frame = this.take(this.need);
        this.need = -1;
        const payload = this.opener.open(frame);
        // A decrypted payload is a new buffer, so the assembly it came from is free: reused
        // for the next big frame, which halves what a download allocates (and the
        // mark-compacts that external memory pressure forces). Plain payloads are views.
        const a = this.assembled;
        if (a && a.length <= MAX_SPARE && frame.buffer === a.buffer && payload.buffer !== frame.buffer) {
          this.spare = a;
        }
        this.assembled = null;
        this.handlers.frame(payload);
      } catch (err) {
        this.stop();
        this.handlers.error(err);
        return;
      }
    }
  }

  /** Move the partial frame into a buffer of its final size; the rest is copied as it comes. */
  private startAssembly(): void {
    const base = this.spare && this.spare.length >= this.need ? this.spare : Buffer.allocUnsafe(this.need);
    this.spare = null;
    this.assemblyBase = base;
    const buf = base.subarray(0, this.need);
    let at = 0;
    for (const c of this.chunks) at += c.copy(buf, at);
    this.chunks = [];
    this.assembly = buf;
    this.filled = at;
  }

  private peekWord(): number {
    const first = this.chunks[0]!;
    if (first.length >= HEADER_BYTES) return first.readUInt32BE(0);
    const head = Buffer.alloc(HEADER_BYTES);
    let got = 0;
    for (const c of this.chunks) {
      got += c.copy(head, got, 0, Math.min(c.length, HEADER_BYTES - got));
      if (got === HEADER_BYTES) break;
    }
    return head.readUInt32BE(0);
  }

  /** Take n bytes (n <= buffered): a view when they lie in one chunk. */
  private take(n: number): Buffer {
    this.buffered -= n;
    const first = this.chunks[0]!;
    if (first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let got = 0;
    while (got < n) {
      const c = this.chunks[0]!;
      const want = n - got;
      if (c.length <= want) {
        c.copy(out, got);
        got += c.length;
        this.chunks.shift();
      } else {
        c.copy(out, got, 0, want);
        this.chunks[0] = c.subarray(want);
        got = n;
      }
    }
    return out;
  }
}

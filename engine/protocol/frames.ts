import { ShoalError } from '../errors.js';
import { TAG_BYTES, checkTagOnly, openInto, sealInPlace as sealBody, tagOnly } from './aead.js';
import { framePool } from './frame-pool.js';
import { MAX_FRAME } from './types.js';

/**
 * Frames after the handshake: `[u32 BE header][body][16-byte Poly1305 tag]`.
 * Header bits 0..30 = length of body + tag; bit 31 = plain flag. ChaCha20 and Poly1305
 * (aead.ts) with a 96-bit nonce = per-direction frame counter, so frames can be neither
 * reordered, replayed nor dropped. The tag covers header + body, always:
 *   encrypted: body = the payload encrypted with ChaCha20, tag over header + ciphertext;
 *   plain:     body = the payload in clear, tag over header + payload.
 * Plain frames (LAN peers that both opted out of encryption) cost only Poly1305, and
 * flipping the flag breaks the tag, so an attacker cannot switch modes.
 *
 * Sealing and opening work in place (aead.ts), in buffers from the frame pool: a frame is
 * built in one buffer and written with one write, and a received payload is a view of the
 * frame it came in.
 */
export const HEADER_BYTES = 4;
export { TAG_BYTES };
const PLAIN_FLAG = 0x8000_0000;
const LENGTH_MASK = 0x7fff_ffff;

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
  constructor(private readonly key: Buffer) {}

  /**
   * One whole frame carrying the concatenation of `parts`, in a buffer from the frame
   * pool (framePool.release it once written; the caller's parts are not kept).
   */
  seal(parts: readonly Uint8Array[], plain: boolean): Buffer {
    let len = 0;
    for (const p of parts) len += p.length;
    const frame = allocFrame(len);
    let at = HEADER_BYTES;
    for (const p of parts) {
      frame.set(p, at);
      at += p.length;
    }
    return this.sealInPlace(frame, plain);
  }

  /**
   * Seal a frame from allocFrame() whose payload (frame[HEADER_BYTES, length - TAG_BYTES))
   * has been filled in: header and tag are written, the payload encrypted in place.
   * Frames must be sealed in the order they are sent (the nonce is a counter).
   */
  sealInPlace(frame: Buffer, plain: boolean): Buffer {
    const at = frame.length - TAG_BYTES;
    frame.writeUInt32BE((plain ? PLAIN_FLAG : 0) + at - HEADER_BYTES + TAG_BYTES, 0);
    setNonce(this.nonce, this.counter++);
    const tag = frame.subarray(at);
    if (plain) tagOnly(this.key, this.nonce, frame.subarray(0, at), tag);
    else sealBody(this.key, this.nonce, frame.subarray(0, at), HEADER_BYTES, tag);
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
  private readonly nonce = Buffer.alloc(12);
  constructor(private readonly key: Buffer) {}

  /**
   * `frame` is a whole frame (header included), ours to change: it is decrypted in place.
   * Returns the payload, a view of `frame`.
   */
  open(frame: Buffer): Buffer {
    const plain = frame.readUInt32BE(0) >= PLAIN_FLAG;
    const tagAt = frame.length - TAG_BYTES;
    setNonce(this.nonce, this.counter++);
    const tag = frame.subarray(tagAt);
    const body = frame.subarray(HEADER_BYTES, tagAt);
    try {
      // A frame that fails is dropped whole: its payload is never handed out.
      if (plain) checkTagOnly(this.key, this.nonce, frame.subarray(0, tagAt), tag);
      else openInto(this.key, this.nonce, frame.subarray(0, tagAt), HEADER_BYTES, tag, body);
    } catch (err) {
      throw authFailed(err);
    }
    return body;
  }

  /**
   * An encrypted frame that is not ours to keep (a view of a socket's read buffer), opened
   * into a pooled buffer of its size in the same pass: decrypting is the copy. Returns the
   * payload, a view of that buffer (framePool.release it once used).
   */
  openOutOf(frame: Buffer): Buffer {
    const tagAt = frame.length - TAG_BYTES;
    setNonce(this.nonce, this.counter++);
    const out = framePool.acquire(frame.length);
    const payload = out.subarray(HEADER_BYTES, tagAt);
    try {
      openInto(this.key, this.nonce, frame.subarray(0, tagAt), HEADER_BYTES, frame.subarray(tagAt), payload);
    } catch (err) {
      framePool.release(out);
      throw authFailed(err);
    }
    return payload;
  }
}

export interface FrameReaderHandlers {
  /**
   * One authenticated payload. It may be a view of a frame-pool buffer that now belongs to
   * the handler: framePool.release(payload) once nothing refers to it (or let it go to the
   * garbage collector). May throw (the reader stops and reports the error).
   */
  frame(payload: Buffer): void;
  /** A ShoalError for bad input; anything else was thrown by `frame` (or is a bug). */
  error(err: unknown): void;
}

/**
 * Incremental parser. Socket chunks are kept in a short list; a frame inside one chunk is
 * a view of it (no copy). Once the header of a frame that spans chunks is known (and
 * checked against MAX_FRAME), a pooled buffer of exactly its size is taken and later
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
  /** directTarget() handed out part of the assembly, and the read into it has not landed yet. */
  private directOut = false;
  private paused = false;
  private stopped = false;
  /** The read buffer behind the chunk being pushed, when that chunk is transient. */
  private transient: ArrayBufferLike | null = null;
  /** Plain frames are refused until the connection consented to them. */
  acceptPlain = false;

  constructor(
    private readonly opener: FrameOpener,
    private readonly handlers: FrameReaderHandlers,
  ) {}

  /**
   * Feed bytes as they arrive. The reader owns `chunk` from now on (frames are opened in
   * place) - unless `transient`: then `chunk` is a view of a read buffer that the next read
   * overwrites (socket-reads.ts), and whatever must outlive this call is copied.
   */
  push(chunk: Buffer, transient = false): void {
    if (this.stopped || chunk.length === 0) return;
    if (transient) {
      this.transient = chunk.buffer;
      try {
        this.pushOwned(chunk);
      } finally {
        this.transient = null;
        // Left over (a pause, a frame still incomplete is already in its assembly): copy.
        for (let i = 0; i < this.chunks.length; i++) {
          if (this.chunks[i]!.buffer === chunk.buffer) this.chunks[i] = Buffer.from(this.chunks[i]!);
        }
      }
      return;
    }
    this.pushOwned(chunk);
  }

  private pushOwned(chunk: Buffer): void {
    if (this.stopped) return;
    this.buffered += chunk.length;
    if (this.assembly) {
      const n = Math.min(chunk.length, this.assembly.length - this.filled);
      chunk.copy(this.assembly, this.filled, 0, n);
      this.filled += n;
      if (this.filled < this.assembly.length) return;
      // Complete: it becomes the head of the (empty) chunk list, taken as a view below.
      this.chunks.push(this.assembly);
      this.assembly = null;
      if (n < chunk.length) this.chunks.push(chunk.subarray(n));
    } else {
      this.chunks.push(chunk);
    }
    this.process();
  }

  /**
   * The rest of the frame being gathered, for the socket's next read to fill directly
   * (socket-reads.ts ReadTarget) instead of reading into the shared buffer and copying from
   * there: at most `max` bytes of it, or null when no frame is being gathered.
   */
  directTarget(max: number): Buffer | null {
    if (this.stopped || !this.assembly) return null;
    this.directOut = true;
    return this.assembly.subarray(this.filled, Math.min(this.assembly.length, this.filled + max));
  }

  /** `n` bytes were read into the buffer directTarget() returned last. */
  landedDirect(n: number): void {
    this.directOut = false;
    if (this.stopped || !this.assembly || n <= 0) return;
    this.buffered += n;
    this.filled += n;
    if (this.filled < this.assembly.length) return;
    this.chunks.push(this.assembly);
    this.assembly = null;
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
    // A socket read may still be pointed at part of it: then it is not the pool's again.
    if (this.assembly && !this.directOut) framePool.release(this.assembly);
    this.chunks = [];
    this.assembly = null;
    this.buffered = 0;
  }

  get bufferedBytes(): number {
    return this.buffered;
  }

  private process(): void {
    while (!this.paused && !this.stopped && !this.assembly) {
      let frame: Buffer | null = null;
      try {
        if (this.need < 0) {
          if (this.buffered < HEADER_BYTES) return;
          this.need = frameSizeFromHeader(this.peekWord(), this.acceptPlain);
        }
        if (this.buffered < this.need) return this.startAssembly();
        const n = this.need;
        this.need = -1;
        const first = this.chunks[0]!;
        let payload: Buffer;
        if (first.buffer === this.transient && first.length >= n && first.readUInt32BE(0) < PLAIN_FLAG) {
          // Inside the read buffer and encrypted: decrypted straight out of it, no copy first.
          this.buffered -= n;
          if (first.length === n) this.chunks.shift();
          else this.chunks[0] = first.subarray(n);
          payload = this.opener.openOutOf(first.subarray(0, n));
        } else {
          frame = this.take(n);
          payload = this.opener.open(frame);
          frame = null; // the handler owns it now
        }
        this.handlers.frame(payload);
      } catch (err) {
        if (frame) framePool.release(frame);
        this.stop();
        this.handlers.error(err);
        return;
      }
    }
  }

  /** Move the partial frame into a buffer of its final size; the rest is copied as it comes. */
  private startAssembly(): void {
    const buf = framePool.acquire(this.need);
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

  /**
   * Take n bytes (n <= buffered): a view when they lie in one chunk we own, else a copy
   * in a pooled buffer (a frame inside a transient read buffer must outlive the read).
   */
  private take(n: number): Buffer {
    this.buffered -= n;
    const first = this.chunks[0]!;
    if (first.length >= n && first.buffer !== this.transient) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = framePool.acquire(n);
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

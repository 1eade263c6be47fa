import { framePool } from './frame-pool.js';
import { HEADER_BYTES, PLAIN_FLAG, frameSizeFromHeader, isEncryptedBulk, type FrameOpener, type PlaceChunk } from './frames.js';

export interface FrameReaderHandlers {
  /**
   * One authenticated payload: its first `authenticated` bytes passed the tag, which is all
   * of them but in bulk frames. It may be a view of a frame-pool buffer that now belongs to
   * the handler: framePool.release(payload) once nothing refers to it (or let it go to the
   * garbage collector). May throw (the reader stops and reports the error).
   */
  frame(payload: Buffer, authenticated: number): void;
  /** A ShoalError for bad input; anything else was thrown by `frame` (or is a bug). */
  error(err: unknown): void;
  /**
   * Optional: where an encrypted bulk frame's chunk should be decrypted to, given its
   * authenticated prefix (frames.ts FrameOpener.openPlaced), or null for the usual way.
   * When it returns a buffer, `placed` is called instead of `frame`.
   */
  place?: PlaceChunk;
  /** Whether `place` may say yes at all now (else no bulk frame is opened apart for it). */
  mayPlace?(): boolean;
  /** The chunk of the frame `place` was last asked about is now in the buffer it returned. */
  placed?(into: Buffer): void;
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
  /** The current frame is an encrypted bulk frame (its chunk may be placed: handlers.place). */
  private bulk = false;
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
          const word = this.peekWord();
          this.need = frameSizeFromHeader(word, this.acceptPlain, this.opener.acceptsAes);
          this.bulk = isEncryptedBulk(word);
        }
        if (this.buffered < this.need) return this.startAssembly();
        const n = this.need;
        this.need = -1;
        const first = this.chunks[0]!;
        if (this.bulk && first.length >= n && this.placeChunk(first, n)) continue;
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
        this.handlers.frame(payload, this.opener.authenticated);
      } catch (err) {
        if (frame) framePool.release(frame);
        this.stop();
        this.handlers.error(err);
        return;
      }
    }
  }

  /**
   * The frame at the start of `first` (n bytes), decrypted straight to where handlers.place
   * says: true when it was (the frame is consumed, and its buffer given back to the pool
   * when it was a gathered frame's), false when it is to be opened the usual way.
   */
  private placeChunk(first: Buffer, n: number): boolean {
    const place = this.handlers.place;
    if (!place || this.handlers.mayPlace?.() === false) return false;
    const into = this.opener.openPlaced(first.subarray(0, n), place);
    if (!into) return false;
    this.buffered -= n;
    if (first.length === n) {
      this.chunks.shift();
      // A gathered frame's pool buffer (startAssembly); anything else is not the pool's.
      if (first.buffer !== this.transient) framePool.release(first);
    } else this.chunks[0] = first.subarray(n);
    this.handlers.placed!(into);
    return true;
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

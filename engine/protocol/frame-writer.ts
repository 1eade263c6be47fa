import type net from 'node:net';
import type { ShoalError } from '../errors.js';
import { framePool } from './frame-pool.js';
import type { FrameSealer } from './frames.js';
import type { TokenBucketLike } from './types.js';

/** Default bytes we let pile up in the socket's user-space buffer before asking callers to wait. */
export const DEFAULT_SEND_HIGH_WATER = 4 * 1024 * 1024;

/**
 * Corked bytes that are sent without waiting for the end of the tick. Several data frames
 * (~134 KiB each) per write: a sender serving a burst of chunk requests made one write
 * system call per frame with 64 KiB here; with 512 KiB it made 18 % fewer system calls in
 * all for a 1 GiB upload (measured on the 2-core dev VM, where each costs a VM exit), and
 * the first frame still leaves within a few frames' sealing time.
 */
const CORK_FLUSH_BYTES = 512 * 1024;


/**
 * Writes sealed frames to the socket with bounded buffering. `write` returns false once
 * the caller should `await drain()` before sending more (like a Node stream), which lets
 * the transfer layer pipeline requests without unbounded memory. An upload rate limiter
 * delays frames in a FIFO queue; frames are sealed at `write` time, so the queue keeps
 * them in nonce order.
 */
export class FrameWriter {
  /** Plain (authenticated, not encrypted) frames once negotiated. */
  plain = false;
  private readonly queue: Buffer[] = [];
  private waitingLimiter = false;
  private corked = false;
  private waiters: Array<{ resolve: () => void; reject: (err: ShoalError) => void }> = [];
  private failed: ShoalError | null = null;
  private readonly highWater: number;
  private limiter: TokenBucketLike | undefined;
  private readonly onError: ((err: unknown) => void) | undefined;
  /** Wire bytes handed to the socket. */
  bytesOut = 0;


  constructor(
    private readonly socket: net.Socket,
    private readonly sealer: FrameSealer,
    opts: { highWater?: number; limiter?: TokenBucketLike; onError?: (err: unknown) => void } = {},
  ) {
    // Never below the socket's own mark: then whenever we report "full", the socket has
    // also seen a write return false and is guaranteed to emit 'drain'.
    this.highWater = Math.max(opts.highWater ?? DEFAULT_SEND_HIGH_WATER, socket.writableHighWaterMark);
    this.limiter = opts.limiter;
    this.onError = opts.onError;
    socket.on('drain', () => this.release());
  }

  /** Replace the upload limiter; applies from the next frame that asks for tokens. */
  setLimiter(limiter: TokenBucketLike | undefined): void {
    this.limiter = limiter;
  }

  /**
   * Seal and send (or queue) one frame made of `parts`; `bulkPrefix` as in
   * FrameSealer.sealInPlace. False = please await drain().
   */
  write(parts: readonly Buffer[], bulkPrefix = 0): boolean {
    if (this.failed) return false;
    return this.enqueue(this.sealer.seal(parts, this.plain, bulkPrefix));
  }

  private enqueue(frame: Buffer): boolean {
    if (this.queue.length > 0 || this.waitingLimiter) {
      this.queue.push(frame);
      return false;
    }
    const wait = this.limiter?.take(frame.length);
    if (wait) {
      this.queue.push(frame);
      this.awaitTokens(wait);
      return false;
    }
    this.put(frame);
    return !this.full();
  }

  /**
   * Send a frame from allocFrame() whose payload the caller filled in (sealed here, in
   * place: no copy). False = please await drain().
   */
  writeFrame(frame: Buffer, bulkPrefix = 0): boolean {
    if (this.failed) {
      framePool.release(frame);
      return false;
    }
    return this.enqueue(this.sealer.sealInPlace(frame, this.plain, bulkPrefix));
  }

  /** Resolves when more may be written; rejects with the close reason if the connection ends. */
  drain(): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    if (!this.full()) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** True while callers should hold back. */
  full(): boolean {
    return this.queue.length > 0 || this.waitingLimiter || this.socket.writableLength >= this.highWater;
  }

  /**
   * Write everything still queued, ignoring the limiter (used just before closing, so a
   * final frame is not stuck behind frames with lower nonces).
   */
  flushQueue(): void {
    for (const frame of this.queue.splice(0)) this.put(frame);
  }

  /** The connection is closing: refuse further writes and fail pending drain() calls. */
  fail(reason: ShoalError): void {
    if (this.failed) return;
    this.failed = reason;
    this.queue.length = 0;
    for (const w of this.waiters.splice(0)) w.reject(reason);
  }

  /** Write a frame directly, bypassing queue and limiter (only after flushQueue()). */
  writeNow(parts: readonly Buffer[]): void {
    this.put(this.sealer.seal(parts, this.plain));
  }

  private put(frame: Buffer): void {
    if (this.socket.destroyed) return;
    this.bytesOut += frame.length;
    // Small frames written in the same tick (a window of chunk requests, index batches)
    // leave in one writev, not one syscall and TCP segment each. Once a batch is big it
    // goes at once, so backpressure still reflects what the kernel would not take.
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(this.uncork);
    }
    // The socket holds the frame until its write completes (the callback runs on a later
    // tick even when the kernel took the bytes at once); then its buffer is reused.
    this.socket.write(frame, () => framePool.release(frame));
    if (this.socket.writableLength >= CORK_FLUSH_BYTES) this.uncork();
  }

  private readonly uncork = (): void => {
    if (!this.corked) return;
    this.corked = false;
    this.socket.uncork();
  };

  /** The frame at the head of the queue waits for its tokens; it goes out when they are granted. */
  private awaitTokens(wait: Promise<void>): void {
    this.waitingLimiter = true;
    wait.then(
      () => {
        this.waitingLimiter = false;
        if (this.failed) return;
        const head = this.queue.shift();
        if (head) this.put(head);
        this.pump();
      },
      (err: unknown) => {
        this.waitingLimiter = false;
        this.onError?.(err);
      },
    );
  }

  /** Send queued frames as far as the limiter allows right now. */
  private pump(): void {
    while (!this.failed && this.queue.length > 0) {
      const head = this.queue[0]!;
      const wait = this.limiter?.take(head.length);
      if (wait) return this.awaitTokens(wait);
      this.queue.shift();
      this.put(head);
    }
    this.release();
  }

  private release(): void {
    if (this.full() || this.waiters.length === 0) return;
    for (const w of this.waiters.splice(0)) w.resolve();
  }
}

/**
 * Shared protocol types and limits. Limits are part of the wire contract: both sides
 * enforce them, so a hostile or buggy peer can never make us allocate more than this.
 */

/** Bumped when the message set changes incompatibly; sent in `hello`. */
export const PROTOCOL_VERSION = 3;

/** Largest `data` payload (one chunk; matches MAX_CHUNK_SIZE in model/record.ts). */
export const MAX_DATA = 8 * 1024 * 1024;
/** Largest frame payload: one data chunk plus room for the message header. */
export const MAX_FRAME = MAX_DATA + 1024;
/** Records per `index` message; larger indexes are split (see splitIndex). */
export const MAX_INDEX_RECORDS = 20_000;

/**
 * A rate limiter as seen by the protocol (the token bucket lives in engine/net/).
 * `take` returns nothing when the bytes may pass now, or a promise that resolves
 * when they may; the connection waits for it without buffering without bound.
 */
export interface TokenBucketLike {
  take(bytes: number): Promise<void> | void;
}

export interface RateLimiter {
  /** Applied to every frame we send (wire bytes). */
  up?: TokenBucketLike;
  /** Applied to every chunk we read (wire bytes): the socket pauses until tokens exist. */
  down?: TokenBucketLike;
}

/** Injectable timers, so keepalive and idle timeouts can be tested without waiting. */
export interface TimerLike {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
  /** Monotonic milliseconds, used to measure silence. */
  now(): number;
}

export const realTimers: TimerLike = {
  setInterval(fn, ms) {
    const h = setInterval(fn, ms);
    // Keepalive must never hold the process open on its own.
    h.unref();
    return h;
  },
  clearInterval(handle) {
    clearInterval(handle as NodeJS.Timeout);
  },
  now: () => performance.now(),
};

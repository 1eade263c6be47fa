import type { DeviceIdentity } from '../secrets/device.js';
import type { Message } from './messages.js';
import type { RateLimiter, TimerLike } from './types.js';

/** The options and small types of a PeerConnection (connection.ts). */
export interface PeerOptions {
  identity: DeviceIdentity;
  deviceName: string;
  /** Our listening port, announced in hello (0 = not listening). */
  listenPort: number;
  /** We accept unencrypted (still authenticated) frames from LAN peers (`lan_encrypt_data: false`). */
  plainLan: boolean;
  /** false: never use AES for bulk frames (bulk-cipher.ts); default: where this device has it fast. */
  bulkAes?: boolean;
  /**
   * false: never ask for runs of chunks in one request nor say we take them (hello.chunkRuns);
   * default true unless SHOAL_CHUNK_RUNS=0 (to compare).
   */
  chunkRuns?: boolean;
  /** Wall clock for hello.nowMs and helloReceivedAt (ms since the epoch); default Date.now. */
  nowMs?: () => number;
  /** Bound on connect + handshake + hello; default 10 s. */
  timeoutMs?: number;
  /** Ping interval, default 30 s. */
  keepaliveMs?: number;
  /** Close after this much silence, default 90 s. */
  idleTimeoutMs?: number;
  timers?: TimerLike;
  /**
   * Buffer hints in MB (config send_buf_size / recv_buf_size). Node cannot set SO_SNDBUF /
   * SO_RCVBUF on a net.Socket, so: sendBufSize is how much we queue in user space before
   * write() asks the caller to wait; recvBufSize is the readable high-water mark of sockets
   * we dial (accepted sockets get theirs from the listener).
   */
  sendBufSize?: number;
  recvBufSize?: number;
  limiter?: RateLimiter;
}

/** Options shared by connect() and accept(). */
export type ConnectionOptions = PeerOptions;

export interface ConnectOptions extends PeerOptions {
  host: string;
  port: number;
}

export type MessageHandler = (msg: Message) => void;

/**
 * place(): where the bytes of the `data` answer to request `id` should be decrypted to, as they
 * arrive: a buffer of exactly `size` bytes that nothing else writes to until the answer is
 * delivered (then its bytes are the message's, unverified like any answer), or null for a
 * frame buffer of the connection's own. Called inside the frame reader: no throwing.
 */
export interface DataPlacer {
  place(id: number, size: number): Buffer | null;
  /** Whether any request in flight may be placed (else answers are not opened apart to ask). */
  any(): boolean;
}

/** A `data` message being filled in place (PeerConnection.prepareData). */
export interface OutgoingData {
  readonly payload: Buffer;
  /** Seal and send; false = buffers are full, `await drain()` before sending more. */
  send(): boolean;
  /** Not sent after all (the read failed): the buffer is reused. */
  discard(): void;
}

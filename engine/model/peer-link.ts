import type { FileRecord } from './record.js';

/**
 * What a folder needs from one connected peer that shares it. The connection layer
 * (engine/net) implements it; the folder model never sees sockets.
 */
/**
 * `count` adjacent chunks of a file (1 when absent; more only where the link says
 * `maxRunChunks`): `offset` is the first one's, `size` their total, `hash` their hashes
 * one after another.
 */
export interface ChunkRequest {
  path: string;
  offset: number;
  size: number;
  count?: number;
  hash: Buffer;
}

/**
 * Where the answer to a chunk request should land as it arrives (e.g. its place in a
 * download's write extent, saving a copy): a buffer of exactly `size` bytes that nothing
 * else touches until the request settles, or null. Asked at most once per request, and
 * only if an answer comes; must not throw.
 */
export type PlaceAnswer = (size: number) => Buffer | null;

export interface PeerLink {
  readonly id: string;
  readonly name: string;
  readonly address: string;
  readonly lan: boolean;
  /** Send index records (what this device has) to the peer. */
  sendIndex(records: FileRecord[], complete: boolean): void;
  /**
   * Ask for a chunk; resolves with bytes owned by the caller (not yet verified): those of
   * `place`'s buffer when it gave one, else a buffer of the connection's.
   */
  request(req: ChunkRequest, place?: PlaceAnswer): Promise<Buffer>;
  /**
   * The bytes a request resolved with are no longer used (written, or rejected): their
   * buffer may serve a later message. Never call it while anything still refers to them.
   */
  release(bytes: Buffer): void;
  /** Most chunks one request may ask for on this link (1: the peer takes no runs). */
  readonly maxRunChunks: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** The peer refused a request because it paused syncing: ask it again a bit later. */
  readonly paused: boolean;
}

import type { FileRecord } from './record.js';

/**
 * What a folder needs from one connected peer that shares it. The connection layer
 * (engine/net) implements it; the folder model never sees sockets.
 */
export interface ChunkRequest {
  path: string;
  offset: number;
  size: number;
  hash: Buffer;
}

export interface PeerLink {
  readonly id: string;
  readonly name: string;
  readonly address: string;
  readonly lan: boolean;
  /** Send index records (what this device has) to the peer. */
  sendIndex(records: FileRecord[], complete: boolean): void;
  /** Ask for a chunk; resolves with bytes owned by the caller (not yet verified). */
  request(req: ChunkRequest): Promise<Buffer>;
  /**
   * The bytes a request resolved with are no longer used (written, or rejected): their
   * buffer may serve a later message. Never call it while anything still refers to them.
   */
  release(bytes: Buffer): void;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** The peer refused a request because it paused syncing: ask it again a bit later. */
  readonly paused: boolean;
}

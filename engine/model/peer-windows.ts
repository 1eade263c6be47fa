/**
 * Bytes of chunk requests in flight per peer, against a window per peer: enough to keep a
 * link busy (requests pipelined), never an unbounded amount of memory on the way.
 *
 * A peer whose window filled up is refilled only once an eighth of it is free again, so
 * requests leave in batches (one write and TCP segment each) rather than one per returned
 * chunk.
 */
export class PeerWindows {
  private readonly inflight = new Map<string, number>();
  private readonly full = new Set<string>();

  /** May a request of `size` bytes go to this peer now, with a window of `window` bytes? */
  admits(peerId: string, size: number, window: number): boolean {
    const used = this.inflight.get(peerId) ?? 0;
    if (this.full.has(peerId)) {
      if (used > window - window / 8) return false;
      this.full.delete(peerId);
    }
    // One request always fits (a chunk bigger than a small window must still be asked for).
    if (used > 0 && used + size > window) {
      this.full.add(peerId);
      return false;
    }
    return true;
  }

  /** A request of `size` bytes went out to the peer. */
  sent(peerId: string, size: number): void {
    this.inflight.set(peerId, (this.inflight.get(peerId) ?? 0) + size);
  }

  /** A request's answer came (or it failed): its bytes are no longer in flight. */
  settled(peerId: string, size: number): void {
    this.inflight.set(peerId, (this.inflight.get(peerId) ?? 0) - size);
  }

  /** Bytes in flight to the peer. */
  inFlight(peerId: string): number {
    return this.inflight.get(peerId) ?? 0;
  }
}

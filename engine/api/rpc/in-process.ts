import type { Channel, RpcMessage } from './channel.js';

/**
 * Two connected channels in one process (tests, and the daemon hosting the engine next to
 * its HTTP server). Messages are structured-cloned and delivered on a later microtask, so
 * neither side can share objects with or re-enter the other: the same behaviour as a port.
 */
export function inProcessPair(): [Channel, Channel] {
  const a = new LocalEnd();
  const b = new LocalEnd();
  a.other = b;
  b.other = a;
  return [a, b];
}

class LocalEnd implements Channel {
  other: LocalEnd | null = null;
  private readonly messageFns = new Set<(msg: unknown) => void>();
  private readonly closeFns = new Set<() => void>();
  private closed = false;

  send(msg: RpcMessage): void {
    if (this.closed) return;
    const copy = structuredClone(msg);
    const to = this.other;
    queueMicrotask(() => to?.deliver(copy));
  }

  private deliver(msg: unknown): void {
    if (this.closed) return;
    for (const fn of this.messageFns) fn(msg);
  }

  onMessage(fn: (msg: unknown) => void): () => void {
    this.messageFns.add(fn);
    return () => this.messageFns.delete(fn);
  }

  onClose(fn: () => void): () => void {
    if (this.closed) {
      // Subscribing after the end must still hear about it, or the subscriber leaks.
      queueMicrotask(fn);
      return () => {};
    }
    this.closeFns.add(fn);
    return () => this.closeFns.delete(fn);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const fn of this.closeFns) fn();
    this.messageFns.clear();
    this.closeFns.clear();
    const other = this.other;
    this.other = null;
    if (other) queueMicrotask(() => other.close());
  }
}

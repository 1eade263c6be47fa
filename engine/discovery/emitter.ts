import { ShoalError } from '../errors.js';
import { FOLDER_ID_BYTES, type DiscoveryEvents } from './types.js';

/**
 * A tiny typed emitter shared by discovery sources. Not node:events: there an 'error'
 * event without a listener throws, and a discovery hiccup must never take the engine
 * down, so trouble goes out as 'warning', which nobody has to listen to. A listener that
 * throws is a bug in the consumer and propagates to the caller of emit().
 */
export class DiscoveryEmitter {
  private readonly listeners: { [E in keyof DiscoveryEvents]: Set<DiscoveryEvents[E]> } = {
    peer: new Set(),
    warning: new Set(),
  };

  on<E extends keyof DiscoveryEvents>(event: E, listener: DiscoveryEvents[E]): this {
    this.listeners[event].add(listener);
    return this;
  }

  off<E extends keyof DiscoveryEvents>(event: E, listener: DiscoveryEvents[E]): this {
    this.listeners[event].delete(listener);
    return this;
  }

  protected emit<E extends keyof DiscoveryEvents>(event: E, ...args: Parameters<DiscoveryEvents[E]>): void {
    for (const fn of [...this.listeners[event]]) (fn as (...a: unknown[]) => void)(...args);
  }
}

/** Validate and de-duplicate a folder list (hex keys keep Set semantics for Buffers). */
export function folderSet(folderIds: Buffer[]): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const id of folderIds) {
    if (!Buffer.isBuffer(id) || id.length !== FOLDER_ID_BYTES) {
      throw new ShoalError('BAD_REQUEST', `A folder id must be ${FOLDER_ID_BYTES} bytes.`);
    }
    const hex = id.toString('hex');
    if (!out.has(hex)) out.set(hex, Buffer.from(id));
  }
  return out;
}

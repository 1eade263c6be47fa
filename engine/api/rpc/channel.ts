import type { ErrorData } from '../error-data.js';

/**
 * The RPC wire: four message kinds, plain structured-cloneable data, so the same messages
 * travel over an in-process pair, an Electron MessagePort / parentPort and a WebSocket
 * (as JSON text). Nothing here imports Node or Electron: the renderer uses it too.
 */
export type RpcMessage =
  | { t: 'call'; id: number; method: string; params: unknown }
  | { t: 'result'; id: number; value: unknown }
  | { t: 'error'; id: number; error: ErrorData }
  | { t: 'event'; name: string; payload: unknown };

/** A bidirectional message pipe. Each transport adapts its native object to this. */
export interface Channel {
  /** May throw for a message the transport cannot carry (not cloneable, too large); never after close. */
  send(msg: RpcMessage): void;
  /** Incoming messages are untrusted `unknown`; the server and client check them. */
  onMessage(fn: (msg: unknown) => void): () => void;
  /** Called once when the other side goes away (or close() was called). */
  onClose(fn: () => void): () => void;
  close(): void;
}

/**
 * The listener bookkeeping every transport's Channel needs: message and close listeners,
 * closed exactly once (close listeners added afterwards still run, on a microtask).
 */
export class ChannelListeners {
  private readonly messageFns = new Set<(msg: unknown) => void>();
  private readonly closeFns = new Set<() => void>();
  private ended = false;

  get closed(): boolean {
    return this.ended;
  }

  onMessage(fn: (msg: unknown) => void): () => void {
    this.messageFns.add(fn);
    return () => this.messageFns.delete(fn);
  }

  onClose(fn: () => void): () => void {
    if (this.ended) {
      queueMicrotask(fn);
      return () => {};
    }
    this.closeFns.add(fn);
    return () => this.closeFns.delete(fn);
  }

  /** Hand an incoming message to every listener (nothing after close). */
  deliver(msg: unknown): void {
    if (this.ended) return;
    for (const fn of this.messageFns) fn(msg);
  }

  /** Mark closed and run the close listeners once; false when it already was closed. */
  end(): boolean {
    if (this.ended) return false;
    this.ended = true;
    const fns = [...this.closeFns];
    this.closeFns.clear();
    this.messageFns.clear();
    for (const fn of fns) fn();
    return true;
  }
}

/** Calls may carry at most this many in flight per channel; more are refused. */
export const MAX_PENDING_CALLS = 1000;
/** A WebSocket text frame (or any serialized message) larger than this is refused. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isId(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** Shape check of one incoming message; null when it is not a valid RpcMessage. */
export function parseRpcMessage(raw: unknown): RpcMessage | null {
  if (!isObject(raw)) return null;
  switch (raw.t) {
    case 'call':
      if (!isId(raw.id) || typeof raw.method !== 'string' || raw.method.length > 64) return null;
      return { t: 'call', id: raw.id, method: raw.method, params: raw.params ?? {} };
    case 'result':
      if (!isId(raw.id)) return null;
      return { t: 'result', id: raw.id, value: raw.value };
    case 'error': {
      const e = raw.error;
      if (!isId(raw.id) || !isObject(e) || typeof e.code !== 'string' || typeof e.message !== 'string') return null;
      return { t: 'error', id: raw.id, error: { code: e.code as ErrorData['code'], message: e.message } };
    }
    case 'event':
      if (typeof raw.name !== 'string' || raw.name.length > 64) return null;
      return { t: 'event', name: raw.name, payload: raw.payload };
    default:
      return null;
  }
}

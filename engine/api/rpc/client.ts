import type { ErrorCode, ErrorData } from '../error-data.js';
import type { EngineEvents, EventName, MethodName, MethodParams, MethodResult } from '../contract.js';
import { MAX_PENDING_CALLS, parseRpcMessage, type Channel } from './channel.js';

/**
 * The one typed client of the engine contract, over any Channel. Used by the renderer
 * (desktop through the preload's MessagePort, browser through a WebSocket), by Electron's
 * main process, and by tests. No Node or Electron imports.
 */
export interface EngineClient {
  call<M extends MethodName>(method: M, params: MethodParams<M>): Promise<MethodResult<M>>;
  on<E extends EventName>(event: E, fn: (payload: EngineEvents[E]) => void): () => void;
  /** Called once when the connection to the engine is gone. */
  onClose(fn: () => void): () => void;
  readonly closed: boolean;
  close(): void;
}

/** A failed call, carrying the engine's `{ code, message }`. */
export class EngineCallError extends Error {
  readonly code: ErrorCode;
  constructor(data: ErrorData) {
    super(data.message);
    this.name = 'EngineCallError';
    this.code = data.code;
  }
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

export function createEngineClient(channel: Channel): EngineClient {
  let nextId = 1;
  let closed = false;
  const pending = new Map<number, Pending>();
  const listeners = new Map<string, Set<(payload: never) => void>>();
  const closeFns = new Set<() => void>();

  channel.onMessage((raw) => {
    const msg = parseRpcMessage(raw);
    if (!msg) return; // the engine side is trusted more than we are, but junk is still ignored
    if (msg.t === 'event') {
      for (const fn of listeners.get(msg.name) ?? []) {
        try {
          fn(msg.payload as never);
        } catch (err) {
          // One broken listener must not stop the others from hearing the event.
          queueMicrotask(() => {
            throw err;
          });
        }
      }
      return;
    }
    if (msg.t !== 'result' && msg.t !== 'error') return;
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.t === 'result') p.resolve(msg.value);
    else p.reject(new EngineCallError(msg.error));
  });

  channel.onClose(() => {
    if (closed) return;
    closed = true;
    for (const p of pending.values()) {
      p.reject(new EngineCallError({ code: 'SHUTTING_DOWN', message: 'The connection to the Shoal engine was closed.' }));
    }
    pending.clear();
    for (const fn of closeFns) fn();
  });

  return {
    call(method, params) {
      if (closed) {
        return Promise.reject(new EngineCallError({ code: 'SHUTTING_DOWN', message: 'The connection to the Shoal engine was closed.' }));
      }
      if (pending.size >= MAX_PENDING_CALLS) {
        return Promise.reject(new EngineCallError({ code: 'BAD_REQUEST', message: 'Too many calls in flight.' }));
      }
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        try {
          channel.send({ t: 'call', id, method, params: params ?? {} });
        } catch {
          // e.g. params that cannot be cloned or serialized: no answer will ever come.
          pending.delete(id);
          reject(new EngineCallError({ code: 'BAD_REQUEST', message: `${method}: the parameters cannot be sent.` }));
        }
      });
    },
    on(event, fn) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(fn as (payload: never) => void);
      return () => set.delete(fn as (payload: never) => void);
    },
    onClose(fn) {
      closeFns.add(fn);
      return () => closeFns.delete(fn);
    },
    get closed() {
      return closed;
    },
    close() {
      channel.close();
    },
  };
}

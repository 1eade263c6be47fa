import type { Channel, RpcMessage } from '../engine/api/rpc/channel.js';

/**
 * Small adapters from the message pipes Shoal's desktop shell meets to the RPC Channel:
 *
 * - `emitterPortChannel`: `on('message')` / `on('close')` objects: Electron's MessagePortMain
 *   and `process.parentPort` (events are `{ data, ports }`), Node's worker_threads
 *   MessagePort (events are the data itself). `unwrap` says which.
 * - `domPortChannel`: `addEventListener('message')` ports: the DOM MessagePort the preload
 *   receives (Electron adds a `close` event to it), and Node's MessagePort, which is an
 *   EventTarget too (so tests use the real thing).
 *
 * No Node or Electron imports: the preload bundle uses the DOM one.
 */

export interface EmitterPort {
  postMessage(message: unknown): void;
  on(event: 'message', fn: (ev: unknown) => void): unknown;
  on(event: 'close', fn: () => void): unknown;
  off(event: 'message', fn: (ev: unknown) => void): unknown;
  off(event: 'close', fn: () => void): unknown;
  start?(): void;
  close?(): void;
}

/** Electron MessagePortMain / parentPort deliver `{ data, ports }`. */
export const unwrapMessageEvent = (ev: unknown): unknown =>
  typeof ev === 'object' && ev !== null && 'data' in ev ? (ev as { data: unknown }).data : undefined;

/** Node worker_threads ports (used with `on`) deliver the value itself. */
export const unwrapNone = (ev: unknown): unknown => ev;

export function emitterPortChannel(port: EmitterPort, unwrap: (ev: unknown) => unknown): Channel {
  const messageFns = new Set<(msg: unknown) => void>();
  const closeFns = new Set<() => void>();
  let closed = false;

  const onMessage = (ev: unknown) => {
    if (closed) return;
    const data = unwrap(ev);
    for (const fn of messageFns) fn(data);
  };
  const end = () => {
    if (closed) return;
    closed = true;
    port.off('message', onMessage);
    port.off('close', end);
    for (const fn of [...closeFns]) fn();
    messageFns.clear();
    closeFns.clear();
  };
  port.on('message', onMessage);
  port.on('close', end);
  port.start?.();

  return {
    send(msg: RpcMessage) {
      if (closed) return;
      port.postMessage(msg);
    },
    onMessage(fn) {
      messageFns.add(fn);
      return () => messageFns.delete(fn);
    },
    onClose(fn) {
      if (closed) {
        queueMicrotask(fn);
        return () => {};
      }
      closeFns.add(fn);
      return () => closeFns.delete(fn);
    },
    close() {
      if (closed) return;
      try {
        port.close?.();
      } finally {
        end();
      }
    },
  };
}

export interface DomPort {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', fn: (ev: { data?: unknown }) => void): void;
  addEventListener(type: 'close', fn: () => void): void;
  removeEventListener(type: 'message', fn: (ev: { data?: unknown }) => void): void;
  removeEventListener(type: 'close', fn: () => void): void;
  start(): void;
  close(): void;
}

export function domPortChannel(port: DomPort): Channel {
  const messageFns = new Set<(msg: unknown) => void>();
  const closeFns = new Set<() => void>();
  let closed = false;

  const onMessage = (ev: { data?: unknown }) => {
    if (closed) return;
    for (const fn of messageFns) fn(ev.data);
  };
  const end = () => {
    if (closed) return;
    closed = true;
    port.removeEventListener('message', onMessage);
    port.removeEventListener('close', end);
    for (const fn of [...closeFns]) fn();
    messageFns.clear();
    closeFns.clear();
  };
  port.addEventListener('message', onMessage);
  port.addEventListener('close', end);
  port.start();

  return {
    send(msg) {
      if (closed) return;
      port.postMessage(msg);
    },
    onMessage(fn) {
      messageFns.add(fn);
      return () => messageFns.delete(fn);
    },
    onClose(fn) {
      if (closed) {
        queueMicrotask(fn);
        return () => {};
      }
      closeFns.add(fn);
      return () => closeFns.delete(fn);
    },
    close() {
      if (closed) return;
      try {
        port.close();
      } finally {
        end();
      }
    },
  };
}

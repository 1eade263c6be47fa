import { ChannelListeners, type Channel, type RpcMessage } from '../engine/api/rpc/channel.js';

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
  const listeners = new ChannelListeners();
  const onMessage = (ev: unknown) => listeners.deliver(unwrap(ev));
  const end = () => {
    if (listeners.closed) return;
    port.off('message', onMessage);
    port.off('close', end);
    listeners.end();
  };
  port.on('message', onMessage);
  port.on('close', end);
  port.start?.();
  return portChannel(listeners, (msg) => port.postMessage(msg), () => port.close?.(), end);
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
  const listeners = new ChannelListeners();
  const onMessage = (ev: { data?: unknown }) => listeners.deliver(ev.data);
  const end = () => {
    if (listeners.closed) return;
    port.removeEventListener('message', onMessage);
    port.removeEventListener('close', end);
    listeners.end();
  };
  port.addEventListener('message', onMessage);
  port.addEventListener('close', end);
  port.start();
  return portChannel(listeners, (msg) => port.postMessage(msg), () => port.close(), end);
}

/** The Channel both port kinds give: send while open; close() closes the port, then ends. */
function portChannel(listeners: ChannelListeners, post: (msg: RpcMessage) => void, closePort: () => void, end: () => void): Channel {
  return {
    send(msg: RpcMessage) {
      if (!listeners.closed) post(msg);
    },
    onMessage: (fn) => listeners.onMessage(fn),
    onClose: (fn) => listeners.onClose(fn),
    close() {
      if (listeners.closed) return;
      try {
        closePort();
      } finally {
        end();
      }
    },
  };
}

import { ChannelListeners, MAX_MESSAGE_BYTES, type Channel, type RpcMessage } from './channel.js';

/**
 * A Channel over a WebSocket: one JSON text frame per RpcMessage. The same code runs in the
 * browser (the Web UI, with the DOM WebSocket) and in Node (the daemon's side and tests, with
 * the `ws` package), so it imports nothing from Node and touches only what both share.
 *
 * Incoming frames are untrusted: binary frames, frames over MAX_MESSAGE_BYTES and text that
 * is not JSON are dropped here; the RPC server and client check the shape of the rest.
 */

/** The part of a WebSocket the browser's and `ws` v8's both have. */
export interface WebSocketLike {
  /** 0 CONNECTING, 1 OPEN, 2 CLOSING, 3 CLOSED (the same numbers everywhere). */
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'message', fn: (ev: { data: unknown }) => void): void;
  addEventListener(type: 'open' | 'close' | 'error', fn: (ev: unknown) => void): void;
}

const CONNECTING = 0;
const OPEN = 1;

/** How many messages may wait for the socket to open (the client allows 1000 calls in flight). */
const MAX_QUEUED = 2000;

export function webSocketChannel(ws: WebSocketLike): Channel {
  const listeners = new ChannelListeners();
  let queue: string[] = [];

  const finish = () => {
    queue = [];
    listeners.end();
  };

  ws.addEventListener('open', () => {
    const waiting = queue;
    queue = [];
    for (const text of waiting) transmit(text);
  });
  ws.addEventListener('message', (ev) => {
    if (listeners.closed) return;
    const msg = decode(ev.data);
    if (msg !== undefined) listeners.deliver(msg);
  });
  // The browser fires 'error' then 'close'; `ws` the same. Either one ends the channel.
  ws.addEventListener('close', finish);
  ws.addEventListener('error', finish);

  function transmit(text: string): void {
    if (listeners.closed || ws.readyState !== OPEN) return;
    try {
      ws.send(text);
    } catch {
      // A socket that died between the check and the send: its 'close' event follows.
    }
  }

  return {
    send(msg: RpcMessage) {
      if (listeners.closed) return;
      const text = encode(msg);
      if (text === null) return;
      if (ws.readyState === CONNECTING) {
        if (queue.length < MAX_QUEUED) queue.push(text);
        return;
      }
      transmit(text);
    },
    onMessage: (fn) => listeners.onMessage(fn),
    onClose: (fn) => listeners.onClose(fn),
    close() {
      if (listeners.closed) return;
      try {
        ws.close(1000, 'closed');
      } catch {
        // already closing
      }
      finish();
    },
  };
}

/**
 * JSON text of a message, or null when it cannot go out. The other side drops frames over
 * MAX_MESSAGE_BYTES, so an oversized answer becomes an error the caller can see instead of a
 * call that never returns; an oversized event is dropped (the UI refetches on the next one).
 */
function encode(msg: RpcMessage): string | null {
  let text: string | undefined;
  try {
    text = JSON.stringify(msg);
  } catch {
    text = undefined; // cycles, BigInt: not data
  }
  if (text !== undefined && utf8Length(text) <= MAX_MESSAGE_BYTES) return text;
  if (msg.t === 'result' || msg.t === 'error') {
    const message = text === undefined ? 'The answer cannot be sent as JSON.' : 'The answer is too large to send over this connection.';
    return JSON.stringify({ t: 'error', id: msg.id, error: { code: 'INTERNAL', message } });
  }
  // A call the server would drop: throw, as a port does for what it cannot clone, so the
  // client settles that call with an error at once.
  if (msg.t === 'call') throw new Error(`${msg.method}: the parameters are too large or not JSON`);
  return null;
}

function decode(data: unknown): unknown {
  // Binary frames arrive as Blob / ArrayBuffer (browser) or Buffer (ws); the protocol is text only.
  if (typeof data !== 'string') return undefined;
  // UTF-8 needs at least one byte per UTF-16 unit, so this cheap test only errs towards "small".
  if (data.length > MAX_MESSAGE_BYTES || (data.length * 3 > MAX_MESSAGE_BYTES && utf8Length(data) > MAX_MESSAGE_BYTES)) return undefined;
  try {
    return JSON.parse(data) as unknown;
  } catch {
    return undefined;
  }
}

function utf8Length(s: string): number {
  // Fast path for the common case (ASCII-only JSON): no encoder needed.
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

import net from 'node:net';

/**
 * Reading a peer socket into one reused buffer instead of a fresh one per read.
 *
 * Node's default read path allocates a new 64 KiB buffer for every read: a 1 GiB download
 * made 16,000 of them, and the garbage collector and the page faults of recycling that
 * memory cost as much CPU as decrypting it (measured on the 2-core dev machine: a third of
 * the receiver's time). Node's `onread` option reads into a buffer we own; the bytes are
 * valid only during the callback, so consumers copy what they keep (FrameReader does).
 *
 * Dialed sockets take `onread` directly. Accepted sockets cannot (net.Server has no such
 * option), so adoptAccepted() moves the accepted connection's handle into a new Socket
 * built with it; if this Node's internals are not what we expect it keeps the socket as
 * it is, and reads are plain 'data' events.
 */

/**
 * Bytes per read: several frames' worth, so a busy link needs few system calls (frames that
 * lie whole inside one read are decrypted straight out of it: frames.ts). Not more: a
 * download limit paces reading, and one read is the smallest step it can take (with 1 MiB,
 * a limited link moved in bursts that a pause could not stop in time).
 */
export const READ_BUFFER_BYTES = 256 * 1024;

/** Where the bytes of one read go; `view` is overwritten by the next read. */
export type ReadSink = (view: Buffer) => void;

/**
 * A buffer of the consumer's that a read may fill directly: the rest of a frame that did
 * not fit in the last read (FrameReader.directTarget). Those bytes would otherwise land in
 * the shared buffer and be copied over; a 1 GiB download copied ~40 % of its frames so.
 */
export interface ReadTarget {
  /** Where the next read should go (at most `max` bytes), or null for the shared buffer. */
  next(max: number): Buffer | null;
  /** `n` bytes were read into the buffer next() returned last. */
  landed(n: number): void;
}

/**
 * The receiving end of a socket that reads into a reused buffer. Until a sink is set the
 * bytes are re-emitted as ordinary 'data' events (copies), so code that listens for 'data'
 * (the handshake) works unchanged.
 */
export class ReadTap {
  readonly buffer = Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);
  sink: ReadSink | null = null;
  /** Set with the sink: reads that may go straight into the consumer's buffers. */
  target: ReadTarget | null = null;
  socket: net.Socket | null = null;

  readonly onread = {
    // Node asks before every read where it should go.
    buffer: (): Buffer => (this.sink && this.target?.next(READ_BUFFER_BYTES)) || this.buffer,
    callback: (n: number, into: Buffer): boolean => {
      if (into !== this.buffer) {
        this.target?.landed(n);
        return true;
      }
      const view = this.buffer.subarray(0, n);
      if (this.sink) this.sink(view);
      else this.socket?.emit('data', Buffer.from(view));
      return true;
    },
  };
}

const taps = new WeakMap<net.Socket, ReadTap>();

/**
 * Hand a socket's incoming bytes to `data`: through its tap where it has one (views of the
 * reused buffer, `transient` true; reads straight into `target`'s buffers when it offers
 * one), else as ordinary 'data' events (buffers the receiver may keep).
 */
export function deliverReads(socket: net.Socket, data: (chunk: Buffer, transient: boolean) => void, target: ReadTarget): void {
  const tap = taps.get(socket);
  if (!tap) {
    socket.on('data', (chunk: Buffer) => data(chunk, false));
    return;
  }
  tap.sink = (view) => data(view, true);
  tap.target = target;
}

/** The tap of a socket made by this module, if it has one. */
export function readTapOf(socket: net.Socket): ReadTap | undefined {
  return taps.get(socket);
}

/** net.connect with reads into a reused buffer. */
export function connectWithTap(opts: net.TcpNetConnectOpts): net.Socket {
  const tap = new ReadTap();
  const socket = net.connect({ ...opts, onread: tap.onread });
  tap.socket = socket;
  taps.set(socket, tap);
  return socket;
}

/** What adoptAccepted relies on in Node's net.Socket (private fields). */
interface SocketInternals {
  _handle?: { readStart?: unknown; getpeername?: unknown } | null;
  _server?: net.Server | null;
  server?: net.Server | null;
}

/**
 * Give an accepted socket reads into a reused buffer: its handle moves into a new Socket
 * made with `onread`. Call it at once in the 'connection' handler of a server created with
 * `pauseOnConnect: true` (nothing has been read yet). Returns the socket to use from now
 * on, still paused (resume() starts reading); the one passed in must not be used again.
 * Falls back to returning it unchanged.
 */
export function adoptAccepted(socket: net.Socket): net.Socket {
  const old = socket as unknown as SocketInternals;
  const handle = old._handle;
  if (!handle || typeof handle.readStart !== 'function' || typeof handle.getpeername !== 'function' || !old._server) {
    return socket;
  }
  const tap = new ReadTap();
  let adopted: net.Socket;
  try {
    adopted = new net.Socket({ handle, onread: tap.onread, pauseOnCreate: true } as net.SocketConstructorOpts);
  } catch {
    return socket;
  }
  // The server counts the connection once; the new socket is the one that will end it.
  const internals = adopted as unknown as SocketInternals;
  internals._server = old._server;
  internals.server = old.server ?? old._server;
  old._handle = null;
  old._server = null;
  old.server = null;
  tap.socket = adopted;
  taps.set(adopted, tap);
  return adopted; // paused, like the socket it replaces: reading starts on resume()
}

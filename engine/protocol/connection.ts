import type net from 'node:net';
import { ShoalError, isProgrammerError } from '../errors.js';
import type { ChunkSplice, FileRecord } from '../model/record.js';
import { deviceIdOf, type DeviceIdentity } from '../secrets/device.js';
import { dial } from './dial.js';
import { outgoingData } from './outgoing-data.js';
import { deliverReads } from './socket-reads.js';
import { framePool } from './frame-pool.js';
import { FrameWriter } from './frame-writer.js';
import { FrameReader } from './frame-reader.js';
import { FrameOpener, FrameSealer } from './frames.js';
import { DEFAULT_HANDSHAKE_TIMEOUT_MS, runHandshake, type HandshakeOutcome } from './handshake.js';
import { bulkAesKey } from './bulk-cipher.js';
import { checkHello, ourHello, takesAesBulk, takesChunkRuns } from './hello.js';
import { DEFAULT_IDLE_MS, DEFAULT_KEEPALIVE_MS, Keepalive } from './keepalive.js';
import { isLanAddress, normalizeAddress } from './lan.js';
import { dataHeader, dataIdOf, decodeMessage, encodeIndex, encodeMessage, type HelloMsg, type Message } from './messages.js';
import { MAX_DATA, realTimers, type RateLimiter } from './types.js';
import type { ConnectOptions, DataPlacer, MessageHandler, OutgoingData, PeerOptions } from './connection-types.js';

export type { ConnectOptions, ConnectionOptions, DataPlacer, MessageHandler, OutgoingData, PeerOptions } from './connection-types.js';

/** After we end our side, how long we keep draining the peer's bytes before a hard close. */
const LINGER_MS = 2_000;
const MB = 1024 * 1024;

/**
 * One authenticated, encrypted session with another device: Noise XX handshake, then
 * `hello` both ways, then typed messages. Messages received before `onMessage` is called
 * are held (the socket is paused), so none is lost between `connect` and the handler.
 * The connection ends exactly once; `closed` resolves with the reason (a ShoalError).
 */
export class PeerConnection {
  readonly remoteId: string;
  readonly remoteStaticKey: Buffer;
  readonly handshakeHash: Buffer;
  readonly initiator: boolean;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly isLan: boolean;
  /** Set before connect()/accept() resolve. */
  remoteHello!: HelloMsg;
  /** Our clock (opts.nowMs) when the remote hello arrived; compare with remoteHello.nowMs. */
  helloReceivedAt = 0;
  /** Frames we send are plain: both sides opted in and the peer is on a LAN. */
  plain = false;
  /** Bulk frames we send are AES-256-CTR (protocol/bulk-cipher.ts): both sides take them. */
  bulkAes = false;
  /** Requests may ask for runs of adjacent chunks (RequestMsg.count > 1): both sides take them. */
  chunkRuns = false;
  readonly closed: Promise<ShoalError>;

  private readonly socket: net.Socket;
  private readonly opts: PeerOptions;
  private readonly clock: () => number;
  private readonly reader: FrameReader;
  private readonly writer: FrameWriter;
  private resolveClosed!: (reason: ShoalError) => void;
  private reason: ShoalError | null = null;
  private handler: MessageHandler | null = null;
  private readonly sealer: FrameSealer;
  private readonly txKey: Buffer;
  private placer: DataPlacer | null = null;
  /** The request id of the answer being placed (placeData, then the reader's placed). */
  private placingId = 0;
  private helloWait: { resolve: () => void; reject: (err: ShoalError) => void } | null = null;
  private readonly holds = new Set<string>();
  private downLimiter: RateLimiter['down'];
  private readonly keepalive: Keepalive;
  private inBytes: number;
  private readonly hsOut: number;

  static async connect(opts: ConnectOptions): Promise<PeerConnection> {
    const started = Date.now();
    const timeoutMs = opts.timeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    const hwm = opts.recvBufSize ? Math.round(opts.recvBufSize * MB) : undefined;
    const socket = await dial(opts.host, opts.port, timeoutMs, hwm);
    return PeerConnection.setUp(socket, true, opts, started);
  }

  static accept(socket: net.Socket, opts: PeerOptions): Promise<PeerConnection> {
    return PeerConnection.setUp(socket, false, opts, Date.now());
  }

  private static async setUp(socket: net.Socket, initiator: boolean, opts: PeerOptions, started: number): Promise<PeerConnection> {
    // Errors are reported through the handshake and 'close'; never let one crash the process.
    socket.on('error', () => {});
    socket.setNoDelay(true);
    const timeoutMs = opts.timeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    const left = (): number => Math.max(1, timeoutMs - (Date.now() - started));
    const hs = await runHandshake(socket, { initiator, keyPair: opts.identity, timeoutMs: left() });
    const conn = new PeerConnection(socket, hs, opts);
    await conn.exchangeHello(left(), hs.rest);
    return conn;
  }

  private constructor(socket: net.Socket, hs: HandshakeOutcome, opts: PeerOptions) {
    this.socket = socket;
    this.opts = opts;
    this.clock = opts.nowMs ?? Date.now;
    this.remoteStaticKey = hs.result.remoteStaticKey;
    this.remoteId = deviceIdOf(hs.result.remoteStaticKey);
    this.handshakeHash = hs.result.handshakeHash;
    this.initiator = hs.result.initiator;
    this.remoteAddress = normalizeAddress(socket.remoteAddress ?? '');
    this.remotePort = socket.remotePort ?? 0;
    this.isLan = isLanAddress(this.remoteAddress);
    this.inBytes = hs.bytesIn;
    this.hsOut = hs.bytesOut;
    this.keepalive = new Keepalive(
      opts.timers ?? realTimers,
      opts.keepaliveMs ?? DEFAULT_KEEPALIVE_MS,
      opts.idleTimeoutMs ?? DEFAULT_IDLE_MS,
      {
        ping: () => this.writer.write([encodeMessage({ type: 'ping' })]),
        silent: (ms) => this.shutdown(new ShoalError('TIMEOUT', `No data from the peer for ${Math.round(ms / 1000)} s.`), true),
        holding: () => this.holds.size > 0,
      },
    );
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    this.downLimiter = opts.limiter?.down;

    this.reader = new FrameReader(new FrameOpener(hs.result.rxKey, takesAesBulk(opts) ? bulkAesKey(hs.result.rxKey) : null), {
      frame: (payload, authenticated) => this.onFrame(payload, authenticated),
      error: (err) => this.onReadError(err),
      place: (prefix, size) => this.placeData(prefix, size),
      mayPlace: () => this.placer !== null && this.placer.any(),
      placed: (into) => this.handler!({ type: 'data', id: this.placingId, bytes: into }),
    });
    this.sealer = new FrameSealer(hs.result.txKey);
    this.txKey = hs.result.txKey;
    this.writer = new FrameWriter(socket, this.sealer, {
      ...(opts.sendBufSize ? { highWater: Math.round(opts.sendBufSize * MB) } : {}),
      ...(opts.limiter?.up ? { limiter: opts.limiter.up } : {}),
      onError: (err) => this.shutdown(asShoalError(err, 'Upload rate limiter failed'), true),
    });

    deliverReads(socket, (chunk, transient) => this.onData(chunk, transient), {
      next: (max) => (this.reason ? null : this.reader.directTarget(max)),
      landed: (n) => this.onDirectRead(n),
    });
    socket.on('end', () => this.shutdown(new ShoalError('PEER_GONE', 'The peer closed the connection.'), false));
    socket.on('error', (err: NodeJS.ErrnoException) =>
      this.shutdown(new ShoalError('PEER_GONE', `Connection error (${err.code ?? err.message}).`, { cause: err }), false),
    );
    socket.on('close', () => this.shutdown(new ShoalError('PEER_GONE', 'The connection was lost.'), false));
  }

  get remoteName(): string {
    return this.remoteHello.deviceName;
  }

  /** Wire bytes received / sent, handshake included. */
  get bytesIn(): number {
    return this.inBytes;
  }

  get bytesOut(): number {
    return this.hsOut + this.writer.bytesOut;
  }

  get isClosed(): boolean {
    return this.reason !== null;
  }

  /**
   * Set the message handler and start delivering (held messages first). Ping and pong
   * are answered here and not delivered; an `error` is delivered, then closes the connection.
   */
  onMessage(handler: MessageHandler): void {
    this.handler = handler;
    queueMicrotask(() => {
      if (this.reason) return;
      this.unhold('handler');
      this.reader.resume();
    });
  }

  /**
   * Send one message. False = buffers are full: `await drain()` before sending more.
   * An `index` of any size is split into as many messages as needed.
   */
  send(msg: Message): boolean {
    if (msg.type === 'data') return this.sendData(msg.id, msg.bytes);
    if (msg.type === 'index') return this.sendIndex(msg.folderId, msg.records, msg.complete, msg.splices);
    if (this.reason) return false;
    return this.writer.write([encodeMessage(msg)]);
  }

  /**
   * The hot path: the header and `bytes` are copied into one bulk frame (frames.ts) and
   * sealed in place; `bytes` is the caller's again as soon as this returns.
   */
  sendData(id: number, bytes: Buffer): boolean {
    if (bytes.length > MAX_DATA) throw new RangeError(`Data of ${bytes.length} bytes exceeds ${MAX_DATA}`);
    if (this.reason) return false;
    const head = dataHeader(id);
    return this.writer.write([head, bytes], head.length);
  }

  /**
   * A `data` answer built in place: fill `payload` (exactly `size` bytes, e.g. read the
   * chunk from disk into it), then send() it - sealed where it lies, never copied - or
   * discard() it. Frames leave in the order send() is called.
   */
  prepareData(id: number, size: number): OutgoingData {
    return outgoingData(id, size, (frame, bulkPrefix) => {
      if (!this.reason) return this.writer.writeFrame(frame, bulkPrefix);
      framePool.release(frame);
      return false;
    });
  }

  /** Send an index of any size as several `index` messages (see encodeIndex). */
  sendIndex(folderId: Buffer, records: readonly FileRecord[], complete: boolean, splices?: ReadonlyArray<ChunkSplice | null>): boolean {
    if (this.reason) return false;
    let ok = true;
    for (const payload of encodeIndex(folderId, records, complete, splices)) {
      if (this.reason) return false;
      ok = this.writer.write([payload]);
    }
    return ok;
  }

  /**
   * Hand back the bytes of a received `data` message once they are used (written to
   * disk): the frame buffer they came in is reused for a later frame. Optional.
   */
  release(bytes: Buffer): void {
    framePool.release(bytes);
  }

  /** Change rate limits at any time (e.g. once the peer is known to be on the LAN). */
  setLimiter(limiter: RateLimiter | undefined): void {
    this.writer.setLimiter(limiter?.up);
    this.downLimiter = limiter?.down;
  }

  /** Resolves when sending may continue; rejects with the close reason once closed. */
  drain(): Promise<void> {
    return this.writer.drain();
  }

  /** Stop / restart delivering messages (e.g. while the consumer catches up). */
  pauseReading(): void {
    this.hold('user');
    this.reader.pause();
  }

  resumeReading(): void {
    this.unhold('user');
    if (this.handler) this.reader.resume();
  }

  /**
   * Close once; later calls do nothing. With `err`, the peer is told why (an `error`
   * message) before the connection ends, e.g. CLOCK_SKEW or SHUTTING_DOWN.
   */
  close(err?: ShoalError): void {
    if (err) this.shutdown(err, true);
    else this.shutdown(new ShoalError('PEER_GONE', 'The connection was closed.'), false);
  }

  private async exchangeHello(timeoutMs: number, rest: Buffer[]): Promise<void> {
    const got = new Promise<void>((resolve, reject) => (this.helloWait = { resolve, reject }));
    const timer = setTimeout(
      () => this.shutdown(new ShoalError('TIMEOUT', 'The peer did not say hello in time.'), true),
      timeoutMs,
    );
    try {
      this.writer.write([encodeMessage(ourHello(this.opts, this.clock()))]);
      for (const chunk of rest) this.onData(chunk, false);
      if (this.holds.size === 0 && !this.reason) this.socket.resume();
      await got;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Answers' bytes may go straight where the asker keeps them (DataPlacer): a download's
   * write extent instead of a frame buffer, saving a copy of every byte received.
   */
  setDataPlacer(placer: DataPlacer | null): void {
    this.placer = placer;
  }

  /** FrameReader's place: a bulk frame's authenticated prefix, a data answer's header. */
  private placeData(prefix: Buffer, size: number): Buffer | null {
    if (!this.placer || !this.handler || this.helloWait || this.reason) return null;
    const id = dataIdOf(prefix);
    if (id < 0) return null; // not a data answer: onFrame refuses it
    const into = this.placer.place(id, size);
    if (into) this.placingId = id;
    return into;
  }

  /** `transient`: a view of the socket's read buffer, valid only during this call. */
  private onData(chunk: Buffer, transient: boolean): void {
    if (this.reason) return; // lingering after close: discard
    this.received(chunk.length);
    this.reader.push(chunk, transient);
  }

  /** `n` bytes were read straight into the frame being gathered (FrameReader.directTarget). */
  private onDirectRead(n: number): void {
    if (this.reason) return this.reader.landedDirect(0);
    this.received(n);
    this.reader.landedDirect(n);
  }

  private received(n: number): void {
    this.inBytes += n;
    this.keepalive.heard();
    const wait = this.downLimiter?.take(n);
    if (wait) {
      this.hold('limiter');
      wait.then(
        () => this.unhold('limiter'),
        (err: unknown) => this.shutdown(asShoalError(err, 'Download rate limiter failed'), true),
      );
    }
  }

  /**
   * Runs inside the frame reader: a throw here closes the connection with that error.
   * Only the first `authenticated` bytes passed the tag: less than all of them only in a
   * bulk frame, which must be a `data` answer whose message header is exactly those bytes
   * (its chunk is checked against its hash by whoever asked for it).
   */
  private onFrame(payload: Buffer, authenticated: number): void {
    const msg = decodeMessage(payload);
    if (authenticated < payload.length && (msg.type !== 'data' || payload.length - msg.bytes.length !== authenticated)) {
      framePool.release(payload);
      throw new ShoalError('PROTOCOL_ERROR', 'A bulk frame must be a data answer with an authenticated header');
    }
    if (msg.type === 'data') {
      // The payload's buffer goes with the message; its receiver releases it.
      if (this.helloWait) throw new ShoalError('PROTOCOL_ERROR', 'Expected hello, got data');
      this.handler!(msg);
      return;
    }
    // Everything else is decoded into values of its own: the frame can be reused at once.
    framePool.release(payload);
    if (!this.helloWait && msg.type === 'hello') throw new ShoalError('PROTOCOL_ERROR', 'Unexpected second hello');
    // The peer may give up before hello (e.g. its hello timeout): take its reason.
    if (msg.type === 'error' && this.helloWait) return this.shutdown(new ShoalError(msg.code, msg.message), false);
    if (this.helloWait) {
      if (msg.type !== 'hello') throw new ShoalError('PROTOCOL_ERROR', `Expected hello, got ${msg.type}`);
      return this.onHello(msg);
    }
    switch (msg.type) {
      case 'ping':
        this.writer.write([encodeMessage({ type: 'pong' })]);
        return;
      case 'pong':
        return;
      case 'error':
        // The handler sees why the peer is leaving; then the connection ends with that reason.
        try {
          this.handler!(msg);
        } finally {
          this.shutdown(new ShoalError(msg.code, msg.message), false);
        }
        return;
      default:
        this.handler!(msg);
    }
  }

  private onHello(msg: HelloMsg): void {
    checkHello(msg, this.remoteId);
    this.remoteHello = msg;
    this.helloReceivedAt = this.clock();
    this.plain = this.opts.plainLan && msg.plainLan && this.isLan;
    this.writer.plain = this.plain;
    // Both take AES bulk frames: the bulk frames we send use it from now on.
    this.bulkAes = takesAesBulk(this.opts) && msg.bulkAes === true;
    if (this.bulkAes) this.sealer.useAesForBulk(bulkAesKey(this.txKey));
    this.chunkRuns = takesChunkRuns(this.opts) && msg.chunkRuns === true;
    // The peer may send plain frames only after reading our hello, so from here on.
    this.reader.acceptPlain = this.opts.plainLan;
    // Hold everything after hello until a handler is set.
    this.hold('handler');
    this.reader.pause();
    this.keepalive.start();
    const wait = this.helloWait!;
    this.helloWait = null;
    wait.resolve();
  }

  /**
   * Bad input ends the connection with its code. A programmer error (ours or a handler's)
   * ends it too, then is rethrown so that it surfaces instead of hiding in a close reason.
   */
  private onReadError(err: unknown): void {
    this.shutdown(asShoalError(err, 'Error while handling a message from the peer'), true);
    if (isProgrammerError(err)) throw err;
  }

  private hold(why: string): void {
    this.holds.add(why);
    this.socket.pause();
  }

  private unhold(why: string): void {
    this.holds.delete(why);
    if (this.holds.size === 0 && !this.reason) this.socket.resume();
  }

  private shutdown(reason: ShoalError, tellPeer: boolean): void {
    if (this.reason) return;
    this.reason = reason;
    this.keepalive.stop();
    this.reader.stop();
    const socket = this.socket;
    if (tellPeer && socket.writable) {
      // Queued frames first: frames carry consecutive nonces and must arrive in order.
      this.writer.flushQueue();
      this.writer.writeNow([encodeMessage({ type: 'error', code: reason.code, message: reason.message })]);
    }
    this.writer.fail(reason);
    socket.end();
    // Keep reading (and discarding) until the peer closes too: closing with unread data
    // would reset the connection and could destroy our last frame before the peer reads it.
    socket.resume();
    if (!socket.destroyed) {
      const linger = setTimeout(() => socket.destroy(), LINGER_MS);
      linger.unref();
      socket.once('close', () => clearTimeout(linger));
    }
    this.helloWait?.reject(reason);
    this.resolveClosed(reason);
  }
}

function asShoalError(err: unknown, message: string): ShoalError {
  return err instanceof ShoalError ? err : new ShoalError('INTERNAL', message, { cause: err });
}

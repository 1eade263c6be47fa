import net from 'node:net';
import { ShoalError } from '../../engine/errors.js';
import { PeerConnection, type PeerOptions } from '../../engine/protocol/connection.js';
import { FrameReader } from '../../engine/protocol/frame-reader.js';
import { FrameOpener, FrameSealer } from '../../engine/protocol/frames.js';
import { runHandshake, type HandshakeResult } from '../../engine/protocol/handshake.js';
import { decodeMessage, encodeMessage, type Message } from '../../engine/protocol/messages.js';
import { PROTOCOL_VERSION } from '../../engine/protocol/types.js';
import { generateIdentity, type DeviceIdentity } from '../../engine/secrets/device.js';

/** Helpers for the protocol tests: real sockets on 127.0.0.1 only. */

export function peerOpts(over: Partial<PeerOptions> = {}): PeerOptions {
  return {
    identity: over.identity ?? generateIdentity(),
    deviceName: 'dev',
    listenPort: 0,
    plainLan: false,
    timeoutMs: 3000,
    ...over,
  };
}

/** A listener that runs PeerConnection.accept on every socket and queues the outcomes. */
export class TestServer {
  readonly server: net.Server;
  private readonly outcomes: Array<Promise<PeerConnection>> = [];
  private waiters: Array<() => void> = [];
  port = 0;

  constructor(private readonly opts: PeerOptions) {
    this.server = net.createServer((socket) => {
      const p = PeerConnection.accept(socket, this.opts);
      p.catch(() => {}); // inspected by the test through next()
      this.outcomes.push(p);
      for (const w of this.waiters.splice(0)) w();
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  /**
   * The outcome of the next accepted connection (bounded wait), wrapped so that awaiting
   * next() does not also wait for the handshake.
   */
  async next(timeoutMs = 5000): Promise<{ outcome: Promise<PeerConnection> }> {
    const deadline = Date.now() + timeoutMs;
    while (this.outcomes.length === 0) {
      if (Date.now() > deadline) throw new Error('no connection accepted in time');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return { outcome: this.outcomes.shift()! };
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export interface Pair {
  a: PeerConnection; // dialer (initiator)
  b: PeerConnection; // acceptor
  server: TestServer;
  close(): Promise<void>;
}

export async function connectPair(aOver: Partial<PeerOptions> = {}, bOver: Partial<PeerOptions> = {}): Promise<Pair> {
  const server = await new TestServer(peerOpts(bOver)).listen();
  const aP = PeerConnection.connect({ host: '127.0.0.1', port: server.port, ...peerOpts(aOver) });
  const [a, b] = await Promise.all([aP, server.next().then((n) => n.outcome)]);
  return {
    a,
    b,
    server,
    async close() {
      a.close();
      b.close();
      await Promise.all([a.closed, b.closed]);
      await server.close();
    },
  };
}

/** Collect messages into a queue with a bounded wait for the next one. */
export class Inbox {
  private readonly items: Message[] = [];
  private wake: (() => void) | null = null;

  constructor(conn: PeerConnection) {
    conn.onMessage((m) => {
      this.items.push(m);
      this.wake?.();
    });
  }

  async next(timeoutMs = 3000): Promise<Message> {
    const deadline = Date.now() + timeoutMs;
    while (this.items.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no message in time');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = null;
    }
    return this.items.shift()!;
  }
}

/**
 * A hand-driven client: does a real handshake and hello, then lets a test write any
 * bytes or frames, and reads what the server sends back.
 */
export class RawPeer {
  readonly received: Message[] = [];
  closedError: ShoalError | null = null;
  private sealer!: FrameSealer;
  hs!: HandshakeResult;

  private constructor(readonly socket: net.Socket, readonly identity: DeviceIdentity) {}

  static async connect(port: number, identity = generateIdentity()): Promise<RawPeer> {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const peer = new RawPeer(socket, identity);
    const out = await runHandshake(socket, { initiator: true, keyPair: identity, timeoutMs: 3000 });
    peer.hs = out.result;
    peer.sealer = new FrameSealer(out.result.txKey);
    const reader = new FrameReader(new FrameOpener(out.result.rxKey), {
      frame: (p) => void peer.received.push(decodeMessage(p)),
      error: (e) => (peer.closedError = e as ShoalError),
    });
    socket.on('data', (c: Buffer) => reader.push(c));
    for (const c of out.rest) reader.push(c);
    socket.resume();
    return peer;
  }

  hello(over: Partial<Extract<Message, { type: 'hello' }>> = {}): void {
    this.frame(
      encodeMessage({
        type: 'hello',
        protocolVersion: PROTOCOL_VERSION,
        deviceId: this.identity.id,
        deviceName: 'raw',
        nowMs: Date.now(),
        listenPort: 0,
        plainLan: false,
        ...over,
      }),
    );
  }

  /** Seal one frame around `payload` and write it. */
  /** Seal and send one frame; `bulkPrefix` > 0 makes it a bulk frame (frames.ts). */
  frame(payload: Buffer, plain = false, bulkPrefix = 0): void {
    this.socket.write(Buffer.from(this.sealer.seal([payload], plain, bulkPrefix)));
  }

  /** Seal a frame and return its wire bytes (to tamper with before writing). */
  sealed(payload: Buffer, plain = false): Buffer {
    return Buffer.from(this.sealer.seal([payload], plain));
  }

  /** Resolves when the server closed the socket (bounded). */
  ended(timeoutMs = 5000): Promise<boolean> {
    if (this.socket.destroyed) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), timeoutMs);
      this.socket.once('close', () => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }
}

/** Race a promise against a time bound. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

/** Poll until `cond()` holds (bounded). */
export async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

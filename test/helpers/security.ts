import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import sodium from 'sodium-native';
import { chunkHash } from '../../engine/index/chunk-hash.js';
import type { ShoalError } from '../../engine/errors.js';
import { HASH_BYTES, SIG_BYTES, signRecord, type FileRecord } from '../../engine/model/record.js';
import { FrameReader } from '../../engine/protocol/frame-reader.js';
import { FrameOpener, FrameSealer } from '../../engine/protocol/frames.js';
import { runHandshake, type HandshakeResult } from '../../engine/protocol/handshake.js';
import { REQUEST_RUN_CODE, TYPE_CODES, decodeMessage, encodeMessage, type Message } from '../../engine/protocol/messages.js';
import { PROTOCOL_VERSION } from '../../engine/protocol/types.js';
import { generateIdentity, type DeviceIdentity } from '../../engine/secrets/device.js';
import { membershipProof, type FolderKeys } from '../../engine/secrets/secret.js';
import { Writer } from '../../engine/util/codec.js';

/**
 * Helpers for the security tests: a hand-driven peer that records every decrypted payload
 * it receives (so a test can assert on the exact bytes a device sent it), raw encoders that
 * bypass the encoder's own checks (to send what a hostile peer would), and forged records.
 * Real sockets on 127.0.0.1 only; every wait is bounded.
 */

export class SpyPeer {
  /** Every decrypted frame payload received, in order (hello included). */
  readonly payloads: Buffer[] = [];
  /** The same, decoded. */
  readonly messages: Message[] = [];
  /** A frame we could not open or decode (would mean the server sent garbage). */
  readError: ShoalError | null = null;
  hs!: HandshakeResult;
  private sealer!: FrameSealer;
  private closedFlag = false;
  private readonly wakers = new Set<() => void>();

  private constructor(readonly socket: net.Socket, readonly identity: DeviceIdentity) {
    socket.once('close', () => {
      this.closedFlag = true;
      this.wake();
    });
  }

  /** TCP connect only (for pre-handshake garbage). */
  static async tcp(port: number): Promise<net.Socket> {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('connect: not within 3000 ms')), 3000);
      socket.once('connect', () => {
        clearTimeout(t);
        resolve();
      });
      socket.once('error', (e) => {
        clearTimeout(t);
        reject(e);
      });
    });
    return socket;
  }

  /** Handshake as initiator; with `hello` (default) also say hello and wait for the server's. */
  static async connect(port: number, o: { identity?: DeviceIdentity; name?: string; hello?: boolean } = {}): Promise<SpyPeer> {
    const identity = o.identity ?? generateIdentity();
    const socket = await SpyPeer.tcp(port);
    const peer = new SpyPeer(socket, identity);
    const out = await runHandshake(socket, { initiator: true, keyPair: identity, timeoutMs: 3000 });
    peer.hs = out.result;
    peer.sealer = new FrameSealer(out.result.txKey);
    const reader = new FrameReader(new FrameOpener(out.result.rxKey), {
      frame: (p) => {
        const copy = Buffer.from(p);
        peer.payloads.push(copy);
        peer.messages.push(decodeMessage(copy));
        peer.wake();
      },
      error: (e) => {
        peer.readError = e as ShoalError;
        peer.wake();
      },
    });
    socket.on('data', (c: Buffer) => reader.push(c));
    for (const c of out.rest) reader.push(c);
    socket.resume();
    if (o.hello !== false) {
      peer.send({
        type: 'hello',
        protocolVersion: PROTOCOL_VERSION,
        deviceId: identity.id,
        deviceName: o.name ?? 'spy',
        nowMs: Date.now(),
        listenPort: 0,
        plainLan: false,
      });
      await peer.waitMessage('server hello', (m) => m.type === 'hello', 3000);
    }
    return peer;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  private wake(): void {
    for (const w of [...this.wakers]) w();
  }

  send(msg: Message): void {
    this.frame(encodeMessage(msg));
  }

  /** Seal one frame around any payload (even one the encoder would refuse). */
  frame(payload: Buffer): void {
    this.socket.write(Buffer.from(this.sealer.seal([payload], false)));
  }

  writeRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Join with a proof made from `keys` (the read key), bound to this session. */
  joinWith(keys: FolderKeys): void {
    this.send({ type: 'join', folderId: keys.folderId, proof: membershipProof(keys, this.hs.handshakeHash, true) });
  }

  /** Wait (bounded) for a message matching `pred`, searching from the first received. */
  async waitMessage(what: string, pred: (m: Message) => boolean, ms = 5000): Promise<Message> {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = this.messages.find(pred);
      if (hit) return hit;
      if (this.closedFlag) throw new Error(`${what}: connection closed first (got ${this.types().join(', ')})`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${what}: not within ${ms} ms (got ${this.types().join(', ')})`);
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(t);
          this.wakers.delete(done);
          resolve();
        };
        const t = setTimeout(done, left);
        this.wakers.add(done);
      });
    }
  }

  /** Resolves true once the server closed the socket (bounded). */
  async ended(ms = 5000): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.closedFlag && !this.socket.destroyed) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(t);
          this.wakers.delete(done);
          resolve();
        };
        const t = setTimeout(done, Math.min(left, 100));
        this.wakers.add(done);
      });
    }
    return true;
  }

  /** The last `error` message the server sent (why it closed), if any. */
  lastError(): Extract<Message, { type: 'error' }> | undefined {
    for (let i = this.messages.length - 1; i >= 0; i--) {
      const m = this.messages[i]!;
      if (m.type === 'error') return m;
    }
    return undefined;
  }

  types(): string[] {
    return this.messages.map((m) => m.type);
  }

  /** Every received payload concatenated (to search for strings that must never leak). */
  allBytes(): Buffer {
    return Buffer.concat(this.payloads);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** A `request` payload built by hand: no path or range check, as a hostile peer would send. */
export function rawRequest(folderId: Buffer, id: number, rel: string, offset: number, size: number, hash: Buffer): Buffer {
  return new Writer(128).u8(TYPE_CODES.request).raw(folderId).uint(id).str(rel).uint(offset).uint(size).raw(hash).finish();
}

/** A request for a run of `count` chunks (REQUEST_RUN_CODE), with any fields. */
export function rawRunRequest(folderId: Buffer, id: number, rel: string, offset: number, size: number, count: number, hashes: Buffer): Buffer {
  return new Writer(128 + hashes.length).u8(REQUEST_RUN_CODE).raw(folderId).uint(id).str(rel).uint(offset).uint(size).uint(count).raw(hashes).finish();
}

/** An `index` payload around already-encoded records, with any claimed count. */
export function rawIndex(folderId: Buffer, records: Buffer[], complete = false, count = records.length): Buffer {
  const w = new Writer(64 + records.reduce((n, r) => n + r.length, 0));
  w.u8(TYPE_CODES.index).raw(folderId).bool(complete).uint(count);
  for (const r of records) w.raw(r);
  return w.finish();
}

/**
 * The bytes of one record as the wire carries it, built by hand so that any field may be
 * absurd (path with `..`, a chunk count of millions, ...). `chunks` are written as given;
 * `claimChunks` may claim more than are written.
 */
export function rawRecord(o: {
  path: string;
  kind?: 0 | 1;
  size?: number;
  deleted?: boolean;
  chunks?: Array<{ hash: Buffer; size: number }>;
  claimChunks?: number;
  origin?: string;
  sig?: Buffer;
}): Buffer {
  const chunks = o.chunks ?? [];
  const w = new Writer(256 + chunks.length * 40);
  w.u8(1).str(o.path).u8(o.kind ?? 0).uint(o.size ?? chunks.reduce((n, c) => n + c.size, 0));
  w.int(Date.now()).uint(0o644).bool(o.deleted ?? false).uint(Date.now()).str(o.origin ?? 'FORGER');
  w.uint(1).str(o.origin ?? 'FORGER').uint(1_000_000);
  w.uint(o.claimChunks ?? chunks.length);
  for (const c of chunks) w.raw(c.hash).uint(c.size);
  w.raw(o.sig ?? Buffer.alloc(SIG_BYTES));
  return w.finish();
}

/** A fresh Ed25519 secret key that is not the folder's. */
export function randomSigningKey(): Buffer {
  const pk = Buffer.alloc(sodium.crypto_sign_PUBLICKEYBYTES);
  const sk = Buffer.alloc(sodium.crypto_sign_SECRETKEYBYTES);
  sodium.crypto_sign_keypair(pk, sk);
  return sk;
}

/**
 * A record for `rel` that would win against anything (huge version counter, later
 * changedAt), carrying `content` — signed with `signingKey` for `folderId`.
 */
export function forgedRecord(folderId: Buffer, signingKey: Buffer, rel: string, content: Buffer | null, origin = 'FORGERDEVICEID00000000000'): FileRecord {
  const hash = content ? chunkHash(content) : Buffer.alloc(HASH_BYTES);
  return signRecord(folderId, signingKey, {
    path: rel,
    kind: 'file',
    size: content ? content.length : 0,
    mtimeMs: Date.now(),
    mode: 0o644,
    chunks: content && content.length > 0 ? [{ hash, size: content.length }] : [],
    deleted: content === null,
    version: [[origin, 1_000_000]],
    changedAt: Date.now() + 1000,
    origin,
  });
}

/** Every path under `root` (relative, files and dirs). */
export function walk(root: string): string[] {
  const out: string[] = [];
  const go = (d: string, rel: string): void => {
    let ents: fs.Dirent[];
    try {
      ents = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of ents) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      out.push(r);
      if (e.isDirectory()) go(path.join(d, e.name), r);
    }
  };
  go(root, '');
  return out.sort();
}

/** Snapshot of a folder's user files: relative path -> content (Shoal's own names left out). */
export function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const rel of walk(dir)) {
    const first = rel.split('/')[0]!;
    if (first === '.sync' || first === '.SyncArchive' || rel.endsWith('.!sync')) continue;
    const abs = path.join(dir, rel);
    if (fs.statSync(abs).isFile()) out.set(rel, fs.readFileSync(abs).toString('base64'));
    else out.set(rel + '/', '');
  }
  return out;
}

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

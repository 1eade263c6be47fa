/**
 * The allocation-free transfer path: pooled frame buffers, frames read from a reused
 * socket buffer (transient pushes), and sockets that read into one (socket-reads.ts),
 * accepted and dialed, over real loopback connections.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { test } from 'node:test';
import { FramePool } from '../engine/protocol/frame-pool.js';
import { FrameReader } from '../engine/protocol/frame-reader.js';
import { FrameOpener, FrameSealer } from '../engine/protocol/frames.js';
import { PeerConnection, type PeerOptions } from '../engine/protocol/connection.js';
import { adoptAccepted, readTapOf } from '../engine/protocol/socket-reads.js';
import { generateIdentity } from '../engine/secrets/device.js';

test('frame pool: a released buffer is handed out again; foreign and double releases are ignored', () => {
  const pool = new FramePool();
  const a = pool.acquire(100_000);
  assert.equal(a.length, 100_000);
  pool.release(a.subarray(10, 20)); // any view of it counts
  const b = pool.acquire(120_000);
  assert.equal(b.buffer, a.buffer, 'same class, reused');
  assert.equal(pool.created, 1);
  pool.release(b);
  pool.release(b); // twice: must not put it in the idle list twice
  assert.equal(pool.idleCount, 1);
  const c = pool.acquire(120_000);
  const d = pool.acquire(120_000);
  assert.notEqual(c.buffer, d.buffer, 'a double release never gives one buffer to two users');
  pool.release(Buffer.alloc(200_000)); // not ours
  pool.release(Buffer.alloc(10));
  assert.equal(pool.idleCount, 0);
  // Small frames are not pooled; huge ones are allocated exactly.
  assert.equal(pool.acquire(100).length, 100);
  assert.equal(pool.acquire(9 * 1024 * 1024).length, 9 * 1024 * 1024);
  assert.equal(pool.created, 2);
});

test('frame reader: transient pushes (the buffer is overwritten after each push) give the same frames', () => {
  const key = randomBytes(32);
  const sealer = new FrameSealer(key);
  const payloads = [randomBytes(1), randomBytes(300_000), randomBytes(0), randomBytes(70_000), randomBytes(5), randomBytes(140_000)];
  const wire = Buffer.concat(payloads.map((p, i) => Buffer.from(sealer.seal([p], i % 3 === 1))));
  for (const step of [1, 7, 4096, 65536, 262144, wire.length]) {
    const got: Buffer[] = [];
    const kept: Buffer[] = [];
    const reader = new FrameReader(new FrameOpener(key), {
      frame: (p) => {
        kept.push(p); // kept as given: must stay valid after later reads
        got.push(Buffer.from(p));
      },
      error: (e) => assert.fail(e as Error),
    });
    reader.acceptPlain = true;
    const readBuffer = Buffer.alloc(step);
    for (let i = 0; i < wire.length; i += step) {
      const n = wire.copy(readBuffer, 0, i, Math.min(i + step, wire.length));
      reader.push(readBuffer.subarray(0, n), true);
      readBuffer.fill(0xee); // what the next read would do to it
    }
    assert.deepEqual(got, payloads, `step ${step}`);
    assert.deepEqual(kept, payloads, `step ${step}: payloads outlive the read buffer`);
    assert.equal(reader.bufferedBytes, 0);
  }
});

test('frame reader: the rest of a frame read straight into its buffer (directTarget) gives the same frames as copying it', () => {
  const key = randomBytes(32);
  const sealer = new FrameSealer(key);
  const payloads = [randomBytes(300_000), randomBytes(700_000), randomBytes(20), randomBytes(140_000)];
  const wire = Buffer.concat(payloads.map((p) => Buffer.from(sealer.seal([p], false))));
  const got: Buffer[] = [];
  const reader = new FrameReader(new FrameOpener(key), { frame: (p) => got.push(Buffer.from(p)), error: (e) => assert.fail(e as Error) });
  // What a socket with a 64 KiB shared buffer does: each read goes into the frame being
  // gathered when there is one, else into the shared buffer.
  const shared = Buffer.alloc(65_536);
  let direct = 0;
  for (let at = 0; at < wire.length; ) {
    const target = reader.directTarget(65_536);
    const into = target ?? shared;
    const n = wire.copy(into, 0, at, Math.min(at + into.length, wire.length));
    at += n;
    if (target) {
      direct += n;
      reader.landedDirect(n);
    } else {
      reader.push(shared.subarray(0, n), true);
      shared.fill(0xee);
    }
  }
  assert.deepEqual(got, payloads);
  assert.ok(direct > wire.length / 2, `most bytes went straight into their frames (${direct} of ${wire.length})`);
  assert.equal(reader.bufferedBytes, 0);
  assert.equal(reader.directTarget(65_536), null, 'no frame being gathered: the shared buffer');
});

test('frame reader: a tampered frame inside a read buffer (opened straight out of it) is refused, its payload never handed out', () => {
  const key = randomBytes(32);
  const sealer = new FrameSealer(key);
  const good = randomBytes(100_000);
  const wire = Buffer.concat([Buffer.from(sealer.seal([good], false)), Buffer.from(sealer.seal([randomBytes(100_000)], false))]);
  wire[wire.length - 5_000]! ^= 1; // inside the second frame's ciphertext
  const got: Buffer[] = [];
  const errors: unknown[] = [];
  const reader = new FrameReader(new FrameOpener(key), { frame: (p) => void got.push(Buffer.from(p)), error: (e) => void errors.push(e) });
  reader.push(Buffer.from(wire), true);
  assert.deepEqual(got, [good], 'the intact frame before it arrives, the tampered one does not');
  assert.equal(errors.length, 1);
  assert.match(String((errors[0] as Error).message), /failed authentication/);
});

test('frame reader: a transient push while paused keeps its bytes until resumed', () => {
  const key = randomBytes(32);
  const sealer = new FrameSealer(key);
  const payloads = [randomBytes(50), randomBytes(100_000)];
  const wire = Buffer.concat(payloads.map((p) => Buffer.from(sealer.seal([p], false))));
  const got: Buffer[] = [];
  const reader = new FrameReader(new FrameOpener(key), { frame: (p) => void got.push(Buffer.from(p)), error: (e) => assert.fail(e as Error) });
  reader.pause();
  const readBuffer = Buffer.from(wire);
  reader.push(readBuffer, true);
  readBuffer.fill(0);
  assert.equal(got.length, 0);
  reader.resume();
  assert.deepEqual(got, payloads);
});

function opts(): PeerOptions {
  return { identity: generateIdentity(), deviceName: 'test', listenPort: 0, plainLan: false, timeoutMs: 10_000 };
}

test('socket reads: an accepted and a dialed connection both read into a reused buffer; data arrives intact; the server closes', async () => {
  const accepted: PeerConnection[] = [];
  const server = net.createServer({ pauseOnConnect: true }, (s) => {
    const socket = adoptAccepted(s);
    assert.ok(readTapOf(socket), 'the accepted socket got a read buffer');
    void PeerConnection.accept(socket, opts()).then((c) => accepted.push(c));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  const a = await PeerConnection.connect({ host: '127.0.0.1', port, ...opts() });
  for (let i = 0; i < 100 && accepted.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  const b = accepted[0]!;
  assert.ok(b, 'accepted');
  // Frames that end in a later read go straight into their buffers: count those reads.
  let direct = 0;
  for (const c of [a, b]) {
    const tap = readTapOf((c as unknown as { socket: net.Socket }).socket)!;
    const target = tap.target!;
    tap.target = { next: (max) => target.next(max), landed: (n) => (direct++, target.landed(n)) };
  }
  // Both directions, frames larger and smaller than a read, each checked byte for byte.
  const sent = Array.from({ length: 40 }, (_, i) => randomBytes(i % 2 ? 200_000 + i * 10_000 : 1000 + i));
  const check = (receiver: PeerConnection, sender: PeerConnection): Promise<void> =>
    new Promise((resolve, reject) => {
      let n = 0;
      receiver.onMessage((m) => {
        if (m.type !== 'data') return;
        try {
          assert.deepEqual(m.bytes, sent[m.id]);
        } catch (err) {
          reject(err);
        }
        receiver.release(m.bytes);
        if (++n === sent.length) resolve();
      });
      sent.forEach((d, i) => sender.sendData(i, d));
    });
  await check(b, a);
  await check(a, b);
  assert.ok(direct > 0, 'some reads went straight into the frame being gathered');
  a.close();
  await Promise.all([a.closed, b.closed]);
  // The server's connection count went back to zero: close() completes.
  await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
});

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { test } from 'node:test';
import { ShoalError } from '../engine/errors.js';
import { signRecord } from '../engine/model/record.js';
import { BULK_AES_AVAILABLE } from '../engine/protocol/bulk-cipher.js';
import { PeerConnection } from '../engine/protocol/connection.js';
import { dataHeader, type Message } from '../engine/protocol/messages.js';
import { PROTOCOL_VERSION, type TimerLike } from '../engine/protocol/types.js';
import { generateIdentity } from '../engine/secrets/device.js';
import { generateSecret, membershipProof, parseSecret, verifyMembershipProof } from '../engine/secrets/secret.js';
import { Inbox, TestServer, connectPair, peerOpts, waitFor, within } from './helpers/protocol-pair.js';
import { relay } from './helpers/relay.js';

test('handshake + hello both ways: identities, names, hashes, clocks', async () => {
  const idA = generateIdentity();
  const idB = generateIdentity();
  const skew = 3_600_000;
  const p = await connectPair(
    { identity: idA, deviceName: 'Alice', listenPort: 4001, nowMs: () => Date.now() + skew },
    { identity: idB, deviceName: 'Bob', listenPort: 4002 },
  );
  try {
    assert.equal(p.a.remoteId, idB.id);
    assert.equal(p.b.remoteId, idA.id);
    assert.deepEqual(p.a.remoteStaticKey, idB.publicKey);
    assert.equal(p.a.remoteName, 'Bob');
    assert.equal(p.b.remoteName, 'Alice');
    assert.equal(p.a.remoteHello.listenPort, 4002);
    assert.equal(p.b.remoteHello.listenPort, 4001);
    assert.equal(p.a.remoteHello.protocolVersion, PROTOCOL_VERSION);
    assert.deepEqual(p.a.handshakeHash, p.b.handshakeHash);
    assert.equal(p.a.initiator, true);
    assert.equal(p.b.initiator, false);
    assert.equal(p.a.remoteAddress, '127.0.0.1');
    assert.ok(p.a.isLan && p.b.isLan);
    assert.ok(!p.a.plain && !p.b.plain);
    // The skew check is the engine's: it gets the peer's clock and our receive time.
    const seenSkew = p.b.remoteHello.nowMs - p.b.helloReceivedAt;
    assert.ok(Math.abs(seenSkew - skew) < 2000, `skew ${seenSkew}`);
    assert.ok(Math.abs(p.a.remoteHello.nowMs - (p.a.helloReceivedAt - skew)) < 2000);
    assert.ok(p.a.bytesOut > 0 && p.a.bytesIn > 0);
  } finally {
    await p.close();
  }
});

test('membership proofs from the handshake hash verify across the connection', async () => {
  const keys = parseSecret(generateSecret());
  const p = await connectPair();
  try {
    const inbox = new Inbox(p.b);
    p.a.onMessage(() => {});
    p.a.send({ type: 'join', folderId: keys.folderId, proof: membershipProof(keys, p.a.handshakeHash, p.a.initiator) });
    const m = await inbox.next();
    assert.ok(m.type === 'join' && verifyMembershipProof(keys, p.b.handshakeHash, !p.b.initiator, m.proof));
  } finally {
    await p.close();
  }
});

test('every message type round-trips over a real connection, both directions', async () => {
  const keys = parseSecret(generateSecret());
  const rec = signRecord(keys.folderId, keys.signingKey!, {
    path: 'docs/ré sumé.txt', kind: 'file', size: 3, mtimeMs: 1, mode: 0o755, chunks: [{ hash: randomBytes(32), size: 3 }],
    deleted: false, version: [['X', 1]], changedAt: 2, origin: 'X',
  });
  const msgs: Message[] = [
    { type: 'join', folderId: keys.folderId, proof: randomBytes(32) },
    { type: 'refuse', folderId: keys.folderId, code: 'AUTH_FAILED', message: 'not shared' },
    { type: 'index', folderId: keys.folderId, records: [rec], complete: true },
    { type: 'request', folderId: keys.folderId, id: 42, path: 'docs/ré sumé.txt', offset: 0, size: 3, count: 1, hash: rec.chunks[0]!.hash },
    { type: 'request', folderId: keys.folderId, id: 44, path: 'big.bin', offset: 4096, size: 600_000, count: 5, hash: randomBytes(5 * 32) },
    { type: 'data', id: 42, bytes: Buffer.from('abc') },
    { type: 'fail', id: 43, code: 'HASH_MISMATCH', message: 'file changed' },
  ];
  const p = await connectPair();
  try {
    const inA = new Inbox(p.a);
    const inB = new Inbox(p.b);
    for (const [from, to] of [[p.a, inB], [p.b, inA]] as const) {
      for (const m of msgs) from.send(m);
      for (const m of msgs) assert.deepEqual(await to.next(), m);
    }
    // error: delivered, then both ends close with that code.
    p.a.close(new ShoalError('CLOCK_SKEW', 'clocks differ'));
    assert.deepEqual(await inB.next(), { type: 'error', code: 'CLOCK_SKEW', message: 'clocks differ' });
    assert.equal((await within(p.b.closed, 3000, 'b closed')).code, 'CLOCK_SKEW');
    assert.equal((await p.a.closed).code, 'CLOCK_SKEW');
  } finally {
    await p.close();
  }
});

test('messages sent right after hello are held until a handler is set', async () => {
  const p = await connectPair();
  try {
    p.b.onMessage(() => {});
    for (let i = 0; i < 50; i++) p.b.send({ type: 'fail', id: i, code: 'IO_ERROR', message: 'x' });
    await new Promise((r) => setTimeout(r, 100));
    const inbox = new Inbox(p.a);
    for (let i = 0; i < 50; i++) assert.equal(((await inbox.next()) as { id: number }).id, i);
  } finally {
    await p.close();
  }
});

async function transfer(plainA: boolean, plainB: boolean, totalMiB: number, aes: [boolean, boolean] = [true, true]): Promise<{ plain: [boolean, boolean]; aes: [boolean, boolean] }> {
  const p = await connectPair({ plainLan: plainA, bulkAes: aes[0] }, { plainLan: plainB, bulkAes: aes[1] });
  try {
    const FRAME = 256 * 1024;
    const frames = (totalMiB * 1024 * 1024) / FRAME;
    const sent = createHash('sha256');
    const got = createHash('sha256');
    let received = 0;
    let nextId = 0;
    const done = new Promise<void>((resolve, reject) => {
      p.b.onMessage((m) => {
        if (m.type !== 'data') return reject(new Error(`unexpected ${m.type}`));
        if (m.id !== nextId++) return reject(new Error('out of order'));
        got.update(m.bytes);
        received += m.bytes.length;
        if (received === frames * FRAME) resolve();
      });
    });
    p.a.onMessage(() => {});
    for (let i = 0; i < frames; i++) {
      const buf = randomBytes(FRAME);
      sent.update(buf);
      if (!p.a.sendData(i, buf)) await within(p.a.drain(), 10_000, 'drain');
    }
    await within(done, 30_000, 'transfer');
    assert.equal(got.digest('hex'), sent.digest('hex'));
    assert.ok(p.b.bytesIn >= frames * FRAME);
    return { plain: [p.a.plain, p.b.plain], aes: [p.a.bulkAes, p.b.bulkAes] };
  } finally {
    await p.close();
  }
}

test('64 MiB of data frames arrive intact and in order (encrypted)', async () => {
  assert.deepEqual((await transfer(false, false, 64)).plain, [false, false]);
});

test('AES-256-CTR bulk frames only when both sides take them, ChaCha20 otherwise; data intact either way', async (t) => {
  if (!BULK_AES_AVAILABLE) return t.skip('no AES bulk frames on this device (native module or AES instructions missing)');
  assert.deepEqual((await transfer(false, false, 16)).aes, [true, true]);
  assert.deepEqual((await transfer(false, false, 4, [true, false])).aes, [false, false]);
  assert.deepEqual((await transfer(false, false, 4, [false, true])).aes, [false, false]);
  // Plain frames are not encrypted at all, whatever the bulk cipher.
  const plain = await transfer(true, true, 4);
  assert.deepEqual(plain.plain, [true, true]);
});

test('plain mode only when both sides want it; data still intact', async () => {
  assert.deepEqual((await transfer(true, false, 4)).plain, [false, false]);
  assert.deepEqual((await transfer(false, true, 4)).plain, [false, false]);
  assert.deepEqual((await transfer(true, true, 16)).plain, [true, true]);
});

/** A TCP relay between a dialer and a server that can watch or alter the a->b byte stream. */
for (const plain of [false, true]) {
  test(`${plain ? 'plain' : 'encrypted'} mode: payload ${plain ? 'is' : 'is not'} visible on the wire; a flipped bit in a message closes with PROTOCOL_ERROR`, async () => {
    const server = await new TestServer(peerOpts({ plainLan: true })).listen();
    const marker = Buffer.from('MARKER-'.repeat(100));
    // Watch only first; then flip one bit inside a frame.
    let flipAt = -1;
    const r = await relay(server.port, {
      toTarget: (c, off) => {
        if (flipAt >= off && flipAt < off + c.length) c[flipAt - off] ^= 0x04;
        return c;
      },
    });
    try {
      const a = await PeerConnection.connect({ host: '127.0.0.1', port: r.port, ...peerOpts({ plainLan: plain }) });
      const b = await (await server.next()).outcome;
      assert.equal(a.plain, plain);
      const inbox = new Inbox(b);
      a.onMessage(() => {});
      a.sendData(1, marker);
      assert.deepEqual(await inbox.next(), { type: 'data', id: 1, bytes: marker });
      assert.equal(Buffer.concat(r.seen).includes(marker), plain);

      // A chunk's bytes are checked by their hash, not by the frame's tag (frames.ts, bulk
      // frames): a bit flipped in them arrives flipped, for the chunk's owner to refuse.
      const frameAt = Buffer.concat(r.seen).length;
      const head = dataHeader(2).length;
      flipAt = frameAt + 4 + head + 200;
      a.sendData(2, marker);
      const got = await inbox.next();
      assert.equal(got.type, 'data');
      const bytes = (got as Extract<Message, { type: 'data' }>).bytes;
      assert.equal((got as { id: number }).id, 2);
      assert.equal(bytes.length, marker.length);
      assert.equal(bytes[200], marker[200]! ^ 0x04);
      assert.equal(Buffer.compare(bytes.subarray(201), marker.subarray(201)), 0);

      // Its message header is authenticated: a flipped request id ends the connection.
      flipAt = Buffer.concat(r.seen).length + 4 + head - 1;
      a.sendData(3, marker);
      const reason = await within(b.closed, 3000, 'b closed');
      assert.equal(reason.code, 'PROTOCOL_ERROR');
      // b told a why before closing.
      assert.equal((await within(a.closed, 3000, 'a closed')).code, 'PROTOCOL_ERROR');
    } finally {
      await r.close();
      await server.close();
    }
  });
}

test('a flipped bit in any message but a chunk closes with PROTOCOL_ERROR', async () => {
  const server = await new TestServer(peerOpts()).listen();
  let flipAt = -1;
  const r = await relay(server.port, {
    toTarget: (c, off) => {
      if (flipAt >= off && flipAt < off + c.length) c[flipAt - off] ^= 0x01;
      return c;
    },
  });
  try {
    const a = await PeerConnection.connect({ host: '127.0.0.1', port: r.port, ...peerOpts() });
    const b = await (await server.next()).outcome;
    new Inbox(b);
    a.onMessage(() => {});
    flipAt = Buffer.concat(r.seen).length + 4 + 20;
    a.send({ type: 'fail', id: 7, code: 'BAD_PATH', message: 'x'.repeat(100) });
    assert.equal((await within(b.closed, 3000, 'b closed')).code, 'PROTOCOL_ERROR');
  } finally {
    await r.close();
    await server.close();
  }
});

test('a different device key is a different remoteId', async () => {
  const server = await new TestServer(peerOpts()).listen();
  try {
    const ids = [generateIdentity(), generateIdentity()];
    const seen: string[] = [];
    for (const identity of ids) {
      const a = await PeerConnection.connect({ host: '127.0.0.1', port: server.port, ...peerOpts({ identity }) });
      const b = await (await server.next()).outcome;
      seen.push(b.remoteId);
      assert.equal(b.remoteId, identity.id);
      a.close();
      await b.closed;
    }
    assert.notEqual(seen[0], seen[1]);
  } finally {
    await server.close();
  }
});

/** Timers driven by the test: `advance` moves the clock and runs the interval. */
function fakeTimers(): TimerLike & { advance(ms: number): void } {
  let now = 0;
  const fns = new Map<number, { fn: () => void; every: number; next: number }>();
  let ids = 0;
  return {
    setInterval(fn, ms) {
      fns.set(++ids, { fn, every: ms, next: now + ms });
      return ids;
    },
    clearInterval(h) {
      fns.delete(h as number);
    },
    now: () => now,
    advance(ms) {
      const end = now + ms;
      for (;;) {
        const due = [...fns.values()].filter((t) => t.next <= end).sort((x, y) => x.next - y.next)[0];
        if (!due) break;
        now = due.next;
        due.next += due.every;
        due.fn();
      }
      now = end;
    },
  };
}

test('keepalive pings every 30 s and silence closes after 90 s (fake timers)', async () => {
  const ta = fakeTimers();
  const tb = fakeTimers();
  const p = await connectPair({ timers: ta }, { timers: tb });
  try {
    p.a.onMessage(() => {});
    p.b.onMessage(() => {});
    const bBefore = p.b.bytesIn;
    const aBefore = p.a.bytesIn;
    ta.advance(30_000); // a pings
    await waitFor(() => p.b.bytesIn > bBefore, 3000, 'ping reached b');
    await waitFor(() => p.a.bytesIn > aBefore, 3000, 'pong reached a');
    assert.equal(p.a.isClosed, false);
    // b answered with pong: a heard from b, so 60 s more is not silence yet.
    ta.advance(60_000);
    assert.equal(p.a.isClosed, false);
    // b hears a's pings; but a goes silent for b if only b's clock runs.
    tb.advance(89_000);
    assert.equal(p.b.isClosed, false);
    tb.advance(31_000);
    const reason = await within(p.b.closed, 1000, 'b closed');
    assert.equal(reason.code, 'TIMEOUT');
    assert.equal((await within(p.a.closed, 3000, 'a closed')).code, 'TIMEOUT');
  } finally {
    await p.close();
  }
});

test('backpressure: write() reports full and drain() waits while the peer does not read', async () => {
  const p = await connectPair({ sendBufSize: 1 }, {});
  try {
    p.b.onMessage(() => {});
    p.b.pauseReading();
    p.a.onMessage(() => {});
    const buf = randomBytes(1024 * 1024);
    let i = 0;
    let full = false;
    for (; i < 200 && !full; i++) full = !p.a.sendData(i, buf);
    assert.ok(full, 'writer reported full');
    let drained = false;
    const d = p.a.drain().then(() => (drained = true));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(drained, false);
    p.b.resumeReading();
    await within(d, 5000, 'drain');
  } finally {
    await p.close();
  }
});

test('drain() rejects with the close reason; send() after close returns false', async () => {
  const p = await connectPair({ sendBufSize: 1 });
  p.b.onMessage(() => {});
  p.b.pauseReading();
  while (p.a.sendData(0, Buffer.alloc(1024 * 1024)));
  const d = p.a.drain();
  p.a.close(new ShoalError('SHUTTING_DOWN', 'bye'));
  await assert.rejects(d, (e: unknown) => e instanceof ShoalError && e.code === 'SHUTTING_DOWN');
  assert.equal(p.a.send({ type: 'ping' }), false);
  assert.equal(p.a.sendData(1, Buffer.alloc(1)), false);
  await p.close();
});

test('rate limiter hooks: up delays frames in order, down pauses reading', async () => {
  let upBytes = 0;
  let downBytes = 0;
  const slow = (count: (n: number) => void) => ({
    take(n: number) {
      count(n);
      return new Promise<void>((r) => setTimeout(r, 2));
    },
  });
  const p = await connectPair({ limiter: { up: slow((n) => (upBytes += n)) } }, { limiter: { down: slow((n) => (downBytes += n)) } });
  try {
    const payloads = Array.from({ length: 30 }, () => randomBytes(10_000));
    const got: Buffer[] = [];
    const done = new Promise<void>((resolve) => p.b.onMessage((m) => {
      if (m.type === 'data') got.push(Buffer.from(m.bytes));
      if (got.length === payloads.length) resolve();
    }));
    p.a.onMessage(() => {});
    payloads.forEach((b, i) => p.a.sendData(i, b));
    await within(p.a.drain(), 5000, 'drain');
    await within(done, 5000, 'all data');
    assert.deepEqual(got, payloads);
    assert.ok(upBytes >= 300_000 && downBytes >= 300_000);
    // Limits can change at any time.
    p.a.setLimiter(undefined);
    assert.equal(p.a.sendData(99, Buffer.alloc(10)), true);
  } finally {
    await p.close();
  }
});

test('a handler that throws a ShoalError closes the connection with that code, and the peer is told', async () => {
  const p = await connectPair();
  try {
    p.a.onMessage(() => {});
    p.b.onMessage(() => {
      throw new ShoalError('BAD_SIGNATURE', 'record signature does not verify');
    });
    p.a.send({ type: 'fail', id: 1, code: 'IO_ERROR', message: 'x' });
    assert.equal((await within(p.b.closed, 3000, 'b closed')).code, 'BAD_SIGNATURE');
    assert.equal((await within(p.a.closed, 3000, 'a closed')).code, 'BAD_SIGNATURE');
  } finally {
    await p.close();
  }
});

test('connect failures: refused port and silent server', async () => {
  const closed = net.createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const port = (closed.address() as net.AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));
  await assert.rejects(PeerConnection.connect({ host: '127.0.0.1', port, ...peerOpts() }), (e: unknown) => e instanceof ShoalError && e.code === 'PEER_GONE');

  const held: net.Socket[] = [];
  const silent = net.createServer((s) => void held.push(s));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const t0 = Date.now();
  await assert.rejects(
    PeerConnection.connect({ host: '127.0.0.1', port: (silent.address() as net.AddressInfo).port, ...peerOpts({ timeoutMs: 300 }) }),
    (e: unknown) => e instanceof ShoalError && e.code === 'HANDSHAKE_FAILED' && /timed out/.test(e.message),
  );
  assert.ok(Date.now() - t0 < 2000);
  for (const s of held) s.destroy();
  await new Promise<void>((r) => silent.close(() => r()));
});

test('runs of chunks per request only when both sides take them (hello.chunkRuns)', async () => {
  for (const [a, b, both] of [[undefined, undefined, true], [false, undefined, false], [undefined, false, false]] as const) {
    const p = await connectPair(a === undefined ? {} : { chunkRuns: a }, b === undefined ? {} : { chunkRuns: b });
    try {
      assert.deepEqual([p.a.chunkRuns, p.b.chunkRuns], [both, both], `${a} / ${b}`);
    } finally {
      await p.close();
    }
  }
});

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { test } from 'node:test';
import { ShoalError, type ErrorCode } from '../engine/errors.js';
import { PeerConnection } from '../engine/protocol/connection.js';
import { dataHeader, encodeMessage } from '../engine/protocol/messages.js';
import { PROTOCOL_VERSION } from '../engine/protocol/types.js';
import { generateIdentity } from '../engine/secrets/device.js';
import { Writer } from '../engine/util/codec.js';
import { RawPeer, TestServer, peerOpts, within } from './helpers/protocol-pair.js';

/**
 * Hostile peers: each case must end the connection with the right code, tell the peer
 * why when it can, and never crash the process or allocate what the peer announces.
 */

async function server(): Promise<TestServer> {
  return new TestServer(peerOpts({ timeoutMs: 1500 })).listen();
}

function isCode(code: ErrorCode) {
  return (e: unknown) => e instanceof ShoalError && e.code === code;
}

/** Connect a raw peer that says hello, run `attack`, expect the server side to close with `code`. */
async function expectClose(code: ErrorCode, attack: (peer: RawPeer) => void, sayHello = true): Promise<RawPeer> {
  const srv = await server();
  try {
    const peer = await RawPeer.connect(srv.port);
    if (sayHello) peer.hello();
    const accepted = (await srv.next()).outcome;
    let conn: PeerConnection | null = null;
    if (sayHello) {
      conn = await accepted;
      conn.onMessage(() => {});
      attack(peer);
      const reason = await within(conn.closed, 3000, 'server closed');
      assert.equal(reason.code, code, reason.message);
    } else {
      attack(peer);
      await assert.rejects(within(accepted, 3000, 'accept'), isCode(code));
    }
    assert.ok(await peer.ended(3000), 'socket closed');
    return peer;
  } finally {
    await srv.close();
  }
}

test('random garbage instead of a handshake', async () => {
  for (const garbage of [randomBytes(5000), Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), Buffer.from([0, 32])]) {
    const srv = await server();
    try {
      const sock = net.connect({ host: '127.0.0.1', port: srv.port });
      sock.on('error', () => {});
      sock.write(garbage);
      if (garbage.length === 2) sock.end(); // announces a message, then hangs up
      await assert.rejects(within((await srv.next()).outcome, 3000, 'accept'), isCode('HANDSHAKE_FAILED'));
      sock.destroy();
    } finally {
      await srv.close();
    }
  }
});

test('well-formed but forged handshake messages fail authentication', async () => {
  const srv = await server();
  try {
    const sock = net.connect({ host: '127.0.0.1', port: srv.port });
    sock.on('error', () => {});
    const m1 = Buffer.concat([Buffer.from([0, 32]), randomBytes(32)]);
    const m3 = Buffer.concat([Buffer.from([0, 64]), randomBytes(64)]);
    sock.write(m1);
    sock.once('data', () => sock.write(m3)); // after the responder's message 2
    await assert.rejects(within((await srv.next()).outcome, 3000, 'accept'), (e: unknown) => isCode('HANDSHAKE_FAILED')(e) && /authenticate/.test((e as Error).message));
    sock.destroy();
  } finally {
    await srv.close();
  }
});

test('a client facing a garbage server fails the handshake', async () => {
  const held: net.Socket[] = [];
  const srv = net.createServer((s) => {
    held.push(s);
    s.on('error', () => {});
    s.write(randomBytes(200));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  await assert.rejects(
    PeerConnection.connect({ host: '127.0.0.1', port: (srv.address() as net.AddressInfo).port, ...peerOpts() }),
    isCode('HANDSHAKE_FAILED'),
  );
  for (const s of held) s.destroy();
  await new Promise<void>((r) => srv.close(() => r()));
});

test('a frame header claiming 4 GiB: FRAME_TOO_LARGE, nothing allocated, peer told', async () => {
  const before = process.memoryUsage().arrayBuffers;
  const peer = await expectClose('FRAME_TOO_LARGE', (p) => {
    p.socket.write(Buffer.from([0xff, 0xff, 0xff, 0xff]));
    p.socket.write(randomBytes(1000));
  });
  assert.ok(process.memoryUsage().arrayBuffers - before < 64 * 1024 * 1024, 'no big allocation');
  assert.equal(peer.received.at(-1)?.type, 'error');
  assert.equal((peer.received.at(-1) as { code: string }).code, 'FRAME_TOO_LARGE');
});

test('a frame just over the limit is FRAME_TOO_LARGE too', async () => {
  await expectClose('FRAME_TOO_LARGE', (p) => {
    const h = Buffer.alloc(4);
    h.writeUInt32BE(8 * 1024 * 1024 + 1024 + 16 + 1);
    p.socket.write(h);
  });
});

test('a flipped ciphertext bit, tag bit or length: PROTOCOL_ERROR', async () => {
  for (const at of [10, -1, 3]) {
    await expectClose('PROTOCOL_ERROR', (p) => {
      const f = p.sealed(Buffer.concat([dataHeader(1), randomBytes(500)]));
      const i = at < 0 ? f.length + at : at;
      f[i] ^= 0x01;
      p.socket.write(f);
      p.socket.write(randomBytes(600)); // enough bytes for a shorter/longer length to be parsed
    });
  }
});

test('a replayed frame: PROTOCOL_ERROR', async () => {
  await expectClose('PROTOCOL_ERROR', (p) => {
    const f = p.sealed(encodeMessage({ type: 'ping' }));
    p.socket.write(f);
    p.socket.write(f);
  });
});

test('a plain frame that was not negotiated: PROTOCOL_ERROR', async () => {
  await expectClose('PROTOCOL_ERROR', (p) => p.frame(encodeMessage({ type: 'ping' }), true));
});

test('a valid frame with an unknown message type: PROTOCOL_ERROR', async () => {
  await expectClose('PROTOCOL_ERROR', (p) => p.frame(Buffer.from([0xee, 1, 2, 3])));
});

test('a bulk frame that is not a data answer, or whose prefix is not exactly its data header: PROTOCOL_ERROR', async () => {
  const fail = encodeMessage({ type: 'fail', id: 1, code: 'BAD_PATH', message: 'not a chunk' });
  await expectClose('PROTOCOL_ERROR', (p) => p.frame(fail, false, 2));
  const data = Buffer.concat([dataHeader(300), randomBytes(1000)]); // header: type + 2-byte id
  await expectClose('PROTOCOL_ERROR', (p) => p.frame(data, false, 2));
  await expectClose('PROTOCOL_ERROR', (p) => p.frame(data, false, 5));
});

test('an empty frame: PROTOCOL_ERROR', async () => {
  await expectClose('PROTOCOL_ERROR', (p) => p.frame(Buffer.alloc(0)));
});

test('requests for ../x or /etc/passwd: BAD_PATH', async () => {
  for (const path of ['../x', '/etc/passwd', 'a/../../etc/passwd', 'C:\\Windows']) {
    await expectClose('BAD_PATH', (p) => {
      p.frame(new Writer().u8(5).raw(randomBytes(32)).uint(1).str(path).uint(0).uint(10).raw(randomBytes(32)).finish());
    });
  }
});

test('truncated messages: PROTOCOL_ERROR', async () => {
  const cut = (m: Buffer, n: number) => m.subarray(0, m.length - n);
  const cases = [
    cut(encodeMessage({ type: 'join', folderId: randomBytes(32), proof: randomBytes(32) }), 1),
    cut(encodeMessage({ type: 'request', folderId: randomBytes(32), id: 1, path: 'a', offset: 0, size: 1, hash: randomBytes(32) }), 5),
    cut(encodeMessage({ type: 'fail', id: 1, code: 'IO_ERROR', message: 'disk' }), 2),
    new Writer().u8(4).raw(randomBytes(32)).bool(true).uint(20_000).finish(), // count without records
    Buffer.from([6]), // data without its id
  ];
  for (const payload of cases) await expectClose('PROTOCOL_ERROR', (p) => p.frame(payload));
});

test('hello problems: truncated, wrong first message, mismatched device id, other protocol version, second hello', async () => {
  const hello = encodeMessage({ type: 'hello', protocolVersion: 1, deviceId: 'X', deviceName: 'n', nowMs: 1, listenPort: 1, plainLan: false });
  for (const first of [hello.subarray(0, 5), encodeMessage({ type: 'ping' }), hello]) {
    await expectClose('PROTOCOL_ERROR', (p) => p.frame(first), false);
  }
  await expectClose('PROTOCOL_ERROR', (p) => p.hello({ protocolVersion: PROTOCOL_VERSION - 1 }), false);
  await expectClose('PROTOCOL_ERROR', (p) => p.hello());
});

test('no hello in time: TIMEOUT', async () => {
  const srv = await server();
  try {
    const peer = await RawPeer.connect(srv.port);
    await assert.rejects(within((await srv.next()).outcome, 4000, 'accept'), isCode('TIMEOUT'));
    assert.ok(await peer.ended(3000));
    assert.equal((peer.received.at(-1) as { code: string } | undefined)?.code, 'TIMEOUT');
  } finally {
    await srv.close();
  }
});

test('a peer that hangs up mid-frame: PEER_GONE', async () => {
  await expectClose('PEER_GONE', (p) => {
    const f = p.sealed(Buffer.concat([dataHeader(1), randomBytes(100_000)]));
    p.socket.end(f.subarray(0, 50_000));
  });
});

test('a slow-drip peer sending 1-byte segments still gets through, bounded', async () => {
  const srv = await server();
  try {
    const peer = await RawPeer.connect(srv.port, generateIdentity());
    peer.hello();
    const conn = await (await srv.next()).outcome;
    const got = new Promise<Buffer>((resolve) => conn.onMessage((m) => m.type === 'data' && resolve(Buffer.from(m.bytes))));
    const payload = randomBytes(3000);
    const f = peer.sealed(Buffer.concat([dataHeader(7), payload]));
    peer.socket.setNoDelay(true);
    for (let i = 0; i < f.length; i += 1) peer.socket.write(f.subarray(i, i + 1));
    assert.deepEqual(await within(got, 5000, 'data'), payload);
    conn.close();
  } finally {
    await srv.close();
  }
});

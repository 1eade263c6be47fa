import assert from 'node:assert/strict';
import { createCipheriv, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { ShoalError } from '../engine/errors.js';
import { sameRecord, signRecord, verifyRecord, type FileRecord } from '../engine/model/record.js';
import { FrameReader } from '../engine/protocol/frame-reader.js';
import { BULK_AES_AVAILABLE, bulkAesKey } from '../engine/protocol/bulk-cipher.js';
import { FrameOpener, FrameSealer, MAX_BULK_PREFIX, frameSizeFromHeader } from '../engine/protocol/frames.js';
import { isLanAddress, normalizeAddress } from '../engine/protocol/lan.js';
import {
  MAX_RUN_CHUNKS, REQUEST_RUN_CODE, TYPE_CODES, dataHeader, decodeMessage, encodeIndex, encodeMessage, truncateUtf8, type Message,
} from '../engine/protocol/messages.js';
import { MAX_DATA, MAX_FRAME, MAX_INDEX_RECORDS } from '../engine/protocol/types.js';
import { generateSecret, parseSecret } from '../engine/secrets/secret.js';
import { Writer } from '../engine/util/codec.js';

const keys = parseSecret(generateSecret());
const folderId = keys.folderId;

function record(path: string, size = 10): FileRecord {
  return signRecord(folderId, keys.signingKey!, {
    path, kind: 'file', size, mtimeMs: 1_700_000_000_000, mode: 0o644,
    chunks: size ? [{ hash: randomBytes(32), size }] : [], deleted: false,
    version: [['DEVICEAAAAAAAAAAAAAAAAAAAA', 3]], changedAt: 1_700_000_000_123, origin: 'DEVICEAAAAAAAAAAAAAAAAAAAA',
  });
}

function samples(): Message[] {
  return [
    { type: 'hello', protocolVersion: 1, deviceId: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', deviceName: 'Zoë’s laptop', nowMs: Date.now(), listenPort: 3839, plainLan: true, bulkAes: true, chunkRuns: true },
    { type: 'join', folderId, proof: randomBytes(32) },
    { type: 'refuse', folderId, code: 'AUTH_FAILED', message: 'no' },
    { type: 'index', folderId, records: [record('a.txt'), record('dir/b é.bin', 5)], complete: true },
    { type: 'index', folderId, records: [], complete: false },
    { type: 'request', folderId, id: 7, path: 'dir/b é.bin', offset: 2 ** 40, size: MAX_DATA, count: 1, hash: randomBytes(32) },
    { type: 'request', folderId, id: 8, path: 'big.bin', offset: 4096, size: 300_000, count: 3, hash: randomBytes(96) },
    { type: 'request', folderId, id: 9, path: 'big.bin', offset: 0, size: MAX_RUN_CHUNKS, count: MAX_RUN_CHUNKS, hash: randomBytes(32 * MAX_RUN_CHUNKS) },
    { type: 'data', id: 2 ** 31, bytes: randomBytes(1000) },
    { type: 'data', id: 0, bytes: Buffer.alloc(0) },
    { type: 'fail', id: 9, code: 'HASH_MISMATCH', message: 'changed' },
    { type: 'error', code: 'CLOCK_SKEW', message: 'clocks differ by 3 h' },
    { type: 'ping' },
    { type: 'pong' },
  ];
}

test('every message type round-trips through encode/decode', () => {
  for (const m of samples()) assert.deepEqual(decodeMessage(encodeMessage(m)), m, m.type);
  const d = Buffer.concat([dataHeader(5), Buffer.from('xyz')]);
  assert.deepEqual(decodeMessage(d), { type: 'data', id: 5, bytes: Buffer.from('xyz') });
});

test('data bytes are a view of the payload, not a copy', () => {
  const payload = Buffer.concat([dataHeader(1), randomBytes(4096)]);
  const m = decodeMessage(payload);
  assert.equal(m.type, 'data');
  if (m.type === 'data') assert.equal(m.bytes.buffer, payload.buffer);
});

test('every truncation of every message is rejected with a ShoalError', () => {
  for (const m of samples()) {
    const enc = encodeMessage(m);
    const min = m.type === 'data' ? 1 + 5 : 1; // data: any length of bytes is valid once the id is complete
    for (let n = 0; n < enc.length; n++) {
      if (m.type === 'data' && n >= min) continue;
      if (m.type === 'hello' && n >= enc.length - 2) {
        // A hello without its last fields, bulkAes and chunkRuns (added later), is an older
        // peer's: valid, and it takes neither AES nor runs of chunks.
        const hello = decodeMessage(enc.subarray(0, n)) as { bulkAes?: boolean; chunkRuns?: boolean };
        assert.equal(hello.chunkRuns, false);
        assert.equal(hello.bulkAes, n === enc.length - 1);
        continue;
      }
      assert.throws(() => decodeMessage(enc.subarray(0, n)), (e: unknown) => e instanceof ShoalError && e.code === 'PROTOCOL_ERROR', `${m.type} cut at ${n}`);
    }
  }
});

test('trailing bytes are rejected (hello alone tolerates them for later versions)', () => {
  for (const m of samples()) {
    if (m.type === 'data') continue;
    const enc = Buffer.concat([encodeMessage(m), Buffer.from([0])]);
    if (m.type === 'hello') assert.equal(decodeMessage(enc).type, 'hello');
    else assert.throws(() => decodeMessage(enc), /Trailing/, m.type);
  }
});

test('unknown types, bad paths, bad ranges and absurd counts are rejected', () => {
  const isCode = (code: string) => (e: unknown) => e instanceof ShoalError && e.code === code;
  assert.throws(() => decodeMessage(Buffer.from([0xee])), isCode('PROTOCOL_ERROR'));
  assert.throws(() => decodeMessage(Buffer.alloc(0)), isCode('PROTOCOL_ERROR'));
  const request = (path: string, size = 1) =>
    new Writer().u8(5).raw(folderId).uint(1).str(path).uint(0).uint(size).raw(randomBytes(32)).finish();
  for (const p of ['../x', '/etc/passwd', 'a/../../x', 'C:/x', 'a\\b', '.SyncArchive/x', '']) {
    assert.throws(() => decodeMessage(request(p)), isCode('BAD_PATH'), p);
  }
  assert.throws(() => decodeMessage(request('ok', 0)), isCode('PROTOCOL_ERROR'));
  assert.throws(() => decodeMessage(request('ok', MAX_DATA + 1)), isCode('PROTOCOL_ERROR'));
  // Runs of chunks: 2..MAX_RUN_CHUNKS chunks, at least a byte each, a hash each.
  const run = (count: number, size: number, hashes = count) =>
    new Writer().u8(REQUEST_RUN_CODE).raw(folderId).uint(1).str('big.bin').uint(0).uint(size).uint(count).raw(randomBytes(32 * hashes)).finish();
  assert.equal(REQUEST_RUN_CODE > TYPE_CODES.pong, true, 'its own wire code');
  assert.deepEqual((decodeMessage(run(2, 2)) as { count?: number }).count, 2);
  for (const [count, size] of [[0, 10], [1, 10], [MAX_RUN_CHUNKS + 1, MAX_DATA], [1_000_000, MAX_DATA], [5, 4], [2, MAX_DATA + 1]] as const) {
    assert.throws(() => decodeMessage(run(count, size, Math.min(count, 2))), isCode('PROTOCOL_ERROR'), `${count} chunks, ${size} bytes`);
  }
  assert.throws(() => decodeMessage(run(3, 300, 2)), isCode('PROTOCOL_ERROR'), 'fewer hashes than chunks');
  assert.throws(() => decodeMessage(Buffer.concat([run(3, 300), Buffer.alloc(32)])), /Trailing/, 'more hashes than chunks');
  assert.throws(() => encodeMessage({ type: 'request', folderId, id: 1, path: 'a', offset: 0, size: 10, count: 2, hash: randomBytes(32) }), RangeError);
  assert.throws(() => encodeMessage({ type: 'request', folderId, id: 1, path: 'a', offset: 0, size: 10, count: MAX_RUN_CHUNKS + 1, hash: randomBytes(32) }), RangeError);
  const index = (n: number) => new Writer().u8(4).raw(folderId).bool(false).uint(n).finish();
  assert.throws(() => decodeMessage(index(MAX_INDEX_RECORDS + 1)), isCode('PROTOCOL_ERROR'));
  assert.throws(() => decodeMessage(index(1_000_000_000)), isCode('PROTOCOL_ERROR'));
  assert.throws(() => decodeMessage(index(3)), isCode('PROTOCOL_ERROR')); // count without the records
  const hugeData = Buffer.concat([dataHeader(1), Buffer.alloc(MAX_DATA + 1)]);
  assert.throws(() => decodeMessage(hugeData), isCode('PROTOCOL_ERROR'));
  const longName = new Writer().u8(1).uint(1).str('ID').str('n'.repeat(5000)).uint(0).uint(0).bool(false).finish();
  assert.throws(() => decodeMessage(longName), isCode('PROTOCOL_ERROR'));
  const badPort = new Writer().u8(1).uint(1).str('ID').str('n').uint(0).uint(70000).bool(false).finish();
  assert.throws(() => decodeMessage(badPort), isCode('PROTOCOL_ERROR'));
});

test('random payloads never escape as anything but a ShoalError', () => {
  for (let i = 0; i < 5000; i++) {
    const buf = randomBytes(1 + (i % 200));
    buf[0] = 1 + (i % 11);
    try {
      decodeMessage(buf);
    } catch (e) {
      assert.ok(e instanceof ShoalError, String(e));
    }
  }
});

test('codes from a newer peer degrade to INTERNAL; long texts are truncated on encode', () => {
  const enc = new Writer().u8(8).str('SOMETHING_NEW').str('hi').finish();
  assert.deepEqual(decodeMessage(enc), { type: 'error', code: 'INTERNAL', message: 'hi' });
  const m = decodeMessage(encodeMessage({ type: 'error', code: 'IO_ERROR', message: 'é'.repeat(2000) }));
  assert.ok(m.type === 'error' && Buffer.byteLength(m.message) <= 1024 && !m.message.includes('\ufffd'));
  assert.equal(truncateUtf8('aé', 2), 'a');
  assert.equal(truncateUtf8('abc', 3), 'abc');
});

test('encodeIndex splits by count and size; only the last message is complete', () => {
  const recs = Array.from({ length: MAX_INDEX_RECORDS * 2 + 5 }, (_, i) => record(`f${i}`));
  const parts = encodeIndex(folderId, recs, true);
  assert.equal(parts.length, 3);
  const decoded = parts.map((p) => decodeMessage(p));
  assert.deepEqual(decoded.map((m) => m.type === 'index' && m.complete), [false, false, true]);
  assert.equal(decoded.reduce((n, m) => n + (m.type === 'index' ? m.records.length : 0), 0), recs.length);
  assert.ok(parts.every((p) => p.length <= MAX_FRAME));
  const empty = encodeIndex(folderId, [], true);
  assert.deepEqual(decodeMessage(empty[0]!), { type: 'index', folderId, records: [], complete: true });
  // Records with many chunks: split by bytes long before the count limit.
  const big = Array.from({ length: 40 }, (_, i) => {
    const chunks = Array.from({ length: 10_000 }, () => ({ hash: randomBytes(32), size: 1 }));
    return signRecord(folderId, keys.signingKey!, { ...record(`big${i}`), size: 10_000, chunks });
  });
  const bigParts = encodeIndex(folderId, big, false);
  assert.ok(bigParts.length >= 2 && bigParts.every((p) => p.length <= MAX_FRAME));
});

test('frames: seal/open round-trip in both modes; the plain AAD is the concatenation', () => {
  const key = randomBytes(32);
  const sealer = new FrameSealer(key);
  const opener = new FrameOpener(key);
  const parts = [Buffer.from('head'), randomBytes(100_000)];
  for (const plain of [false, true, false]) {
    const wire = Buffer.from(sealer.seal(parts, plain));
    assert.equal(frameSizeFromHeader(wire.readUInt32BE(0), true), wire.length);
    assert.equal(wire.includes(parts[1]!.subarray(0, 64)), plain, 'payload visible on the wire only in plain mode');
    assert.deepEqual(opener.open(wire), Buffer.concat(parts)); // opened in place
  }
  // Several parts must authenticate exactly their concatenation.
  const s2 = new FrameSealer(key);
  const a = Buffer.from(s2.seal([Buffer.from('ab'), Buffer.from('cd')], true));
  const b = Buffer.from(new FrameSealer(key).seal([Buffer.from('abcd')], true));
  assert.deepEqual(a, b);
});

test('frames: the wire format is ChaCha20 then Poly1305 with RFC 8439 keys (tag over header + body)', () => {
  // Rebuilt here with node:crypto (OpenSSL), independently of the libsodium code that seals:
  // body = payload XOR ChaCha20 from block 1 (block 0 keys Poly1305), tag = the RFC 8439
  // AEAD tag with an empty plaintext over header + body as associated data.
  const key = randomBytes(32);
  const sealer = new FrameSealer(key);
  const reference = (counter: number, payload: Buffer, plain: boolean): Buffer => {
    const header = Buffer.alloc(4);
    header.writeUInt32BE((plain ? 0x8000_0000 : 0) + payload.length + 16, 0);
    const nonce = Buffer.alloc(12);
    nonce.writeUInt32BE(counter, 8);
    let body = payload;
    if (!plain) {
      // OpenSSL's raw chacha20 takes a 16-byte IV: the 32-bit block counter (LE), then the nonce.
      const iv = Buffer.concat([Buffer.from([1, 0, 0, 0]), nonce]);
      body = createCipheriv('chacha20', key, iv).update(payload);
    }
    const mac = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
    mac.setAAD(Buffer.concat([header, body]), { plaintextLength: 0 });
    mac.final();
    return Buffer.concat([header, body, mac.getAuthTag()]);
  };
  const payloads = [randomBytes(200_000), randomBytes(3), randomBytes(40_000), randomBytes(0), randomBytes(5), randomBytes(70_000)];
  payloads.forEach((p, i) => {
    const plain = i % 2 === 1;
    assert.deepEqual(Buffer.from(sealer.seal([p.subarray(0, 1), p.subarray(1)], plain)), reference(i, p, plain), `frame ${i}`);
  });
});

test('frames: a bulk frame is encrypted whole but tagged over its header and prefix only', () => {
  // The same reference construction as above, with the header's bulk flag (bit 30) and prefix
  // length (bits 24..28), and the tag over header + the first `prefix` bytes of the body.
  const key = randomBytes(32);
  const sealer = new FrameSealer(key);
  const opener = new FrameOpener(key);
  const reference = (counter: number, payload: Buffer, prefix: number, plain: boolean): Buffer => {
    const header = Buffer.alloc(4);
    header.writeUInt32BE((plain ? 0x8000_0000 : 0) + 0x4000_0000 + prefix * 2 ** 24 + payload.length + 16, 0);
    const nonce = Buffer.alloc(12);
    nonce.writeUInt32BE(counter, 8);
    let body = payload;
    if (!plain) body = createCipheriv('chacha20', key, Buffer.concat([Buffer.from([1, 0, 0, 0]), nonce])).update(payload);
    const mac = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
    mac.setAAD(Buffer.concat([header, body.subarray(0, prefix)]), { plaintextLength: 0 });
    mac.final();
    return Buffer.concat([header, body, mac.getAuthTag()]);
  };
  const cases: Array<[Buffer, number, boolean]> = [
    [randomBytes(131_072), 6, false],
    [randomBytes(100), MAX_BULK_PREFIX, true],
    [randomBytes(300_000), 1, false],
  ];
  cases.forEach(([payload, prefix, plain], i) => {
    const wire = Buffer.from(sealer.seal([payload], plain, prefix));
    assert.deepEqual(wire, reference(i, payload, prefix, plain), `bulk frame ${i}`);
    assert.equal(frameSizeFromHeader(wire.readUInt32BE(0), true), wire.length);
    assert.deepEqual(opener.open(wire), payload);
    assert.equal(opener.authenticated, prefix);
  });
  // A normal frame after them: all of it authenticated again.
  assert.deepEqual(opener.open(Buffer.from(sealer.seal([Buffer.from('abc')], false))), Buffer.from('abc'));
  assert.equal(opener.authenticated, 3);
  // Bytes changed past the prefix pass the tag (their owner checks them); in it, they do not.
  const wire = Buffer.from(new FrameSealer(key).seal([Buffer.from('HEADERchunk-bytes')], false, 6));
  const late = Buffer.from(wire);
  late[4 + 10]! ^= 1;
  assert.notDeepEqual(new FrameOpener(key).open(late), Buffer.from('HEADERchunk-bytes'));
  const early = Buffer.from(wire);
  early[4 + 2]! ^= 1;
  assert.throws(() => new FrameOpener(key).open(early), (e: unknown) => e instanceof ShoalError && e.code === 'PROTOCOL_ERROR');
  // Nor can a bulk frame claim no prefix, or more prefix than body, or more than 31 bytes of it.
  assert.throws(() => frameSizeFromHeader(0x4000_0000 + 100, false), (e: unknown) => e instanceof ShoalError && e.code === 'PROTOCOL_ERROR');
  assert.throws(() => frameSizeFromHeader(0x4000_0000 + 9 * 2 ** 24 + 16 + 8, false), (e: unknown) => e instanceof ShoalError && e.code === 'PROTOCOL_ERROR');
  assert.throws(() => new FrameSealer(key).seal([randomBytes(100)], false, MAX_BULK_PREFIX + 1), RangeError);
});

test('frames: AES-256-CTR bulk frames (header bit 29) match a node:crypto construction, open every way, and only where taken', (t) => {
  if (!BULK_AES_AVAILABLE) return t.skip('no AES bulk frames on this device (native module or AES instructions missing)');
  const key = randomBytes(32);
  const aesKey = bulkAesKey(key);
  assert.notDeepEqual(aesKey, key, 'a key of its own, derived from the session key');
  const sealer = new FrameSealer(key);
  sealer.useAesForBulk(aesKey);
  const reference = (counter: number, payload: Buffer, prefix: number): Buffer => {
    const header = Buffer.alloc(4);
    header.writeUInt32BE(0x4000_0000 + 0x2000_0000 + prefix * 2 ** 24 + payload.length + 16, 0);
    const nonce = Buffer.alloc(12);
    nonce.writeUInt32BE(counter, 8);
    const body = createCipheriv('aes-256-ctr', aesKey, Buffer.concat([nonce, Buffer.alloc(4)])).update(payload);
    const mac = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
    mac.setAAD(Buffer.concat([header, body.subarray(0, prefix)]), { plaintextLength: 0 });
    mac.final();
    return Buffer.concat([header, body, mac.getAuthTag()]);
  };
  const payloads = [randomBytes(131_072), randomBytes(300_001), randomBytes(70)];
  const wires = payloads.map((p) => Buffer.from(sealer.seal([p], false, 6)));
  wires.forEach((w, i) => assert.deepEqual(w, reference(i, payloads[i]!, 6), `AES bulk frame ${i}`));
  // Normal frames stay ChaCha20: the counter goes on, the AES flag is not set.
  const normal = Buffer.from(sealer.seal([Buffer.from('abc')], false));
  assert.equal(normal.readUInt32BE(0) & 0x6000_0000, 0);
  // Opened in place, out of a read buffer, and straight into a place: all the same.
  for (const how of ['open', 'openOutOf', 'openPlaced'] as const) {
    const opener = new FrameOpener(key, aesKey);
    wires.forEach((w, i) => {
      assert.equal(frameSizeFromHeader(w.readUInt32BE(0), false, true), w.length);
      const copy = Buffer.from(w);
      // The first 6 bytes are the authenticated prefix; openPlaced gives the rest, where asked.
      let got: Buffer;
      if (how === 'open') got = opener.open(copy);
      else if (how === 'openOutOf') got = opener.openOutOf(copy);
      else {
        const prefix = payloads[i]!.subarray(0, 6);
        got = Buffer.concat([prefix, opener.openPlaced(copy, (p, size) => (p.equals(prefix) ? Buffer.alloc(size) : null))!]);
      }
      assert.deepEqual(got, payloads[i], `${how} ${i}`);
    });
    assert.deepEqual(opener.open(Buffer.from(normal)), Buffer.from('abc'), `${how}: the normal frame after them`);
  }
  // A side that did not say it takes them refuses them, before anything else.
  assert.throws(() => frameSizeFromHeader(wires[0]!.readUInt32BE(0), false, false), (e: unknown) => e instanceof ShoalError && e.code === 'PROTOCOL_ERROR');
  assert.throws(() => new FrameOpener(key).open(Buffer.from(wires[0]!)), (e: unknown) => e instanceof ShoalError && e.code === 'PROTOCOL_ERROR');
  // The flag is authenticated: cleared, the frame fails its tag (no cipher switch in between).
  const flipped = Buffer.from(wires[0]!);
  flipped.writeUInt32BE(flipped.readUInt32BE(0) - 0x2000_0000, 0);
  assert.throws(() => new FrameOpener(key, aesKey).open(flipped), /failed authentication/);
});

test('frames: header limits checked before any allocation', () => {
  const isCode = (code: string) => (e: unknown) => e instanceof ShoalError && e.code === code;
  assert.throws(() => frameSizeFromHeader(0xffffffff, true), isCode('FRAME_TOO_LARGE'));
  assert.throws(() => frameSizeFromHeader(0x7fffffff, false), isCode('FRAME_TOO_LARGE'));
  assert.throws(() => frameSizeFromHeader(MAX_FRAME + 17, false), isCode('FRAME_TOO_LARGE'));
  assert.equal(frameSizeFromHeader(MAX_FRAME + 16, false), MAX_FRAME + 20);
  assert.throws(() => frameSizeFromHeader(15, false), isCode('PROTOCOL_ERROR'));
  assert.throws(() => frameSizeFromHeader(0x80000010, false), isCode('PROTOCOL_ERROR')); // plain, not negotiated
  assert.throws(() => new FrameSealer(randomBytes(32)).seal([Buffer.alloc(MAX_FRAME + 1)], false), isCode('FRAME_TOO_LARGE'));
});

test('frame reader: any chunking gives the same frames, in order', () => {
  const key = randomBytes(32);
  const sealer = new FrameSealer(key);
  const payloads = [randomBytes(1), randomBytes(70_000), randomBytes(0), randomBytes(300_000), randomBytes(5)];
  const wire = Buffer.concat(payloads.map((p, i) => Buffer.from(sealer.seal([p], i % 2 === 1))));
  for (const step of [1, 3, 4096, 65536, wire.length]) {
    const got: Buffer[] = [];
    const reader = new FrameReader(new FrameOpener(key), {
      frame: (p) => void got.push(Buffer.from(p)),
      error: (e) => assert.fail(e as Error),
    });
    reader.acceptPlain = true;
    // The reader owns what it is given (frames are opened in place): a fresh copy per run.
    const bytes = Buffer.from(wire);
    for (let i = 0; i < bytes.length; i += step) reader.push(bytes.subarray(i, i + step));
    assert.deepEqual(got, payloads, `step ${step}`);
    assert.equal(reader.bufferedBytes, 0);
  }
});

test('frame reader: a replayed or reordered frame fails authentication', () => {
  const key = randomBytes(32);
  const sealer = new FrameSealer(key);
  const f1 = Buffer.from(sealer.seal([Buffer.from('one')], false));
  const f2 = Buffer.from(sealer.seal([Buffer.from('two')], false));
  for (const order of [[f1, f1], [f2, f1]]) {
    const errors: ShoalError[] = [];
    const reader = new FrameReader(new FrameOpener(key), { frame: () => {}, error: (e) => void errors.push(e as ShoalError) });
    for (const f of order) reader.push(f);
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.code, 'PROTOCOL_ERROR');
  }
});

test('LAN address ranges', () => {
  const lan = ['127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.0.9', '169.254.1.1', '::1',
    'fc00::1', 'fd12:3456::1', 'fe80::1%eth0', 'febf::1', '::ffff:192.168.1.4'];
  const wan = ['8.8.8.8', '172.15.0.1', '172.32.0.1', '192.169.0.1', '100.64.0.1', '2001:db8::1', 'fec0::1', '::ffff:8.8.8.8', '', 'nonsense'];
  for (const a of lan) assert.equal(isLanAddress(a), true, a);
  for (const a of wan) assert.equal(isLanAddress(a), false, a);
  assert.equal(normalizeAddress('::ffff:10.0.0.1'), '10.0.0.1');
});

test('sameRecord: a decoded copy is the same record; any field or signature change is not', () => {
  const r = record('dir/x.bin', 1234);
  const copy = decodeMessage(encodeMessage({ type: 'index', folderId, records: [r], complete: true }));
  assert.equal(copy.type, 'index');
  const back = (copy as Extract<Message, { type: 'index' }>).records[0]!;
  assert.equal(sameRecord(r, back), true);
  const variants: FileRecord[] = [
    { ...back, size: 1235 },
    { ...back, mtimeMs: back.mtimeMs + 1 },
    { ...back, mode: 0o755 },
    { ...back, changedAt: back.changedAt + 1 },
    { ...back, version: [['DEVICEAAAAAAAAAAAAAAAAAAAA', 4]] },
    { ...back, chunks: [{ hash: randomBytes(32), size: 1234 }] },
    { ...back, sig: Buffer.alloc(64) },
  ];
  for (const v of variants) assert.equal(sameRecord(r, v), false);
});

test('a preview record round-trips with its flag, which is signed; previews are refused where they cannot be', () => {
  const base = { ...record('big.bin', 4000) };
  const preview = signRecord(folderId, keys.signingKey!, { ...base, preview: true } as Omit<FileRecord, 'sig'>);
  const m = decodeMessage(encodeMessage({ type: 'index', folderId, records: [preview], complete: false }));
  const back = (m as Extract<Message, { type: 'index' }>).records[0]!;
  assert.equal(back.preview, true);
  assert.equal(verifyRecord(folderId, keys.publicKey, back), true);
  // Dropping the flag breaks the signature: a preview cannot pass for a final record.
  assert.equal(verifyRecord(folderId, keys.publicKey, { ...back, preview: undefined }), false);
  assert.equal(sameRecord(back, { ...back, preview: undefined }), false);
});

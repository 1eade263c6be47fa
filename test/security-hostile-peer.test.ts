import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MAX_CHUNKS, MAX_FILE_SIZE, encodeRecord, encodeWireRecord, signRecord, type FileRecord } from '../engine/model/record.js';
import { BULK_AES_AVAILABLE } from '../engine/protocol/bulk-cipher.js';
import { frameSizeFromHeader } from '../engine/protocol/frames.js';
import type { Message } from '../engine/protocol/messages.js';
import { MAX_DATA, MAX_INDEX_RECORDS, PROTOCOL_VERSION } from '../engine/protocol/types.js';
import { generateSecret, parseSecret } from '../engine/secrets/secret.js';
import { listFiles, readIf, share, startEngine, stopAll, tempDir, waitFor, type TestEngine } from './helpers/engines.js';
import { SpyPeer, delay, rawIndex, rawRecord, rawRequest, rawRunRequest, walk } from './helpers/security.js';

/**
 * Hostile peers against a real engine's listening port (test/protocol-hostile.test.ts covers
 * the connection class alone). Each attack must end at most that one connection; afterwards
 * the engine still runs and still syncs with a legitimate peer, allocated nothing the
 * attacker announced, and wrote nothing outside its folders.
 */

type IndexMsg = Extract<Message, { type: 'index' }>;

/** A record whose chunk list is to travel as a splice (its fields are never checked that far). */
function spliceable(rel: string, kind: FileRecord['kind']): FileRecord {
  return { path: rel, kind, size: 300_000, mtimeMs: 0, mode: 0o644, chunks: [], deleted: false, version: [['FORGER', 1]], changedAt: Date.now(), origin: 'FORGER', sig: Buffer.alloc(64) };
}

describe('hostile peers against a real engine', () => {
  const root = tempDir('shoal-sec-hostile-');
  const rw = generateSecret();
  const keys = parseSecret(rw);
  const roKeys = parseSecret(keys.readOnlySecret);
  const dirA = path.join(root, 'peers', 'A');
  const dirB = path.join(root, 'peers', 'B');
  let a: TestEngine | undefined;
  let b: TestEngine | undefined;
  const helloBody = 'hello from A, chunk me';

  before(async () => {
    fs.mkdirSync(dirA, { recursive: true });
    fs.mkdirSync(dirB, { recursive: true });
    fs.writeFileSync(path.join(dirA, 'hello.txt'), helloBody);
    fs.writeFileSync(path.join(dirA, 'big.bin'), crypto.randomBytes(600 * 1024));
    a = await startEngine({ name: 'alpha', storage: path.join(root, 'storage-A') });
    b = await startEngine({ name: 'bravo', storage: path.join(root, 'storage-B') });
    await share(a, dirA, rw, [b]);
    await share(b, dirB, rw, [a]);
    await waitFor('B has the first files', () => readIf(path.join(dirB, 'big.bin'))?.length === 600 * 1024 && readIf(path.join(dirB, 'hello.txt'))?.toString() === helloBody);
  });

  after(async () => {
    await stopAll([a, b]);
    fs.rmSync(root, { recursive: true, force: true });
  });

  /** After each attack: A runs, B is still its peer, and changes flow both ways. */
  let aliveN = 0;
  async function stillSyncs(): Promise<void> {
    const n = ++aliveN;
    assert.equal(a!.engine.peers.port, a!.port, 'A still listens on its port');
    fs.writeFileSync(path.join(dirA, `alive-A-${n}.txt`), `A ${n}`);
    await waitFor(`B got alive-A-${n}`, () => readIf(path.join(dirB, `alive-A-${n}.txt`))?.toString() === `A ${n}`);
    fs.writeFileSync(path.join(dirB, `alive-B-${n}.txt`), `B ${n}`);
    await waitFor(`A got alive-B-${n}`, () => readIf(path.join(dirA, `alive-B-${n}.txt`))?.toString() === `B ${n}`);
    const peers = await a!.engine.call('getFolderPeers', { secret: rw });
    assert.deepEqual(peers.map((p) => p.id), [b!.engine.identity.id]);
    const stray = walk(root).filter((p) => /evil|passwd|shadow/.test(p));
    assert.deepEqual(stray, [], 'nothing written outside (or into) the folders by the attacker');
    assert.deepEqual(listFiles(dirA).filter((p) => !/^(alive-[AB]-\d+\.txt|hello\.txt|big\.bin)$/.test(p)), [], 'A has only its own files');
  }

  /** A member gone bad: joins with the read-only secret, waits for A's full index. */
  async function joined(name = 'mallory'): Promise<{ spy: SpyPeer; index: FileRecord[] }> {
    const spy = await SpyPeer.connect(a!.port, { name });
    spy.joinWith(roKeys);
    await spy.waitMessage('A joins back', (m) => m.type === 'join');
    await spy.waitMessage('A sends its full index', (m) => m.type === 'index' && m.complete);
    const index = spy.messages.filter((m): m is IndexMsg => m.type === 'index').flatMap((m) => m.records);
    return { spy, index };
  }

  /** Send `payload` on a fresh joined session; A must close it with one of `codes` and say so. */
  async function expectClosedBy(what: string, codes: string[], attack: (spy: SpyPeer) => void): Promise<SpyPeer> {
    const { spy } = await joined();
    try {
      const before = spy.messages.length;
      attack(spy);
      assert.ok(await spy.ended(5000), `${what}: A closed the connection`);
      const why = spy.lastError();
      assert.ok(why, `${what}: A said why`);
      assert.ok(codes.includes(why.code), `${what}: closed with ${why.code} (${why.message}), expected ${codes.join('/')}`);
      const after = spy.messages.slice(before);
      assert.ok(!after.some((m) => m.type === 'data'), `${what}: no data was sent`);
      return spy;
    } finally {
      spy.destroy();
    }
  }

  it('random garbage instead of a handshake: the socket is dropped', async () => {
    for (const garbage of [crypto.randomBytes(5000), Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), Buffer.from([0, 32, 1, 2, 3])]) {
      const sock = await SpyPeer.tcp(a!.port);
      const received: Buffer[] = [];
      sock.on('data', (d: Buffer) => received.push(d));
      const closed = new Promise<boolean>((resolve) => {
        const t = setTimeout(() => resolve(false), 5000);
        sock.once('close', () => {
          clearTimeout(t);
          resolve(true);
        });
      });
      sock.write(garbage);
      if (garbage.length === 5) sock.end();
      assert.ok(await closed, 'A dropped the connection');
      // At most A's own first handshake message (ephemeral key) was sent: never a frame.
      assert.ok(Buffer.concat(received).length <= 2 + 96, `A sent ${Buffer.concat(received).length} bytes`);
      sock.destroy();
    }
    await stillSyncs();
  });

  it('garbage after a valid handshake, and a frame header claiming 4 GiB: closed, nothing allocated', async () => {
    const memBefore = process.memoryUsage().arrayBuffers;
    for (const header of [0xffff_ffff, 0x7fff_ffff, MAX_DATA * 4]) {
      const spy = await SpyPeer.connect(a!.port);
      const h = Buffer.alloc(4);
      h.writeUInt32BE(header >>> 0);
      spy.writeRaw(h);
      spy.writeRaw(crypto.randomBytes(4096));
      assert.ok(await spy.ended(5000), `A closed after header ${header.toString(16)}`);
      assert.equal(spy.lastError()?.code, 'FRAME_TOO_LARGE');
      spy.destroy();
    }
    {
      const spy = await SpyPeer.connect(a!.port);
      let garbage = crypto.randomBytes(64 * 1024);
      // About one draw in 150 starts with a plausible header of a frame longer than what is
      // sent (up to MAX_FRAME): A then rightly waits for the rest. Send it, so that the frame's
      // tag is what fails, whatever the draw. (A takes AES bulk frames where it has AES.)
      let need = 0;
      try {
        need = frameSizeFromHeader(garbage.readUInt32BE(0), false, BULK_AES_AVAILABLE);
      } catch {
        // the header alone is refused
      }
      if (need > garbage.length) garbage = Buffer.concat([garbage, crypto.randomBytes(need - garbage.length)]);
      spy.writeRaw(garbage);
      assert.ok(await spy.ended(5000), 'A closed after random bytes in place of frames');
      assert.ok(['FRAME_TOO_LARGE', 'PROTOCOL_ERROR'].includes(spy.lastError()?.code ?? ''), spy.lastError()?.code);
      spy.destroy();
    }
    {
      // A plausible bulk frame of 300 KiB, all of it random: its tag fails once it is whole.
      const spy = await SpyPeer.connect(a!.port);
      const word = (0x4000_0000 | (5 << 24) | (300 * 1024)) >>> 0;
      const frame = crypto.randomBytes(frameSizeFromHeader(word, false));
      frame.writeUInt32BE(word, 0);
      spy.writeRaw(frame);
      assert.ok(await spy.ended(5000), 'A closed after a forged bulk frame');
      assert.equal(spy.lastError()?.code, 'PROTOCOL_ERROR');
      spy.destroy();
    }
    assert.ok(process.memoryUsage().arrayBuffers - memBefore < 64 * 1024 * 1024, 'no allocation of the announced size');
    await stillSyncs();
  });

  it('requests for paths outside the folder are refused by the decoder (BAD_PATH), no data', async () => {
    const hash = crypto.randomBytes(32);
    for (const p of ['../../etc/passwd', '/etc/passwd', 'a/../../../etc/passwd', '..', 'C:\\Windows\\win.ini', '.sync/ID', 'hello.txt/../../../../etc/shadow']) {
      await expectClosedBy(`request ${p}`, ['BAD_PATH'], (spy) => spy.frame(rawRequest(keys.folderId, 1, p, 0, 100, hash)));
    }
    await stillSyncs();
  });

  it('requests for a real file with a wrong hash, offset or size are answered with `fail`, never data', async () => {
    const { spy, index } = await joined();
    try {
      const rec = index.find((r) => r.path === 'hello.txt')!;
      const big = index.find((r) => r.path === 'big.bin')!;
      assert.ok(rec && big && rec.chunks.length === 1 && big.chunks.length >= 1);
      const c = rec.chunks[0]!;
      assert.ok(big.chunks.length >= 2, 'big.bin has chunks enough for a run');
      const runSize = big.chunks[0]!.size + big.chunks[1]!.size;
      const runHashes = Buffer.concat([big.chunks[0]!.hash, big.chunks[1]!.hash]);
      const bad: Array<[string, Buffer]> = [
        ['wrong hash', rawRequest(keys.folderId, 101, 'hello.txt', 0, c.size, crypto.randomBytes(32))],
        ['wrong offset', rawRequest(keys.folderId, 102, 'hello.txt', 1, c.size - 1, c.hash)],
        ['offset past the end', rawRequest(keys.folderId, 103, 'hello.txt', 1_000_000, c.size, c.hash)],
        ['wrong size', rawRequest(keys.folderId, 104, 'hello.txt', 0, c.size + 1, c.hash)],
        ['largest size the protocol allows', rawRequest(keys.folderId, 105, 'hello.txt', 0, MAX_DATA, c.hash)],
        ['a chunk of another file', rawRequest(keys.folderId, 106, 'hello.txt', 0, big.chunks[0]!.size, big.chunks[0]!.hash)],
        ['a file that does not exist', rawRequest(keys.folderId, 107, 'no-such-file.txt', 0, c.size, c.hash)],
        ['a folder that is not shared', rawRequest(crypto.randomBytes(32), 108, 'hello.txt', 0, c.size, c.hash)],
        // Runs of chunks: every chunk named must be the file's, in order, with the right total.
        ['a run with a wrong hash', rawRunRequest(keys.folderId, 109, 'big.bin', 0, runSize, 2, Buffer.concat([big.chunks[0]!.hash, crypto.randomBytes(32)]))],
        ['a run with hashes swapped', rawRunRequest(keys.folderId, 110, 'big.bin', 0, runSize, 2, Buffer.concat([big.chunks[1]!.hash, big.chunks[0]!.hash]))],
        ['a run with a wrong total', rawRunRequest(keys.folderId, 111, 'big.bin', 0, runSize + 1, 2, runHashes)],
        ['a run past the last chunk', rawRunRequest(keys.folderId, 112, 'big.bin', 0, big.size + 1, big.chunks.length + 1, Buffer.concat([...big.chunks.map((x) => x.hash), big.chunks[0]!.hash]))],
        ['a run not starting at a chunk', rawRunRequest(keys.folderId, 113, 'big.bin', 1, runSize, 2, runHashes)],
      ];
      for (const [, payload] of bad) spy.frame(payload);
      // Positive control on the same session: the right chunk is served.
      spy.frame(rawRequest(keys.folderId, 199, 'hello.txt', 0, c.size, c.hash));
      const ok = await spy.waitMessage('the valid request is answered', (m) => m.type === 'data' && m.id === 199);
      assert.equal((ok as Extract<Message, { type: 'data' }>).bytes.toString(), helloBody);
      // And a valid run of big.bin's first two chunks: one answer with both, as on disk.
      spy.frame(rawRunRequest(keys.folderId, 198, 'big.bin', 0, runSize, 2, runHashes));
      const run = (await spy.waitMessage('the valid run is answered', (m) => m.type === 'data' && m.id === 198)) as Extract<Message, { type: 'data' }>;
      assert.ok(run.bytes.equals(fs.readFileSync(path.join(dirA, 'big.bin')).subarray(0, runSize)), 'the run answer is the file\'s first two chunks');
      await waitFor('every bad request is answered', () => bad.every((_, i) => spy.messages.some((m) => (m.type === 'fail' || m.type === 'data') && m.id === 101 + i)), 5000);
      bad.forEach(([what], i) => {
        const answers = spy.messages.filter((m) => (m.type === 'fail' || m.type === 'data') && m.id === 101 + i);
        assert.deepEqual(answers.map((m) => m.type), ['fail'], what);
      });
      assert.ok(!spy.closed, 'a bad request is not a protocol violation');
    } finally {
      spy.destroy();
    }
    await stillSyncs();
  });

  it('requests with an absurd size or offset end the connection (PROTOCOL_ERROR), no data', async () => {
    const hash = crypto.randomBytes(32);
    for (const [size, offset] of [
      [MAX_DATA + 1, 0],
      [2 ** 40, 0],
      [2 ** 53 - 1, 0],
      [0, 0],
      [100, MAX_FILE_SIZE + 1],
      [100, 2 ** 53 - 1],
    ] as const) {
      await expectClosedBy(`request size ${size} offset ${offset}`, ['PROTOCOL_ERROR'], (spy) => spy.frame(rawRequest(keys.folderId, 5, 'hello.txt', offset, size, hash)));
    }
    await stillSyncs();
  });

  it('index messages with 20,001 records, absurd counts or sizes end the connection; nothing is applied', async () => {
    const memBefore = process.memoryUsage().arrayBuffers;
    // 20,001 well-formed, validly signed records (directories): one over the limit.
    const dirs: Buffer[] = [];
    for (let i = 0; i <= MAX_INDEX_RECORDS; i++) {
      const rec = signRecord(keys.folderId, keys.signingKey!, {
        path: `flood/d${i}`,
        kind: 'dir',
        size: 0,
        mtimeMs: 0,
        mode: 0o755,
        chunks: [],
        deleted: false,
        version: [['FLOOD', 1]],
        changedAt: Date.now(),
        origin: 'FLOOD',
      });
      dirs.push(encodeRecord(rec));
    }
    assert.equal(dirs.length, MAX_INDEX_RECORDS + 1);
    await expectClosedBy('20,001 records', ['PROTOCOL_ERROR'], (spy) => spy.frame(rawIndex(keys.folderId, dirs)));
    await expectClosedBy('a count of 2^40 with no records', ['PROTOCOL_ERROR'], (spy) => spy.frame(rawIndex(keys.folderId, [], false, 2 ** 40)));
    await expectClosedBy('a count larger than the bytes that follow', ['PROTOCOL_ERROR'], (spy) => spy.frame(rawIndex(keys.folderId, dirs.slice(0, 3), false, 5000)));
    const chunk = { hash: crypto.randomBytes(32), size: 1000 };
    const absurd: Array<[string, Buffer]> = [
      ['a record claiming more than MAX_CHUNKS chunks', rawRecord({ path: 'x.bin', claimChunks: MAX_CHUNKS + 1 })],
      ['a record claiming MAX_CHUNKS chunks with none present', rawRecord({ path: 'x.bin', size: MAX_CHUNKS * 1000, claimChunks: MAX_CHUNKS })],
      ['a record claiming 2^50 chunks', rawRecord({ path: 'x.bin', claimChunks: 2 ** 50 })],
      ['a file larger than 1 PiB', rawRecord({ path: 'x.bin', size: MAX_FILE_SIZE + 1, chunks: [chunk] })],
      ['chunks that do not add up to the size', rawRecord({ path: 'x.bin', size: 5, chunks: [chunk] })],
      ['a chunk of size 0', rawRecord({ path: 'x.bin', size: 0, chunks: [{ hash: chunk.hash, size: 0 }] })],
      ['a chunk larger than MAX_DATA', rawRecord({ path: 'x.bin', size: MAX_DATA + 1, chunks: [{ hash: chunk.hash, size: MAX_DATA + 1 }] })],
      ['a directory with chunks', rawRecord({ path: 'x', kind: 1, size: 1000, chunks: [chunk] })],
      ['an unknown kind', rawRecord({ path: 'x', kind: 7 as 0 })],
      // A big file's chunk list sent as a change (protocol/chunk-splice.ts) to a list never sent.
      ['a chunk list change with no list before it', encodeWireRecord(spliceable('x.bin', 'file'), { head: 3, tail: 0, mid: [] })],
      ['a chunk list change of a directory', encodeWireRecord(spliceable('x', 'dir'), { head: 0, tail: 0, mid: [] })],
    ];
    for (const [what, rec] of absurd) {
      await expectClosedBy(what, ['PROTOCOL_ERROR'], (spy) => spy.frame(rawIndex(keys.folderId, [rec])));
    }
    await expectClosedBy('an index for a folder not joined', ['PROTOCOL_ERROR'], (spy) => spy.frame(rawIndex(crypto.randomBytes(32), [dirs[0]!])));
    assert.ok(process.memoryUsage().arrayBuffers - memBefore < 64 * 1024 * 1024, 'no allocation of the announced sizes');
    await delay(200);
    const f = a!.engine.folders.get(keys.folderIdHex)!;
    assert.equal([...f.entries.keys()].filter((p) => p.startsWith('flood') || p === 'x' || p === 'x.bin').length, 0, 'no record of a rejected message was applied');
    assert.equal(fs.existsSync(path.join(dirA, 'flood')), false);
    await stillSyncs();
  });

  it('a message before hello, a second hello, or an unknown type: closed; A keeps running', async () => {
    {
      const spy = await SpyPeer.connect(a!.port, { hello: false });
      spy.frame(rawIndex(keys.folderId, []));
      assert.ok(await spy.ended(5000), 'closed: index before hello');
      spy.destroy();
    }
    await expectClosedBy('second hello', ['PROTOCOL_ERROR'], (spy) =>
      spy.send({ type: 'hello', protocolVersion: PROTOCOL_VERSION, deviceId: spy.identity.id, deviceName: 'again', nowMs: Date.now(), listenPort: 0, plainLan: false }),
    );
    await expectClosedBy('unknown message type', ['PROTOCOL_ERROR'], (spy) => spy.frame(Buffer.from([0xee, 1, 2, 3])));
    await expectClosedBy('trailing bytes after a message', ['PROTOCOL_ERROR'], (spy) => spy.frame(Buffer.concat([rawRequest(keys.folderId, 9, 'hello.txt', 0, 10, crypto.randomBytes(32)), Buffer.from([0])])));
    await stillSyncs();
  });
});

/**
 * Received chunks decrypted straight into their download's write extent ("placed"), with no
 * frame buffer and no copy: frames.ts FrameOpener.openPlaced, the frame reader's place
 * hook, and the assembler's placeRun / writeChunk / dropPlace over a real O_DIRECT
 * temp file, with runs of adjacent chunks answered together (model/run-writes.ts).
 * (security-tampering.test.ts drives the same path between real engines with bits flipped.)
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { chunkHash } from '../engine/index/chunk-hash.js';
import type { FileRecord } from '../engine/model/record.js';
import { FrameReader } from '../engine/protocol/frame-reader.js';
import { FrameOpener, FrameSealer } from '../engine/protocol/frames.js';
import { dataHeader, dataIdOf, decodeMessage } from '../engine/protocol/messages.js';
import { FileAssembler } from '../engine/transfer/assembler.js';
import { DIRECT_MIN_FILE } from '../engine/transfer/direct-writer.js';
import { EXTENTS_SHARED, EXTENT_BYTES } from '../engine/transfer/extent-buffers.js';
import { chunkVerifier } from '../engine/model/chunk-verifier.js';
import { dropRun, writeRun } from '../engine/model/run-writes.js';

// Chunks received into their extents are verified on the verify thread only with a core to
// spare (assembler.ts verifyBehind); here that path is tested whatever the machine.
process.env.SHOAL_VERIFY_BEHIND = '1';

const made: string[] = [];
after(() => Promise.all(made.map((d) => fs.rm(d, { recursive: true, force: true }))));
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** A `data` answer to request `id` as the sender builds it: a bulk frame tagged over its header. */
function dataFrame(sealer: FrameSealer, id: number, bytes: Buffer): Buffer {
  const head = dataHeader(id);
  return Buffer.from(sealer.seal([head, bytes], false, head.length));
}

test('data prefixes: the request id of exactly a data header, else -1', () => {
  for (const id of [0, 1, 127, 128, 300_000, 0x7fffffff]) assert.equal(dataIdOf(dataHeader(id)), id);
  assert.equal(dataIdOf(Buffer.from([6])), -1, 'no id');
  assert.equal(dataIdOf(Buffer.from([5, 1])), -1, 'not a data message');
  assert.equal(dataIdOf(Buffer.from([6, 0x81])), -1, 'id cut short');
  assert.equal(dataIdOf(Buffer.from([6, 1, 0])), -1, 'bytes after the id');
});

test('frame reader: data answers land in the places given for them, in any read pattern; the rest arrive as frames', () => {
  const key = randomBytes(32);
  const sealer = new FrameSealer(key);
  // Requests 1-4 have places (2 is turned down), 5 has none; a normal message and a tiny answer between.
  const answers = new Map<number, Buffer>([
    [1, randomBytes(300_000)],
    [2, randomBytes(140_000)],
    [3, randomBytes(65)], // just over one ChaCha20 block after its prefix
    [4, randomBytes(523_000)],
    [5, randomBytes(70_000)],
    [6, randomBytes(10)], // too short to be placed
  ]);
  const other = randomBytes(5_000);
  const wire = Buffer.concat([
    dataFrame(sealer, 1, answers.get(1)!),
    Buffer.from(sealer.seal([other], false)),
    dataFrame(sealer, 2, answers.get(2)!),
    dataFrame(sealer, 3, answers.get(3)!),
    dataFrame(sealer, 6, answers.get(6)!),
    dataFrame(sealer, 4, answers.get(4)!),
    dataFrame(sealer, 5, answers.get(5)!),
  ]);
  for (const step of [1, 7, 4096, 65_536, 262_144, wire.length]) {
    const places = new Map<number, Buffer>();
    const asked: number[] = [];
    const placed: Buffer[] = [];
    const frames: Buffer[] = [];
    let placingId = -1;
    const reader = new FrameReader(new FrameOpener(key), {
      frame: (p) => frames.push(Buffer.from(p)),
      error: (e) => assert.fail(e as Error),
      place: (prefix, size) => {
        const id = dataIdOf(prefix);
        asked.push(id);
        if (id === 2 || id === 5) return null;
        assert.equal(size, answers.get(id)!.length, 'the place is asked for the chunk length');
        placingId = id;
        const into = Buffer.alloc(size);
        places.set(id, into);
        return into;
      },
      placed: (into) => {
        assert.equal(into, places.get(placingId), 'the bytes are in the place given');
        placed.push(into);
      },
    });
    // A socket that reads into the frame being gathered when there is one (socket-reads.ts).
    const shared = Buffer.alloc(step);
    for (let at = 0; at < wire.length; ) {
      const target = reader.directTarget(step);
      const into = target ?? shared;
      const n = wire.copy(into, 0, at, Math.min(at + into.length, wire.length));
      at += n;
      if (target) reader.landedDirect(n);
      else {
        reader.push(shared.subarray(0, n), true);
        shared.fill(0xee);
      }
    }
    assert.deepEqual(asked, [1, 2, 3, 4, 5], `step ${step}: asked for every answer of a block or more, in order`);
    assert.deepEqual(placed, [answers.get(1), answers.get(3), answers.get(4)], `step ${step}: placed answers are exact`);
    assert.equal(frames.length, 4, `step ${step}: the others arrive as frames`);
    assert.deepEqual(frames[0], other);
    const decoded = frames.map((f, i) => (i === 0 ? null : decodeMessage(f)));
    for (const [i, id] of [[1, 2], [2, 6], [3, 5]] as const) {
      const m = decoded[i]!;
      assert.ok(m.type === 'data' && m.id === id && m.bytes.equals(answers.get(id)!), `step ${step}: answer ${id} as a frame`);
    }
    assert.equal(reader.bufferedBytes, 0);
  }
});

test('frame reader: a changed prefix fails authentication before anything is placed; changed chunk bytes are placed as they came (their hash refuses them)', () => {
  const key = randomBytes(32);
  for (const where of ['prefix', 'chunk'] as const) {
    const sealer = new FrameSealer(key);
    const chunk = randomBytes(200_000);
    const wire = dataFrame(sealer, 9, chunk);
    wire[where === 'prefix' ? 5 : 100_000]! ^= 1;
    const placed: Buffer[] = [];
    const errors: unknown[] = [];
    let asked = 0;
    const reader = new FrameReader(new FrameOpener(key), {
      frame: () => assert.fail('no frame'),
      error: (e) => void errors.push(e),
      place: (_prefix, size) => {
        asked++;
        return Buffer.alloc(size);
      },
      placed: (into) => void placed.push(into),
    });
    reader.push(wire, true);
    if (where === 'prefix') {
      assert.equal(asked, 0, 'an unauthenticated prefix is never shown to place');
      assert.equal(errors.length, 1);
      assert.match(String((errors[0] as Error).message), /failed authentication/);
    } else {
      assert.deepEqual(errors, []);
      assert.equal(placed.length, 1);
      assert.ok(!placed[0]!.equals(chunk), 'the changed byte is there');
      assert.notDeepEqual(chunkHash(placed[0]!), chunkHash(chunk), 'and the chunk hash tells');
    }
  }
});

/** A record for `data` cut into pieces of the sizes given, cycling. */
function recordOf(data: Buffer, sizes: number[]): { record: FileRecord; offsets: number[] } {
  const chunks: FileRecord['chunks'] = [];
  const offsets: number[] = [];
  for (let at = 0, i = 0; at < data.length; i++) {
    const len = Math.min(data.length - at, sizes[i % sizes.length]!);
    offsets.push(at);
    chunks.push({ hash: chunkHash(data.subarray(at, at + len)), size: len });
    at += len;
  }
  const record: FileRecord = {
    path: 'big/placed.bin', kind: 'file', size: data.length, mtimeMs: 1_700_000_000_000, mode: 0o644, chunks, deleted: false,
    version: [['dev', 1]], changedAt: 1, origin: 'dev', sig: Buffer.alloc(64),
  };
  return { record, offsets };
}

test('assembler: chunks received into their places, wrong ones refused and placed again, duplicates ignored; the file is exact', async (t) => {
  if (process.platform !== 'linux') return t.skip('O_DIRECT extents (and so places) exist on Linux only');
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'shoal-placed-'));
  made.push(root);
  const data = randomBytes(DIRECT_MIN_FILE + 2 * EXTENT_BYTES + 999);
  const { record, offsets } = recordOf(data, [131_072, 700_000, 33_333, 512 * 1024]);
  const bytesOf = (i: number): Buffer => data.subarray(offsets[i]!, offsets[i]! + record.chunks[i]!.size);
  const asm = await FileAssembler.open(root, record);
  let placedCount = 0;
  let acrossExtents = 0;
  for (let i = 0; i < record.chunks.length; i++) {
    const size = record.chunks[i]!.size;
    const place = asm.placeRun(i, 1, size);
    if (!place) {
      // Only a chunk that crosses into the next extent has no place; it is written as before.
      const k = Math.floor(offsets[i]! / EXTENT_BYTES);
      assert.notEqual(Math.floor((offsets[i]! + size - 1) / EXTENT_BYTES), k, `chunk ${i} has a place unless it crosses extents`);
      acrossExtents++;
      await asm.writeChunk(i, Buffer.from(bytesOf(i)));
      continue;
    }
    assert.equal(place.length, size);
    assert.equal(asm.placeRun(i, 1, size), null, 'one place per chunk at a time');
    if (i % 7 === 3) {
      // Wrong bytes: refused, and the chunk is missing again (its place free to be given again).
      place.fill(0xab);
      await assert.rejects(asm.writeChunk(i, place), { code: 'HASH_MISMATCH' });
      assert.ok(asm.missing().includes(i));
      const again = asm.placeRun(i, 1, size)!;
      bytesOf(i).copy(again);
      await asm.writeChunk(i, again);
    } else if (i % 7 === 5) {
      // The download failed before its bytes came: the place is dropped, then a normal write.
      asm.dropPlace(i, place);
      assert.ok(asm.missing().includes(i));
      await asm.writeChunk(i, Buffer.from(bytesOf(i)));
    } else {
      bytesOf(i).copy(place);
      // Another peer's copy of a chunk being placed is ignored, whatever its bytes.
      await asm.writeChunk(i, Buffer.alloc(size, 1));
      await asm.writeChunk(i, place);
    }
    if (asm.isPresent(i)) placedCount++;
  }
  assert.ok(asm.complete);
  assert.ok(acrossExtents >= 1 && placedCount > record.chunks.length / 2, `${placedCount} placed, ${acrossExtents} across extents`);
  if (EXTENTS_SHARED) assert.ok(chunkVerifier.checkedOnWorker > 0, 'placed chunks were verified on the worker thread, in their extents');
  await asm.finalize({ archive: null, expectOld: null });
  const back = await fs.readFile(path.join(root, 'big/placed.bin'));
  assert.equal(sha(back), sha(data));
});

test('assembler: a download stopped while placed chunks wait for the rest of their extent fails them at once; nothing hangs', async (t) => {
  if (process.platform !== 'linux') return t.skip('O_DIRECT extents (and so places) exist on Linux only');
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'shoal-placed-'));
  made.push(root);
  const data = randomBytes(DIRECT_MIN_FILE + 999);
  const { record, offsets } = recordOf(data, [131_072]);
  const asm = await FileAssembler.open(root, record);
  // Two chunks of the first extent arrive; the other thirty never will.
  const writes = [0, 1].map((i) => {
    const place = asm.placeRun(i, 1, record.chunks[i]!.size)!;
    data.copy(place, 0, offsets[i]!, offsets[i]! + record.chunks[i]!.size);
    return asm.writeChunk(i, place).then(
      () => 'written',
      (err: { code?: string }) => err.code ?? 'error',
    );
  });
  await asm.abort({ keepTemp: false });
  const outcomes = await Promise.all(writes);
  for (const o of outcomes) assert.ok(o === 'written' || o === 'INTERNAL', `settled: ${o}`);
  await assert.rejects(fs.stat(asm.tempAbs), { code: 'ENOENT' }, 'the temp file is gone');
});

test('assembler: a run of adjacent chunks received into one place; a wrong chunk in it fails alone, a dropped run is missing again; the file is exact', async (t) => {
  if (process.platform !== 'linux') return t.skip('O_DIRECT extents (and so places) exist on Linux only');
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'shoal-placed-'));
  made.push(root);
  const data = randomBytes(DIRECT_MIN_FILE + 999);
  const { record, offsets } = recordOf(data, [131_072]); // 32 chunks per 4 MiB extent
  const chunks = record.chunks;
  const runOf = (first: number, count: number): Buffer => data.subarray(offsets[first]!, offsets[first + count - 1]! + chunks[first + count - 1]!.size);
  const asm = await FileAssembler.open(root, record);

  // Chunks 0-7 in one place: the chunks' own places, one after another.
  const place = asm.placeRun(0, 8, 8 * 131_072)!;
  assert.ok(place, 'eight chunks of one extent have one place');
  assert.equal(place.length, 8 * 131_072);
  assert.equal(asm.placeRun(3, 1, 131_072), null, 'a chunk of a placed run has no other place');
  assert.equal(asm.placeRun(6, 4, 4 * 131_072), null, 'nor a run overlapping it');
  runOf(0, 8).copy(place);
  place[3 * 131_072 + 5]! ^= 0x40; // chunk 3 arrives damaged
  const written = await writeRun(asm, record.path, 0, 8, place, chunks);
  assert.equal(written.got, 7 * 131_072);
  assert.deepEqual(written.failures.map(([i, err]) => [i, (err as { code?: string }).code]), [[3, 'HASH_MISMATCH']]);
  assert.deepEqual(asm.missing().slice(0, 2), [3, 8], 'only the damaged chunk is missing again');

  // A run across two extents, or of a wrong total size, has no place; nor one with a chunk already there.
  assert.equal(asm.placeRun(30, 4, 4 * 131_072), null, 'across extents');
  assert.equal(asm.placeRun(8, 4, 4 * 131_072 + 1), null, 'wrong size');
  assert.equal(asm.placeRun(2, 3, 3 * 131_072), null, 'chunks 2 and 4 are present');

  // The download of chunks 8-11 fails after their place was given: all four are missing again, placeable again.
  const dropped = asm.placeRun(8, 4, 4 * 131_072)!;
  dropRun(asm, 8, 4, dropped, chunks);
  assert.deepEqual(asm.missing().slice(0, 5), [3, 8, 9, 10, 11]);
  // An answer of the wrong length fails every chunk of its run, and writes none.
  const short = await writeRun(asm, record.path, 8, 4, Buffer.from(runOf(8, 4).subarray(1)), chunks);
  assert.deepEqual(short.failures.map(([i]) => i), [8, 9, 10, 11]);
  assert.equal(short.got, 0);

  // The rest: runs of up to six where they have a place, copied in where they do not.
  for (let first = 0; first < chunks.length; ) {
    if (asm.isPresent(first)) {
      first++;
      continue;
    }
    let count = 1;
    while (count < 6 && first + count < chunks.length && !asm.isPresent(first + count)) count++;
    const bytes = runOf(first, count);
    const into = asm.placeRun(first, count, bytes.length);
    if (into) bytes.copy(into);
    const done = await writeRun(asm, record.path, first, count, into ?? Buffer.from(bytes), chunks);
    assert.deepEqual(done.failures, []);
    first += count;
  }
  assert.ok(asm.complete);
  await asm.finalize({ archive: null, expectOld: null });
  assert.equal(sha(await fs.readFile(path.join(root, record.path))), sha(data));
});

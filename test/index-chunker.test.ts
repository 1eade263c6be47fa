import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import sodium from 'sodium-native';
import { chunkBuffer } from '../engine/index/chunk-hasher.js';
import { Chunker, cutPoints, GEAR, MAX_CHUNK, MIN_CHUNK } from '../engine/index/chunker.js';
import { GEAR_SCAN_WASM } from '../engine/index/gear-wasm.js';
import * as readBuffers from '../engine/index/read-buffers.js';
import { randomBytes, seededBytes } from './index-helpers.js';

test('gear table is the protocol one (never changes): every entry is its derivation', () => {
  // GEAR[i] = first 4 bytes (little endian) of BLAKE2b-256("shoal/gear/v1" || i)
  const out = Buffer.alloc(32);
  for (let i = 0; i < 256; i++) {
    sodium.crypto_generichash(out, Buffer.concat([Buffer.from('shoal/gear/v1'), Buffer.from([i])]));
    assert.equal(GEAR[i], out.readUInt32LE(0), `GEAR[${i}]`);
  }
  assert.equal(GEAR.length, 256);
  assert.equal(GEAR[0], 2572097240);
  assert.equal(GEAR[255], 595795505);
  const digest = createHash('sha256').update(Buffer.from(GEAR.buffer, GEAR.byteOffset, GEAR.byteLength)).digest('hex');
  assert.equal(digest, 'bd308910fc380194b8c4d01229b3c8b0d4686a7114fcb5333446f1eb062ae962');
});

test('cut points of a fixed input are pinned (whole algorithm: masks, min, normal, max)', () => {
  const cuts = cutPoints(seededBytes(4 << 20, 1));
  assert.deepEqual(cuts.slice(0, 8), [119161, 194001, 312039, 402158, 530488, 572493, 702208, 828767]);
  assert.equal(cuts.length, 34);
  assert.equal(cuts.at(-1), 4 << 20);
});

test('cuts do not depend on how the stream is split into buffers', () => {
  const data = randomBytes(6 << 20);
  const whole = cutPoints(data);
  for (const piece of [1, 4093, 65536, 1 << 20]) {
    const c = new Chunker();
    const cuts: number[] = [];
    for (let off = 0; off < data.length; off += piece) {
      const buf = data.subarray(off, Math.min(data.length, off + piece));
      let start = 0;
      let cut: number;
      while ((cut = c.next(buf, start)) >= 0) {
        cuts.push(off + cut);
        start = cut;
      }
      if (piece === 1 && off > 600_000) break; // byte-at-a-time is slow: a prefix is enough
    }
    const expected = piece === 1 ? whole.filter((x) => x <= cuts.at(-1)!) : whole.slice(0, -1);
    assert.deepEqual(cuts, expected, `piece size ${piece}`);
  }
});

test('chunk sizes stay within min and max, except a shorter last chunk', () => {
  const data = randomBytes(16 << 20);
  const cuts = cutPoints(data);
  let prev = 0;
  for (let i = 0; i < cuts.length; i++) {
    const size = cuts[i]! - prev;
    assert.ok(size <= MAX_CHUNK, `chunk ${i} is ${size} bytes`);
    if (i < cuts.length - 1) assert.ok(size >= MIN_CHUNK, `chunk ${i} is ${size} bytes`);
    prev = cuts[i]!;
  }
  const mean = data.length / cuts.length;
  assert.ok(mean > 96 * 1024 && mean < 192 * 1024, `mean chunk ${mean}`);
  // Zeros never match the mask: every chunk is cut at max.
  assert.deepEqual(cutPoints(Buffer.alloc(MAX_CHUNK * 2 + 5)), [MAX_CHUNK, MAX_CHUNK * 2, MAX_CHUNK * 2 + 5]);
  assert.deepEqual(cutPoints(Buffer.alloc(0)), []);
  assert.deepEqual(cutPoints(Buffer.alloc(10)), [10]);
});

test('an insert in the middle changes only the chunks around it', () => {
  const size = 64 << 20;
  const insertLen = 1_000_001;
  const original = randomBytes(size);
  const mid = size / 2;
  const edited = Buffer.concat([original.subarray(0, mid), randomBytes(insertLen), original.subarray(mid)]);
  const before = new Set(chunkBuffer(original).map((c) => c.hash.toString('hex')));
  const after = chunkBuffer(edited);
  let newBytes = 0;
  for (const c of after) if (!before.has(c.hash.toString('hex'))) newBytes += c.size;
  assert.ok(newBytes >= insertLen, `new bytes ${newBytes} cover the insert`);
  assert.ok(newBytes < insertLen + 1.5 * 1024 * 1024, `new bytes ${newBytes}`);
});

test('the WebAssembly scanner cuts exactly where the JavaScript loop does, however the stream is split', () => {
  const rb = readBuffers;
  for (const seed of [1, 2, 3]) {
    const data = seededBytes(9 << 20, seed);
    const expected = cutPoints(data); // plain Buffer: the JavaScript loop
    for (const piece of [4093, 65536, rb.READ_SIZE]) {
      const c = new Chunker();
      const cuts: number[] = [];
      const buf = rb.acquireReadBuffer();
      assert.ok(rb.scannerOf(buf), 'read buffers live in a WebAssembly scanner');
      for (let off = 0; off < data.length; off += piece) {
        const n = data.copy(buf, 0, off, Math.min(data.length, off + piece));
        const view = buf.subarray(0, n);
        let start = 0;
        let cut: number;
        while ((cut = c.next(view, start)) >= 0) {
          cuts.push(off + cut);
          start = cut;
        }
      }
      if (c.pending > 0) cuts.push(data.length);
      rb.releaseReadBuffer(buf);
      assert.deepEqual(cuts, expected, `seed ${seed}, piece ${piece}`);
    }
  }
});

test('gear-wasm.ts is the compilation of gear-scan.wat', async () => {
  const { compileGearScan } = await import('../scripts/build-wasm.mjs');
  assert.equal(await compileGearScan(), GEAR_SCAN_WASM, 'run node scripts/build-wasm.mjs');
});

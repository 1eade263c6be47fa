import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ShoalError } from '../engine/errors.js';
import { ChunkHasher, chunkBuffer } from '../engine/index/chunk-hasher.js';
import { cutPoints } from '../engine/index/chunker.js';
import { chunkHashEquals, hashBuffer, hashFile, type HashResult } from '../engine/index/hasher.js';
import { READ_SIZE } from '../engine/index/read-buffers.js';
import { packagesLoadedBy } from './helpers/imports.js';
import { randomBytes, removeDir, tempDir } from './index-helpers.js';

let dir: string;
before(async () => {
  dir = await tempDir();
});
after(async () => {
  await removeDir(dir);
});

test('hashFile equals hashing each chunk on its own, across read buffers', async () => {
  const data = randomBytes(READ_SIZE * 2 + 777_777); // chunks straddle read buffers
  const file = path.join(dir, 'big.bin');
  await fs.writeFile(file, data);
  const res = await hashFile(file);
  assert.equal(res.size, data.length);
  assert.equal(res.changedDuringHash, false);
  const cuts = cutPoints(data);
  assert.equal(res.chunks.length, cuts.length);
  let start = 0;
  cuts.forEach((end, i) => {
    const c = res.chunks[i]!;
    assert.equal(c.size, end - start);
    assert.ok(c.hash.equals(hashBuffer(data.subarray(start, end))), `chunk ${i}`);
    start = end;
  });
  assert.deepEqual(res.chunks, chunkBuffer(data));
  const st = await fs.stat(file);
  assert.equal(res.mtimeMs, Math.floor(st.mtimeMs));
  assert.equal(res.ino, st.ino);
});

test('small and empty files', async () => {
  const empty = path.join(dir, 'empty');
  await fs.writeFile(empty, '');
  assert.deepEqual((await hashFile(empty)).chunks, []);
  assert.equal((await hashFile(empty)).size, 0);
  const small = path.join(dir, 'small');
  await fs.writeFile(small, 'hello');
  const res = await hashFile(small);
  assert.equal(res.chunks.length, 1);
  assert.equal(res.chunks[0]!.size, 5);
  assert.ok(res.chunks[0]!.hash.equals(hashBuffer(Buffer.from('hello'))));
});

test('a file modified while hashed is reported', async () => {
  const file = path.join(dir, 'moving.bin');
  await fs.writeFile(file, randomBytes(READ_SIZE * 3));
  let touched = false;
  const res = await hashFile(file, {
    onProgress: () => {
      if (touched) return;
      touched = true;
      // Grows and gets a new mtime after the first buffer: the stat afterwards must notice.
      appendFileSync(file, 'more');
    },
  });
  assert.equal(touched, true);
  assert.equal(res.changedDuringHash, true);
  const again = await hashFile(file);
  assert.equal(again.changedDuringHash, false);
});

test('missing file and directories fail with a path error', async () => {
  await assert.rejects(hashFile(path.join(dir, 'nope')), (e) => e instanceof ShoalError && e.code === 'BAD_PATH');
  await assert.rejects(hashFile(dir), (e) => e instanceof ShoalError && e.code === 'BAD_PATH');
});

test('abort stops hashing', async () => {
  const file = path.join(dir, 'abort.bin');
  await fs.writeFile(file, randomBytes(READ_SIZE * 2));
  const ac = new AbortController();
  await assert.rejects(hashFile(file, { signal: ac.signal, onProgress: () => ac.abort(new Error('stop')) }), /stop/);
});

test('the chunk hash is BLAKE3-256 (published test vectors), incremental or not', () => {
  assert.equal(hashBuffer(Buffer.alloc(0)).toString('hex'), 'af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262');
  assert.equal(hashBuffer(Buffer.from('abc')).toString('hex'), '6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85');
  const data = randomBytes(3 * 1024 * 1024 + 7);
  const h = new ChunkHasher();
  for (let o = 0; o < data.length; o += 100_003) h.push(data.subarray(o, o + 100_003)); // chunks straddle pushes
  const chunks = h.finish();
  let off = 0;
  for (const c of chunks) {
    assert.ok(c.hash.equals(hashBuffer(data.subarray(off, off + c.size))));
    off += c.size;
  }
  assert.equal(off, data.length);
});

test('the last chunk hash is right whatever the chunk count (the hash block grows at 8, 16, 32 ... chunks)', async () => {
  // Regression: finish() once wrote the last hash into the block it was about to replace,
  // so files of exactly 9, 17, 33 ... chunks announced garbage and could never be downloaded.
  const data = randomBytes(6 * 1024 * 1024);
  const cuts = cutPoints(data);
  const counts = new Set<number>();
  for (const n of [7, 8, 9, 10, 15, 16, 17, 18, 31, 32, 33, 34]) if (n <= cuts.length) counts.add(n);
  assert.ok(counts.size >= 8, `enough chunks to cross the growth points: ${cuts.length}`);
  for (const n of counts) {
    // Ends mid-chunk (an open last chunk) and exactly on a cut (no open chunk).
    for (const end of [cuts[n - 1]! - 100, cuts[n - 1]!]) {
      const prefix = data.subarray(0, end);
      const file = path.join(dir, `count-${n}-${end}.bin`);
      await fs.writeFile(file, prefix);
      for (const chunks of [(await hashFile(file)).chunks, chunkBuffer(prefix)]) {
        let off = 0;
        chunks.forEach((c, i) => {
          assert.ok(c.hash.equals(hashBuffer(prefix.subarray(off, off + c.size))), `${n} chunks, end ${end}: chunk ${i}`);
          off += c.size;
        });
        assert.equal(off, prefix.length);
      }
    }
  }
});

test('chunkHashEquals verifies a chunk against its hash', () => {
  const buf = randomBytes(1000);
  const h = hashBuffer(buf);
  assert.equal(h.length, 32);
  assert.equal(chunkHashEquals(buf, h), true);
  buf[0] ^= 1;
  assert.equal(chunkHashEquals(buf, h), false);
  assert.equal(chunkHashEquals(buf, h.subarray(0, 31)), false);
});

test('a symlink is never read through, whichever path hashes it', { skip: process.platform === 'win32' }, async () => {
  const target = path.join(dir, 'target.txt');
  await fs.writeFile(target, 'secret outside');
  const link = path.join(dir, 'link.txt');
  await fs.symlink(target, link);
  const isBadPath = (e: unknown): boolean => e instanceof ShoalError && e.code === 'BAD_PATH';
  await assert.rejects(hashFile(link, { sizeHint: 0 }), isBadPath); // small-file path
  await assert.rejects(hashFile(link), isBadPath); // general path
});

test('small files hashed synchronously give the same result as big-file hashing', async () => {
  const files = await Promise.all(
    [0, 1, 4096, 65536].map(async (n) => {
      const p = path.join(dir, `small-${n}.bin`);
      const data = randomBytes(n);
      await fs.writeFile(p, data);
      return { p, data };
    }),
  );
  for (const { p, data } of files) {
    const res = await hashFile(p, { sizeHint: data.length });
    assert.equal(res.size, data.length);
    assert.equal(res.changedDuringHash, false);
    assert.deepEqual(res.chunks, chunkBuffer(data));
  }
  // A "small" hint on a file that is not small any more is hashed in full all the same.
  const grown = randomBytes(3 * 1024 * 1024);
  await fs.writeFile(files[0]!.p, grown);
  const res = await hashFile(files[0]!.p, { sizeHint: 0 });
  assert.equal(res.size, grown.length);
  assert.deepEqual(res.chunks, chunkBuffer(grown));
});

test('a FIFO is refused without blocking (it could replace a file between listing and open)', { skip: process.platform === 'win32' }, async () => {
  const fifo = path.join(dir, 'pipe');
  const { execFileSync } = await import('node:child_process');
  execFileSync('mkfifo', [fifo]);
  const isBadPath = (e: unknown): boolean => e instanceof ShoalError && e.code === 'BAD_PATH';
  await assert.rejects(hashFile(fifo, { sizeHint: 0 }), isBadPath);
  await assert.rejects(hashFile(fifo), isBadPath);
});

test('small files hashed on the worker (while it runs for a big file) equal those hashed here, errors included', async () => {
  const { hashWorker } = await import('../engine/index/hash-pool.js');
  const sub = path.join(dir, 'mixed');
  await fs.mkdir(sub);
  const big = path.join(sub, 'big.bin');
  await fs.writeFile(big, randomBytes(48 * 1024 * 1024));
  const small: Array<{ file: string; data: Buffer }> = [];
  for (let i = 0; i < 600; i++) {
    const data = randomBytes(1 + ((i * 7919) % (60 * 1024)));
    const file = path.join(sub, `s${i}.bin`);
    await fs.writeFile(file, data);
    small.push({ file, data });
  }
  const before = hashWorker.smallHashed;
  const bigHash = hashFile(big);
  for (let i = 0; i < 200 && !hashWorker.busy; i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(hashWorker.busy, 'the big file went to the worker');
  // As the scanner asks: several lanes, each one file after the other.
  const results: HashResult[] = new Array(small.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < small.length) {
      const i = next++;
      results[i] = await hashFile(small[i]!.file, { sizeHint: small[i]!.data.length });
    }
  };
  await Promise.all(Array.from({ length: 16 }, lane));
  const missing = hashFile(path.join(sub, 'nope.bin'), { sizeHint: 10 }).then(
    () => assert.fail('a missing file has no hash'),
    (err: unknown) => err,
  );
  await bigHash;
  assert.ok(hashWorker.smallHashed > before, 'the worker took some of the small files');
  results.forEach((r, i) => {
    assert.deepEqual(r.chunks, chunkBuffer(small[i]!.data), `file ${i}`);
    assert.equal(r.size, small[i]!.data.length);
    assert.equal(r.changedDuringHash, false);
  });
  const err = await missing;
  assert.ok(err instanceof ShoalError && err.code === 'BAD_PATH', `vanished: ${String(err)}`);
});

test('warmUp starts the hash worker ahead of a first scan; small files alone stay on this thread; it stops when idle', async () => {
  const { hashWorker } = await import('../engine/index/hash-pool.js');
  // Whatever earlier tests left running goes first (nothing is out with it now).
  hashWorker.stopIfIdle();
  assert.equal(hashWorker.running, false);
  hashWorker.warmUp();
  assert.equal(hashWorker.running, true, 'started at once');
  assert.equal(hashWorker.takesSmallFiles, false, 'a warm worker takes no small files before a big one');
  const sub = path.join(dir, 'warm');
  await fs.mkdir(sub);
  const data = randomBytes(5000);
  await fs.writeFile(path.join(sub, 'small.bin'), data);
  const before = hashWorker.smallHashed;
  const r = await hashFile(path.join(sub, 'small.bin'), { sizeHint: data.length });
  assert.deepEqual(r.chunks, chunkBuffer(data));
  assert.equal(hashWorker.smallHashed, before, 'hashed on this thread');
  const big = randomBytes(3 * 1024 * 1024);
  await fs.writeFile(path.join(sub, 'big.bin'), big);
  const b = await hashFile(path.join(sub, 'big.bin'));
  assert.deepEqual(b.chunks, chunkBuffer(big), 'the warm worker hashes a big file like any other');
  // Idle again: it stops by itself (IDLE_MS, 500 ms), bounded wait.
  for (let i = 0; i < 100 && hashWorker.running; i++) await new Promise((res) => setTimeout(res, 20));
  assert.equal(hashWorker.running, false, 'stopped after being idle');
});

test('the hash worker loads BLAKE3 but not sodium-native (its start-up stays short)', () => {
  const loaded = packagesLoadedBy(fileURLToPath(new URL('../engine/index/hash-worker.ts', import.meta.url)));
  assert.ok(loaded.has('@napi-rs/blake-hash'), [...loaded].join(' '));
  assert.ok(!loaded.has('sodium-native'), `the hash worker's modules load sodium-native: ${[...loaded].join(' ')}`);
});

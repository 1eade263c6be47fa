/**
 * Big downloads written with O_DIRECT in aligned extents (direct-writer.ts): whatever the
 * order chunks arrive in, the file on disk is exactly the data, on real files in a temp
 * folder. Where O_DIRECT is unavailable (not Linux) the same tests run the page-cache path.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { chunkHash } from '../engine/index/chunk-hash.js';
import type { FileRecord } from '../engine/model/record.js';
import { FileAssembler } from '../engine/transfer/assembler.js';
import { DIRECT_MIN_FILE, DirectWriter } from '../engine/transfer/direct-writer.js';
import { EXTENT_BYTES, acquireExtent, extentBuffersMade, releaseExtent } from '../engine/transfer/extent-buffers.js';
import { writevFully } from '../engine/transfer/io.js';

const made: string[] = [];
after(() => Promise.all(made.map((d) => fs.rm(d, { recursive: true, force: true }))));
async function tmpDir(): Promise<string> {
  const d = await fs.mkdtemp(path.join(os.tmpdir(), 'shoal-direct-'));
  made.push(d);
  return d;
}
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const linux = process.platform === 'linux';

/** Chunk boundaries that straddle extents and blocks: sizes 1 byte .. 700 KiB. */
function cuts(size: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let at = 0;
  let i = 0;
  while (at < size) {
    const len = Math.min(size - at, [1, 4095, 700 * 1024, 131_073, 512 * 1024, 33_333][i++ % 6]!);
    out.push([at, len]);
    at += len;
  }
  return out;
}

test('direct writer: pieces in any order, with evictions and an unaligned tail, land exactly', async () => {
  const dir = await tmpDir();
  const size = DIRECT_MIN_FILE + 5 * EXTENT_BYTES + 12_345;
  const data = randomBytes(size);
  for (const order of ['forward', 'backward', 'interleaved'] as const) {
    const file = path.join(dir, `${order}.bin`);
    const fh = await fs.open(file, 'w+');
    const w = await DirectWriter.open(file, size, (bufs, pos) => writevFully(fh, bufs, pos));
    if (linux) assert.ok(w, 'O_DIRECT is available on this Linux file system');
    if (!w) {
      await fh.close();
      continue;
    }
    let pieces = cuts(size);
    if (order === 'backward') pieces = pieces.reverse();
    if (order === 'interleaved') pieces = pieces.filter((_, i) => i % 2 === 0).concat(pieces.filter((_, i) => i % 2 === 1));
    for (const [at, len] of pieces) await w.put(at, Buffer.from(data.subarray(at, at + len)));
    await w.flush();
    await w.close();
    await fh.sync();
    await fh.close();
    const back = await fs.readFile(file);
    assert.equal(back.length, size, order);
    assert.equal(sha(back), sha(data), `${order}: content`);
  }
  assert.ok(!linux || extentBuffersMade() <= 8, 'at most 8 extent buffers exist');
});

test('direct writer: with every extent buffer in use, a piece waits for a write under way instead of going through the page cache', async (t) => {
  if (!linux) return t.skip('O_DIRECT extents exist on Linux only');
  const dir = await tmpDir();
  const size = DIRECT_MIN_FILE;
  const data = randomBytes(size);
  const file = path.join(dir, 'full.bin');
  const fh = await fs.open(file, 'w+');
  let pageCacheWrites = 0;
  const w = (await DirectWriter.open(file, size, (bufs, pos) => {
    pageCacheWrites++;
    return writevFully(fh, bufs, pos);
  }))!;
  assert.ok(w, 'O_DIRECT is available on this Linux file system');
  // Everyone else holds all extent buffers but one.
  const held: Buffer[] = [];
  for (let b = acquireExtent(); b; b = acquireExtent()) held.push(b);
  releaseExtent(held.pop()!);
  try {
    // Extent 0 fills: its write starts (it is not waited for), and holds the last buffer until done.
    await w.put(0, Buffer.from(data.subarray(0, EXTENT_BYTES)));
    // The next piece finds no buffer: it waits for that write, then is staged as usual.
    await w.put(EXTENT_BYTES, Buffer.from(data.subarray(EXTENT_BYTES, EXTENT_BYTES + 4096)));
    for (let at = EXTENT_BYTES + 4096; at < size; at += 1024 * 1024) {
      await w.put(at, Buffer.from(data.subarray(at, Math.min(size, at + 1024 * 1024))));
    }
    await w.flush();
    await w.close();
  } finally {
    for (const b of held) releaseExtent(b);
    await fh.close();
  }
  assert.equal(pageCacheWrites, 0, 'nothing went through the page cache');
  assert.equal(sha(await fs.readFile(file)), sha(data));
});

test('direct writer: small files and non-Linux systems use the page cache', async () => {
  const dir = await tmpDir();
  assert.equal(await DirectWriter.open(path.join(dir, 'x'), DIRECT_MIN_FILE - 1, async () => {}), null);
});

test('assembler: a big file from shuffled chunks, written through O_DIRECT extents, is exact and durable', async () => {
  const root = await tmpDir();
  const size = DIRECT_MIN_FILE + 3 * EXTENT_BYTES + 777;
  const data = randomBytes(size);
  const chunks: FileRecord['chunks'] = [];
  for (const [at, len] of cuts(size)) chunks.push({ hash: chunkHash(data.subarray(at, at + len)), size: len });
  const record: FileRecord = {
    path: 'big/file.bin', kind: 'file', size, mtimeMs: 1_700_000_000_000, mode: 0o644, chunks, deleted: false,
    version: [['dev', 1]], changedAt: 1, origin: 'dev', sig: Buffer.alloc(64),
  };
  const asm = await FileAssembler.open(root, record);
  const order = chunks.map((_, i) => i).sort(() => Math.random() - 0.5);
  const offsets: number[] = [];
  let o = 0;
  for (const c of chunks) {
    offsets.push(o);
    o += c.size;
  }
  // Several writes at once, as the puller does.
  for (let i = 0; i < order.length; i += 8) {
    await Promise.all(order.slice(i, i + 8).map((k) => asm.writeChunk(k, Buffer.from(data.subarray(offsets[k]!, offsets[k]! + chunks[k]!.size)))));
  }
  assert.ok(asm.complete);
  await asm.finalize({ archive: null, expectOld: null });
  const back = await fs.readFile(path.join(root, 'big/file.bin'));
  assert.equal(sha(back), sha(data));
  const st = await fs.stat(path.join(root, 'big/file.bin'));
  assert.equal(Math.floor(st.mtimeMs), record.mtimeMs);
});

test('assembler: a download syncs to the disk as it goes, with O_DIRECT as through the page cache, and lands exactly', async () => {
  const root = await tmpDir();
  // Past two early syncs (every 64 MiB written), so finalize's fsync has only the rest to flush.
  const size = 160 * 1024 * 1024 + 4321;
  const data = randomBytes(size);
  const chunks: FileRecord['chunks'] = [];
  const offsets: number[] = [];
  for (let at = 0; at < size; at += 1024 * 1024) {
    const len = Math.min(1024 * 1024, size - at);
    offsets.push(at);
    chunks.push({ hash: chunkHash(data.subarray(at, at + len)), size: len });
  }
  const record: FileRecord = {
    path: 'synced-as-it-goes.bin', kind: 'file', size, mtimeMs: 1_700_000_000_000, mode: 0o644, chunks, deleted: false,
    version: [['dev', 1]], changedAt: 1, origin: 'dev', sig: Buffer.alloc(64),
  };
  const asm = await FileAssembler.open(root, record);
  for (let i = 0; i < chunks.length; i += 4) {
    await Promise.all([i, i + 1, i + 2, i + 3].filter((k) => k < chunks.length).map((k) => asm.writeChunk(k, data.subarray(offsets[k]!, offsets[k]! + chunks[k]!.size))));
  }
  assert.ok(asm.earlySyncs >= 2, `background datasyncs while writing: ${asm.earlySyncs}`);
  await asm.finalize({ archive: null, expectOld: null });
  assert.equal(sha(await fs.readFile(path.join(root, record.path))), sha(data));
});

test('assembler: an interrupted big download resumes from what reached the disk, and completes exactly', async () => {
  const root = await tmpDir();
  const size = DIRECT_MIN_FILE + 2 * EXTENT_BYTES + 4321;
  const data = randomBytes(size);
  const pieces = cuts(size);
  const chunks = pieces.map(([at, len]) => ({ hash: chunkHash(data.subarray(at, at + len)), size: len }));
  const record: FileRecord = {
    path: 'resume.bin', kind: 'file', size, mtimeMs: 1_700_000_000_000, mode: 0o644, chunks, deleted: false,
    version: [['dev', 1]], changedAt: 1, origin: 'dev', sig: Buffer.alloc(64),
  };
  const first = await FileAssembler.open(root, record);
  const half = Math.floor(chunks.length / 2);
  for (let i = 0; i < half; i++) await first.writeChunk(i, Buffer.from(data.subarray(pieces[i]![0], pieces[i]![0] + pieces[i]![1])));
  await first.abort({ keepTemp: true }); // staged extents not yet written are dropped, as in a crash
  const second = await FileAssembler.open(root, record);
  assert.ok(second.resumedChunks > 0 && second.resumedChunks <= half, `resumed ${second.resumedChunks} of ${half}`);
  for (const i of second.missing()) await second.writeChunk(i, Buffer.from(data.subarray(pieces[i]![0], pieces[i]![0] + pieces[i]![1])));
  await second.finalize({ archive: null, expectOld: null });
  assert.equal(sha(await fs.readFile(path.join(root, 'resume.bin'))), sha(data));
});

test("assembler: a preview's download grows into its final record; a preview is never put in place", async () => {
  const root = await tmpDir();
  const size = DIRECT_MIN_FILE + 2 * EXTENT_BYTES + 99;
  const data = randomBytes(size);
  const pieces = cuts(size);
  const chunks = pieces.map(([at, len]) => ({ hash: chunkHash(data.subarray(at, at + len)), size: len }));
  const final: FileRecord = {
    path: 'grow.bin', kind: 'file', size, mtimeMs: 1_700_000_000_000, mode: 0o644, chunks, deleted: false,
    version: [['dev', 1]], changedAt: 1, origin: 'dev', sig: Buffer.alloc(64),
  };
  const k = Math.floor(chunks.length / 3);
  const preview: FileRecord = { ...final, chunks: chunks.slice(0, k), size: pieces[k]![0], preview: true };
  const asm = await FileAssembler.open(root, preview);
  for (let i = 0; i < k; i++) await asm.writeChunk(i, Buffer.from(data.subarray(pieces[i]![0], pieces[i]![0] + pieces[i]![1])));
  assert.ok(asm.complete);
  await assert.rejects(asm.finalize({ archive: null, expectOld: null }), /never put in place/);
  // A record that does not begin with the preview's chunks is refused.
  assert.throws(() => asm.extend({ ...final, chunks: [chunks[1]!, ...chunks.slice(1)] }), /not an extension/);
  asm.extend(final);
  assert.equal(asm.missing().length, chunks.length - k, 'the preview\u2019s chunks stay present');
  for (const i of asm.missing()) await asm.writeChunk(i, Buffer.from(data.subarray(pieces[i]![0], pieces[i]![0] + pieces[i]![1])));
  await asm.finalize({ archive: null, expectOld: null });
  assert.equal(sha(await fs.readFile(path.join(root, 'grow.bin'))), sha(data));
});

test('small files: written on a worker thread once one runs, from this thread before; both land exactly', async () => {
  const { writePool } = await import('../engine/transfer/write-pool.js');
  const { writeSmallFile } = await import('../engine/transfer/small-file.js');
  const root = await tmpDir();
  const files = Array.from({ length: 40 }, (_, i) => ({ rel: `d${i % 3}/f${i}.txt`, data: randomBytes(100 + i * 37) }));
  const rec = (rel: string, data: Buffer): FileRecord => ({
    path: rel, kind: 'file', size: data.length, mtimeMs: 1_700_000_000_000 + data.length, mode: 0o644,
    chunks: [{ hash: chunkHash(data), size: data.length }], deleted: false, version: [['dev', 1]], changedAt: 1, origin: 'dev', sig: Buffer.alloc(64),
  });
  const coldFirst = !writePool.warm;
  await writeSmallFile(root, rec(files[0]!.rel, files[0]!.data), files[0]!.data, { archive: null, expectOld: null });
  assert.ok(writePool.warm, 'the first file started a worker');
  await Promise.all(files.slice(1).map((f) => writeSmallFile(root, rec(f.rel, f.data), f.data, { archive: null, expectOld: null })));
  for (const f of files) {
    const abs = path.join(root, f.rel);
    assert.equal(sha(await fs.readFile(abs)), sha(f.data), f.rel);
    assert.equal(Math.floor((await fs.stat(abs)).mtimeMs), 1_700_000_000_000 + f.data.length);
  }
  assert.ok(coldFirst || writePool.warm);
});

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { chunkHash } from '../engine/index/chunk-hash.js';
import { ShoalError } from '../engine/errors.js';
import type { FileRecord } from '../engine/model/record.js';
import { FileAssembler, removeTempLeftovers, writeSmallFile } from '../engine/transfer/assembler.js';
import { isLocalChange } from '../engine/transfer/errors.js';
import { archiverFor } from '../engine/archive/archive.js';

const MTIME = 1_700_000_000_123;

function hash(b: Buffer): Buffer {
  return chunkHash(b);
}

function makeRecord(rel: string, data: Buffer, chunkSize = 64 * 1024, extra: Partial<FileRecord> = {}): FileRecord {
  const chunks = [];
  for (let off = 0; off < data.length; off += chunkSize) {
    const c = data.subarray(off, Math.min(off + chunkSize, data.length));
    chunks.push({ hash: hash(c), size: c.length });
  }
  return {
    path: rel, kind: 'file', size: data.length, mtimeMs: MTIME, mode: 0o644, chunks, deleted: false,
    version: [['dev', 1]], changedAt: 1, origin: 'dev', sig: Buffer.alloc(64), ...extra,
  };
}

function chunkOf(r: FileRecord, data: Buffer, i: number): Buffer {
  let off = 0;
  for (let k = 0; k < i; k++) off += r.chunks[k]!.size;
  return data.subarray(off, off + r.chunks[i]!.size);
}

async function tmpRoot(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'shoal-asm-'));
  made.push(dir);
  return dir;
}
const made: string[] = [];
after(() => Promise.all(made.map((d) => fs.rm(d, { recursive: true, force: true }))));

function shuffled(n: number): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

const isCode = (code: string) => (e: unknown) => e instanceof ShoalError && e.code === code;

test('assembles a multi-chunk file from shuffled, concurrent chunk writes', async () => {
  const root = await tmpRoot();
  const data = randomBytes(1024 * 1024 + 12345);
  const rec = makeRecord('sub/dir/big.bin', data, 64 * 1024);
  const asm = await FileAssembler.open(root, rec);
  assert.equal(asm.missing().length, rec.chunks.length);
  assert.equal(asm.offsetOf(3), 3 * 64 * 1024);
  await Promise.all(shuffled(rec.chunks.length).map((i) => asm.writeChunk(i, chunkOf(rec, data, i))));
  assert.deepEqual(asm.missing(), []);
  await asm.writeChunk(0, chunkOf(rec, data, 0)); // duplicate from a second peer: ignored
  await asm.finalize({ archive: null, expectOld: null });
  const abs = path.join(root, 'sub/dir/big.bin');
  assert.ok((await fs.readFile(abs)).equals(data));
  await assert.rejects(fs.stat(abs + '.!sync'), { code: 'ENOENT' });
  assert.equal(Math.floor((await fs.stat(abs)).mtimeMs), MTIME);
});

test('a wrong chunk is rejected with HASH_MISMATCH, nothing written, no target', async () => {
  const root = await tmpRoot();
  const data = randomBytes(200_000);
  const rec = makeRecord('x.bin', data, 64 * 1024);
  const asm = await FileAssembler.open(root, rec);
  const bad = Buffer.from(chunkOf(rec, data, 1));
  bad[7]! ^= 1;
  await assert.rejects(asm.writeChunk(1, bad), isCode('HASH_MISMATCH'));
  await assert.rejects(asm.writeChunk(1, chunkOf(rec, data, 0)), isCode('HASH_MISMATCH')); // wrong size
  assert.ok(asm.missing().includes(1));
  assert.equal((await fs.stat(path.join(root, 'x.bin.!sync'))).size, 0);
  await assert.rejects(asm.finalize({ archive: null }), isCode('INTERNAL'));
  await assert.rejects(fs.stat(path.join(root, 'x.bin')), { code: 'ENOENT' });
  await asm.abort({ keepTemp: false });
  assert.deepEqual(await fs.readdir(root), []);
});

test('resume after a crash: verified chunks in the temp are not missing; torn ones are', async () => {
  const root = await tmpRoot();
  const data = randomBytes(10 * 32 * 1024);
  const rec = makeRecord('resume.bin', data, 32 * 1024);
  const first = await FileAssembler.open(root, rec);
  for (const i of [0, 2, 3, 7, 9]) await first.writeChunk(i, chunkOf(rec, data, i));
  // Simulated SIGKILL: the assembler is dropped without finalize/abort, then a torn write
  // leaves garbage over chunk 3 and a stray chunk 5 half-written.
  await (first as unknown as { fh: fs.FileHandle }).fh.close();
  const fh = await fs.open(path.join(root, 'resume.bin.!sync'), 'r+');
  await fh.write(Buffer.alloc(100, 0xaa), 0, 100, 3 * 32 * 1024 + 10);
  await fh.write(chunkOf(rec, data, 5).subarray(0, 1000), 0, 1000, 5 * 32 * 1024);
  await fh.close();

  const again = await FileAssembler.open(root, rec);
  assert.equal(again.resumedChunks, 4);
  assert.deepEqual(again.missing(), [1, 3, 4, 5, 6, 8]);
  assert.equal(again.bytesPresent, 4 * 32 * 1024);
  for (const i of again.missing()) await again.writeChunk(i, chunkOf(rec, data, i));
  await again.finalize({ archive: null });
  assert.ok((await fs.readFile(path.join(root, 'resume.bin'))).equals(data));
});

test('resume ignores a stale temp from another version and truncates a longer one', async () => {
  const root = await tmpRoot();
  const data = randomBytes(100_000);
  const rec = makeRecord('s.bin', data, 30_000);
  await fs.writeFile(path.join(root, 's.bin.!sync'), Buffer.concat([chunkOf(rec, data, 0), randomBytes(200_000)]));
  const asm = await FileAssembler.open(root, rec);
  assert.deepEqual(asm.missing(), [1, 2, 3]);
  for (const i of asm.missing()) await asm.writeChunk(i, chunkOf(rec, data, i));
  await asm.finalize({ archive: null });
  assert.ok((await fs.readFile(path.join(root, 's.bin'))).equals(data));

  // resume: false starts from scratch even if the temp is intact.
  const rec2 = makeRecord('t.bin', data, 30_000);
  await fs.writeFile(path.join(root, 't.bin.!sync'), data);
  const intact = await FileAssembler.open(root, rec2);
  assert.equal(intact.missing().length, 0);
  await intact.abort();
  const fresh = await FileAssembler.open(root, rec2, { resume: false });
  assert.equal(fresh.missing().length, 4);
  await fresh.abort({ keepTemp: false });
});

test('resume recognises an all-zero chunk that really is zeros', async () => {
  const root = await tmpRoot();
  const data = Buffer.concat([randomBytes(4096), Buffer.alloc(8192), randomBytes(4096)]);
  const rec = makeRecord('z.bin', data, 4096);
  await fs.writeFile(path.join(root, 'z.bin.!sync'), data);
  const asm = await FileAssembler.open(root, rec);
  assert.deepEqual(asm.missing(), []);
  await asm.finalize({ archive: null });
});

test('copyChunkFrom copies a verified chunk from another local file, false when stale', async () => {
  const root = await tmpRoot();
  const data = randomBytes(3 * 50_000);
  const rec = makeRecord('copy.bin', data, 50_000);
  // Another file that holds chunk 1 at offset 7.
  await fs.writeFile(path.join(root, 'other.bin'), Buffer.concat([Buffer.alloc(7, 1), chunkOf(rec, data, 1)]));
  const asm = await FileAssembler.open(root, rec);
  assert.equal(await asm.copyChunkFrom(1, path.join(root, 'other.bin'), 7), true);
  assert.equal(await asm.copyChunkFrom(0, path.join(root, 'other.bin'), 7), false); // wrong bytes
  assert.equal(await asm.copyChunkFrom(2, path.join(root, 'other.bin'), 40_000), false); // short
  assert.equal(await asm.copyChunkFrom(2, path.join(root, 'gone.bin'), 0), false); // missing
  assert.deepEqual(asm.missing(), [0, 2]);
  await asm.writeChunk(0, chunkOf(rec, data, 0));
  await asm.writeChunk(2, chunkOf(rec, data, 2));
  await asm.finalize({ archive: null });
  assert.ok((await fs.readFile(path.join(root, 'copy.bin'))).equals(data));
});

test('copying chunks from the old version of the same file (an edit in the middle)', async () => {
  const root = await tmpRoot();
  const oldData = randomBytes(4 * 16_384);
  await fs.writeFile(path.join(root, 'edit.bin'), oldData);
  const newData = Buffer.from(oldData);
  newData.fill(9, 16_384, 2 * 16_384);
  const rec = makeRecord('edit.bin', newData, 16_384);
  const asm = await FileAssembler.open(root, rec);
  for (const i of [0, 2, 3]) assert.equal(await asm.copyChunkFrom(i, path.join(root, 'edit.bin'), i * 16_384), true);
  await asm.writeChunk(1, chunkOf(rec, newData, 1));
  const st = await fs.stat(path.join(root, 'edit.bin'));
  await asm.finalize({ archive: null, expectOld: { size: st.size, mtimeMs: st.mtimeMs } });
  assert.ok((await fs.readFile(path.join(root, 'edit.bin'))).equals(newData));
});

test('an empty file is created through an empty temp', async () => {
  const root = await tmpRoot();
  const rec = makeRecord('empty/e.txt', Buffer.alloc(0));
  assert.equal(rec.chunks.length, 0);
  const asm = await FileAssembler.open(root, rec);
  assert.deepEqual(asm.missing(), []);
  await asm.finalize({ archive: null, expectOld: null });
  const st = await fs.stat(path.join(root, 'empty/e.txt'));
  assert.equal(st.size, 0);
  assert.equal(Math.floor(st.mtimeMs), MTIME);
});

test('mtime and executable bits are applied, read/write bits of a replaced file kept', { skip: process.platform === 'win32' && 'no exec bits on Windows' }, async () => {
  const root = await tmpRoot();
  const data = randomBytes(1000);
  const exec = makeRecord('bin/run.sh', data, 400, { mode: 0o755, mtimeMs: 1_600_000_000_999 });
  const asm = await FileAssembler.open(root, exec);
  for (let i = 0; i < exec.chunks.length; i++) await asm.writeChunk(i, chunkOf(exec, data, i));
  await asm.finalize({ archive: null, expectOld: null });
  const st = await fs.stat(path.join(root, 'bin/run.sh'));
  assert.equal(st.mode & 0o100, 0o100);
  assert.equal(Math.floor(st.mtimeMs), 1_600_000_000_999);

  // The user made it private (0600); a new version without exec keeps 0600.
  await fs.chmod(path.join(root, 'bin/run.sh'), 0o700);
  const plain = makeRecord('bin/run.sh', data, 400, { mode: 0o644 });
  await writeSmallFile(root, plain, data, { archive: null });
  assert.equal((await fs.stat(path.join(root, 'bin/run.sh'))).mode & 0o777, 0o600);

  // Many mtimes land exactly (no off-by-one-ms from float truncation).
  for (const ms of [1, 999, 1_000_000_000_001, 1_699_999_999_999, 1_234_567_890_123]) {
    await writeSmallFile(root, makeRecord('t.txt', data, 1000, { mtimeMs: ms }), data, { archive: null });
    assert.equal(Math.floor((await fs.stat(path.join(root, 't.txt'))).mtimeMs), ms);
  }
});

test('overwrite archives the old version into .SyncArchive', async () => {
  const root = await tmpRoot();
  await fs.mkdir(path.join(root, 'docs'));
  await fs.writeFile(path.join(root, 'docs/a.txt'), 'old contents');
  const st = await fs.stat(path.join(root, 'docs/a.txt'));
  const data = Buffer.from('new contents, longer');
  const rec = makeRecord('docs/a.txt', data);
  const asm = await FileAssembler.open(root, rec);
  await asm.writeChunk(0, data);
  await asm.finalize({ archive: archiverFor(root, { maxSizeBytes: 1e9 }), expectOld: { size: st.size, mtimeMs: st.mtimeMs } });
  assert.equal(await fs.readFile(path.join(root, 'docs/a.txt'), 'utf8'), 'new contents, longer');
  assert.equal(await fs.readFile(path.join(root, '.SyncArchive/docs/a.txt'), 'utf8'), 'old contents');

  await writeSmallFile(root, makeRecord('docs/a.txt', Buffer.from('third')), Buffer.from('third'), {
    archive: archiverFor(root, { maxSizeBytes: 1e9 }),
  });
  assert.equal(await fs.readFile(path.join(root, '.SyncArchive/docs/a.1.txt'), 'utf8'), 'new contents, longer');
});

test('overwrite is refused when the target changed meanwhile; the complete temp survives', async () => {
  const root = await tmpRoot();
  const target = path.join(root, 'c.txt');
  await fs.writeFile(target, 'v1');
  const st = await fs.stat(target);
  const data = Buffer.from('remote v2');
  const rec = makeRecord('c.txt', data);
  const asm = await FileAssembler.open(root, rec);
  await asm.writeChunk(0, data);
  await fs.writeFile(target, 'local edit!'); // the user saves meanwhile
  let archived = 0;
  const archive = async () => { archived++; };
  const err = await asm.finalize({ archive, expectOld: { size: st.size, mtimeMs: st.mtimeMs } }).catch((e: unknown) => e);
  assert.ok(isLocalChange(err), String(err));
  assert.equal((err as ShoalError).code, 'IO_ERROR');
  assert.equal(archived, 0);
  assert.equal(await fs.readFile(target, 'utf8'), 'local edit!');
  // A retry after the rescan finds every chunk already verified.
  const again = await FileAssembler.open(root, rec);
  assert.deepEqual(again.missing(), []);
  await again.abort({ keepTemp: false });
  await assert.rejects(fs.stat(target + '.!sync'), { code: 'ENOENT' });

  // expectOld: null (new file) but one appeared locally: kept.
  await fs.writeFile(path.join(root, 'n.txt'), 'mine');
  await assert.rejects(writeSmallFile(root, makeRecord('n.txt', data), data, { archive: null, expectOld: null }), isLocalChange);
  assert.equal(await fs.readFile(path.join(root, 'n.txt'), 'utf8'), 'mine');
  await assert.rejects(fs.stat(path.join(root, 'n.txt.!sync')), { code: 'ENOENT' });

  // A folder where the file should go is never replaced.
  await fs.mkdir(path.join(root, 'd.txt'));
  await assert.rejects(writeSmallFile(root, makeRecord('d.txt', data), data, { archive: null }), isLocalChange);

  // expectOld given but the user deleted the file: writing loses nothing, so it proceeds.
  await writeSmallFile(root, makeRecord('gone.txt', data), data, { archive: null, expectOld: { size: 5, mtimeMs: 1 } });
  assert.equal(await fs.readFile(path.join(root, 'gone.txt'), 'utf8'), 'remote v2');
});

test('writeSmallFile verifies every chunk before touching the disk', async () => {
  const root = await tmpRoot();
  const data = randomBytes(3000);
  const rec = makeRecord('s/small.bin', data, 1000);
  const bad = Buffer.from(data);
  bad[2500]! ^= 0xff;
  await assert.rejects(writeSmallFile(root, rec, bad, { archive: null }), isCode('HASH_MISMATCH'));
  await assert.rejects(writeSmallFile(root, rec, data.subarray(1), { archive: null }), isCode('HASH_MISMATCH'));
  assert.deepEqual(await fs.readdir(root), []);
  await writeSmallFile(root, rec, data, { archive: null, expectOld: null });
  assert.ok((await fs.readFile(path.join(root, 's/small.bin'))).equals(data));
  assert.deepEqual(await fs.readdir(path.join(root, 's')), ['small.bin']);
});

test('a symlink planted at the temp name is replaced, not written through', { skip: process.platform === 'win32' && 'symlinks need privileges on Windows' }, async () => {
  const root = await tmpRoot();
  const outside = await tmpRoot();
  await fs.writeFile(path.join(outside, 'victim'), 'precious');
  await fs.symlink(path.join(outside, 'victim'), path.join(root, 'f.txt.!sync'));
  const data = Buffer.from('hello');
  const asm = await FileAssembler.open(root, makeRecord('f.txt', data));
  await asm.writeChunk(0, data);
  await asm.finalize({ archive: null });
  assert.equal(await fs.readFile(path.join(outside, 'victim'), 'utf8'), 'precious');
  assert.equal(await fs.readFile(path.join(root, 'f.txt'), 'utf8'), 'hello');
});

test('abort waits for in-flight writes and keeps or removes the temp; use after close fails', async () => {
  const root = await tmpRoot();
  const data = randomBytes(8 * 65536);
  const rec = makeRecord('ab.bin', data, 65536);
  const asm = await FileAssembler.open(root, rec);
  const writes = [0, 1, 2, 3].map((i) => asm.writeChunk(i, chunkOf(rec, data, i)));
  await asm.abort({ keepTemp: true });
  await Promise.all(writes);
  await assert.rejects(asm.writeChunk(4, chunkOf(rec, data, 4)), isCode('INTERNAL'));
  const again = await FileAssembler.open(root, rec);
  assert.deepEqual(again.missing(), [4, 5, 6, 7]);
  await again.abort({ keepTemp: false });
  assert.deepEqual(await fs.readdir(root), []);
});

test('records that do not describe a file are refused', async () => {
  const root = await tmpRoot();
  const data = randomBytes(100);
  await assert.rejects(FileAssembler.open(root, { ...makeRecord('a', data), size: 99 }), isCode('BAD_REQUEST'));
  await assert.rejects(FileAssembler.open(root, { ...makeRecord('a', data), kind: 'dir' }), isCode('BAD_REQUEST'));
  await assert.rejects(FileAssembler.open(root, makeRecord('../a', data)), isCode('BAD_PATH'));
});

test('very long names get a legal temp name', async () => {
  const root = await tmpRoot();
  const name = 'é'.repeat(127); // 254 bytes
  const data = Buffer.from('x');
  const asm = await FileAssembler.open(root, makeRecord(name, data));
  assert.ok(asm.tempAbs.endsWith('.!sync'));
  assert.ok(Buffer.byteLength(path.basename(asm.tempAbs)) <= 255);
  await asm.writeChunk(0, data);
  await asm.finalize({ archive: null });
  assert.equal(await fs.readFile(path.join(root, name), 'utf8'), 'x');
});

test('removeTempLeftovers deletes *.!sync files everywhere but follows no symlinks', async () => {
  const root = await tmpRoot();
  const outside = await tmpRoot();
  await fs.writeFile(path.join(outside, 'keep.!sync'), 'not ours');
  await fs.mkdir(path.join(root, 'a/b'), { recursive: true });
  await fs.writeFile(path.join(root, 'top.!sync'), '');
  await fs.writeFile(path.join(root, 'a/b/deep.bin.!sync'), 'x');
  await fs.writeFile(path.join(root, 'a/b/real.txt'), 'x');
  if (process.platform !== 'win32') await fs.symlink(outside, path.join(root, 'a/link'));
  const removed = (await removeTempLeftovers(root)).sort();
  assert.deepEqual(removed, ['a/b/deep.bin.!sync', 'top.!sync']);
  await fs.stat(path.join(outside, 'keep.!sync'));
  await fs.stat(path.join(root, 'a/b/real.txt'));
});

test('a leftover temp never leaks its mode or bytes into a fresh write', { skip: process.platform === 'win32' && 'no exec bits on Windows' }, async () => {
  const root = await tmpRoot();
  await fs.writeFile(path.join(root, 'm.txt.!sync'), 'garbage garbage garbage');
  await fs.chmod(path.join(root, 'm.txt.!sync'), 0o777);
  const data = Buffer.from('clean');
  await writeSmallFile(root, makeRecord('m.txt', data), data, { archive: null });
  const st = await fs.stat(path.join(root, 'm.txt'));
  assert.equal(st.mode & 0o111, 0);
  assert.equal(await fs.readFile(path.join(root, 'm.txt'), 'utf8'), 'clean');

  await fs.writeFile(path.join(root, 'n.txt.!sync'), 'garbage');
  await fs.chmod(path.join(root, 'n.txt.!sync'), 0o777);
  const asm = await FileAssembler.open(root, makeRecord('n.txt', data), { resume: false });
  await asm.writeChunk(0, data);
  await asm.finalize({ archive: null });
  assert.equal((await fs.stat(path.join(root, 'n.txt'))).mode & 0o111, 0);
});

test('a resumed temp that got exec bits earlier loses them when the record has none', { skip: process.platform === 'win32' && 'no exec bits on Windows' }, async () => {
  const root = await tmpRoot();
  const data = Buffer.from('resumed');
  await fs.writeFile(path.join(root, 'r.txt.!sync'), data);
  await fs.chmod(path.join(root, 'r.txt.!sync'), 0o755);
  const asm = await FileAssembler.open(root, makeRecord('r.txt', data));
  assert.deepEqual(asm.missing(), []);
  await asm.finalize({ archive: null });
  assert.equal((await fs.stat(path.join(root, 'r.txt'))).mode & 0o777, 0o644);
});

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { chunkHash } from '../engine/index/chunk-hash.js';
import { ShoalError } from '../engine/errors.js';
import type { FileRecord } from '../engine/model/record.js';
import { FileAssembler, writeSmallFile } from '../engine/transfer/assembler.js';

/**
 * A real full disk: a 1 MiB tmpfs mounted as the folder root. Needs root (CI runs as root).
 */
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const skip = !isRoot && 'needs root to mount a tmpfs';
const CHUNK = 64 * 1024;

function makeRecord(rel: string, data: Buffer): FileRecord {
  const chunks = [];
  for (let off = 0; off < data.length; off += CHUNK) {
    const c = data.subarray(off, off + CHUNK);
    const h = chunkHash(c);
    chunks.push({ hash: h, size: c.length });
  }
  return {
    path: rel, kind: 'file', size: data.length, mtimeMs: 1, mode: 0o644, chunks, deleted: false,
    version: [['d', 1]], changedAt: 1, origin: 'd', sig: Buffer.alloc(64),
  };
}

async function withTinyDisk(fn: (root: string) => Promise<void>): Promise<void> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'shoal-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', root]);
  try {
    await fn(root);
  } finally {
    execFileSync('umount', [root]);
    await fs.rmdir(root);
  }
}

const isDiskFull = (e: unknown) =>
  e instanceof ShoalError && e.code === 'DISK_FULL' && /^The disk is full: .+ could not be written\.$/.test(e.message);

test('assembling a 4 MiB file on a 1 MiB disk: DISK_FULL, the old file untouched', { skip }, async () => {
  await withTinyDisk(async (root) => {
    const old = randomBytes(100_000);
    await fs.writeFile(path.join(root, 'big.bin'), old);
    const data = randomBytes(4 * 1024 * 1024);
    const rec = makeRecord('big.bin', data);
    const asm = await FileAssembler.open(root, rec);
    // Many writes in flight at once, as the puller does for a big file.
    const results = await Promise.allSettled(rec.chunks.map((_, i) => asm.writeChunk(i, data.subarray(i * CHUNK, (i + 1) * CHUNK))));
    const failed = results.filter((r) => r.status === 'rejected');
    assert.ok(failed.length > 0, 'some writes must fail');
    for (const f of failed) assert.ok(isDiskFull((f as PromiseRejectedResult).reason), String((f as PromiseRejectedResult).reason));
    assert.ok(asm.missing().length >= failed.length); // failed chunks are missing again, not "present"
    await assert.rejects(asm.finalize({ archive: null }));
    assert.ok((await fs.readFile(path.join(root, 'big.bin'))).equals(old));
    await asm.abort({ keepTemp: false }); // frees the space
    assert.deepEqual(await fs.readdir(root), ['big.bin']);
  });
});

test('writeSmallFile on a full disk: DISK_FULL, no temp left, old file untouched', { skip }, async () => {
  await withTinyDisk(async (root) => {
    await fs.writeFile(path.join(root, 'f.bin'), 'old');
    const data = randomBytes(2 * 1024 * 1024);
    await assert.rejects(writeSmallFile(root, makeRecord('f.bin', data), data, { archive: null }), isDiskFull);
    assert.equal(await fs.readFile(path.join(root, 'f.bin'), 'utf8'), 'old');
    assert.deepEqual(await fs.readdir(root), ['f.bin']);
  });
});

test('a full disk while creating parent folders or the temp is DISK_FULL too', { skip }, async () => {
  await withTinyDisk(async (root) => {
    // Exhaust the space, then try a tiny file in a new folder.
    await fs.writeFile(path.join(root, 'filler'), Buffer.alloc(1024 * 1024 - 4096)).catch(() => undefined);
    const fill = await fs.open(path.join(root, 'filler2'), 'w');
    await fill.write(Buffer.alloc(64 * 1024)).catch(() => undefined);
    await fill.close();
    const data = randomBytes(50_000);
    await assert.rejects(writeSmallFile(root, makeRecord('new/dir/x.bin', data), data, { archive: null }), isDiskFull);
  });
});

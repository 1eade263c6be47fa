import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ShoalError } from '../engine/errors.js';
import { hashBuffer } from '../engine/index/hasher.js';
import { Level } from 'level';
import { INDEX_FORMAT, IndexStore, type EntryCodec, type StoredEntry } from '../engine/index/store.js';
import type { FileRecord } from '../engine/model/record.js';
import { removeDir, tempDir } from './index-helpers.js';

const FOLDER_A = 'aa'.repeat(32);
const FOLDER_B = 'bb'.repeat(32);

function record(p: string, i = 0): FileRecord {
  const data = Buffer.from(`content ${p} ${i}`);
  return {
    path: p,
    kind: 'file',
    size: data.length,
    mtimeMs: 1_700_000_000_000 + i,
    mode: 0o644,
    chunks: [{ hash: hashBuffer(data), size: data.length }],
    deleted: false,
    version: [['device-a', i + 1]],
    changedAt: 1_700_000_000_000 + i,
    origin: 'device-a',
    sig: Buffer.alloc(64, i % 256),
  };
}

function entry(p: string, i = 0): StoredEntry {
  return { record: record(p, i), local: { size: 10 + i, mtimeMs: -5 + i, ino: 2 ** 60 + i * 4096 }, localChanged: i % 2 === 1 };
}

test('round trip, batch delete, reopen, folder isolation, meta, clear', async () => {
  const dir = await tempDir();
  try {
    let store = await IndexStore.open(dir);
    const a = store.folder(FOLDER_A);
    const entries = [entry('a.txt'), entry('dir/ü b.txt', 1), { record: { ...record('gone.txt'), size: 0, chunks: [], deleted: true }, local: null, localChanged: false }];
    await a.putMany(entries);
    await store.folder(FOLDER_B).putMany([entry('b-only.txt')]);
    await a.setMeta('sequence', Buffer.from([1, 2, 3]));
    await a.putMany([entry('a.txt', 2)], ['gone.txt', 'never-existed.txt']);
    await store.close();
    await store.close(); // idempotent

    store = await IndexStore.open(dir);
    const loaded = await store.folder(FOLDER_A).loadAll();
    assert.deepEqual([...loaded.keys()].sort(), ['a.txt', 'dir/ü b.txt']);
    assert.deepEqual(loaded.get('a.txt'), entry('a.txt', 2));
    assert.deepEqual(loaded.get('dir/ü b.txt'), entries[1]);
    assert.equal(loaded.get('a.txt')!.local!.ino, 2 ** 60 + 2 * 4096, 'inode kept exactly');
    assert.deepEqual(await store.folder(FOLDER_A).getMeta('sequence'), Buffer.from([1, 2, 3]));
    assert.equal(await store.folder(FOLDER_A).getMeta('missing'), undefined);
    assert.deepEqual([...(await store.folder(FOLDER_B).loadAll()).keys()], ['b-only.txt']);

    await store.folder(FOLDER_A).clear();
    assert.equal((await store.folder(FOLDER_A).loadAll()).size, 0);
    assert.equal(await store.folder(FOLDER_A).getMeta('sequence'), undefined);
    assert.equal((await store.folder(FOLDER_B).loadAll()).size, 1, 'other folders untouched');
    await store.close();
  } finally {
    await removeDir(dir);
  }
});

test('paths that look like meta keys do not collide with meta', async () => {
  const dir = await tempDir();
  const store = await IndexStore.open(dir);
  try {
    const f = store.folder(FOLDER_A);
    await f.setMeta('x', Buffer.from('meta'));
    await f.putMany([entry('!m!x'), entry('m')]);
    assert.deepEqual([...(await f.loadAll()).keys()].sort(), ['!m!x', 'm']);
    assert.deepEqual(await f.getMeta('x'), Buffer.from('meta'));
  } finally {
    await store.close();
    await removeDir(dir);
  }
});

test('10,000 entries load back complete', async () => {
  const dir = await tempDir();
  const store = await IndexStore.open(dir);
  try {
    const f = store.folder(FOLDER_A);
    const all = Array.from({ length: 10_000 }, (_, i) => entry(`folder${i % 50}/file-${i}.dat`, i));
    await f.putMany(all);
    const loaded = await f.loadAll();
    assert.equal(loaded.size, 10_000);
    assert.deepEqual(loaded.get('folder7/file-9957.dat'), all[9957]);
    assert.equal((await f.load()).length, 10_000);
  } finally {
    await store.close();
    await removeDir(dir);
  }
});

test('a custom codec stores another shape; undecodable values are skipped and listed', async () => {
  const dir = await tempDir();
  const store = await IndexStore.open(dir);
  try {
    const codec: EntryCodec<{ path: string; n: number }> = {
      key: (e) => e.path,
      encode: (e) => Buffer.from([e.n]),
      decode: (b) => {
        if (b[0] === 255) throw new ShoalError('PROTOCOL_ERROR', 'bad');
        return { path: '?', n: b[0]! };
      },
    };
    const f = store.folder(FOLDER_A, codec);
    await f.save([{ path: 'one', n: 1 }, { path: 'bad', n: 255 }]);
    const loaded = await f.loadAll();
    assert.deepEqual([...loaded.entries()], [['one', { path: '?', n: 1 }]]);
    assert.deepEqual(f.corrupt, ['bad']);
  } finally {
    await store.close();
    await removeDir(dir);
  }
});

test('bad folder ids and a second opener are refused', async () => {
  const dir = await tempDir();
  const store = await IndexStore.open(dir);
  try {
    assert.throws(() => store.folder('not hex!'), (e) => e instanceof ShoalError && e.code === 'BAD_REQUEST');
    await assert.rejects(IndexStore.open(dir), (e) => e instanceof ShoalError && e.code === 'IO_ERROR');
  } finally {
    await store.close();
    await removeDir(dir);
  }
});

test('an index written under another chunk hash (or none named) is dropped at open', async () => {
  const dir = await tempDir();
  try {
    let store = await IndexStore.open(dir);
    assert.equal(store.rebuilt, false, 'a new index is not "rebuilt"');
    await store.folder(FOLDER_A).putMany([entry('a.txt')]);
    await store.close();

    store = await IndexStore.open(dir);
    assert.equal(store.rebuilt, false);
    assert.equal((await store.folder(FOLDER_A).loadAll()).size, 1, 'same format: kept');
    await store.close();

    // What an index from before the switch to BLAKE3 looks like: no format key.
    const raw = new Level<string, Buffer>(dir, { keyEncoding: 'utf8', valueEncoding: 'buffer' });
    assert.equal((await raw.get('index-format'))?.toString(), INDEX_FORMAT);
    await raw.del('index-format');
    await raw.close();

    store = await IndexStore.open(dir);
    assert.equal(store.rebuilt, true);
    assert.equal((await store.folder(FOLDER_A).loadAll()).size, 0, 'entries hashed with the old function are gone');
    await store.close();
    store = await IndexStore.open(dir);
    assert.equal(store.rebuilt, false, 'the format key is written once');
    await store.close();
  } finally {
    await removeDir(dir);
  }
});

/**
 * Write-behind of changed entries (model/entry-writer.ts): changes gather into one batch with
 * each path at its latest state, batches are stored in order, a failed write is reported, and
 * closing writes what is left at once.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Entry } from '../engine/model/entry.js';
import { EntryWriter } from '../engine/model/entry-writer.js';
import type { EntryStore } from '../engine/model/host.js';

/** An in-memory store that records each batch it is given (paths and the sizes stored). */
class BatchLog implements EntryStore {
  readonly batches: Array<Array<[string, number]>> = [];
  fail: Error | null = null;
  async load(): Promise<Entry[]> {
    return [];
  }
  async save(put: Entry[]): Promise<void> {
    await new Promise((r) => setTimeout(r, 5)); // a batch takes a while: the next must wait for it
    if (this.fail) throw this.fail;
    this.batches.push(put.map((e) => [e.record.path, e.record.size]));
  }
  async clear(): Promise<void> {}
  async getMeta(): Promise<Buffer | undefined> {
    return undefined;
  }
  async setMeta(): Promise<void> {}
}

const entry = (path: string, size: number): Entry =>
  ({ record: { path, size } as Entry['record'], disk: null, stat: null, localChanged: false }) as Entry;

test('changes gather into one batch, each path once at its latest state; batches stay in order', async () => {
  const entries = new Map<string, Entry>();
  const store = new BatchLog();
  const writer = new EntryWriter(entries, store, (err) => assert.fail(String(err)));
  entries.set('a', entry('a', 1));
  writer.changed('a');
  entries.set('b', entry('b', 2));
  writer.changed('b');
  entries.set('a', entry('a', 3));
  writer.changed('a');
  const first = writer.flush();
  entries.set('c', entry('c', 4));
  writer.changed('c');
  await writer.close();
  await first;
  assert.deepEqual(store.batches, [
    [
      ['a', 3],
      ['b', 2],
    ],
    [['c', 4]],
  ]);
});

test('without an explicit flush a change is written within the batching delay', async () => {
  const entries = new Map([['x', entry('x', 7)]]);
  const store = new BatchLog();
  const writer = new EntryWriter(entries, store, (err) => assert.fail(String(err)));
  writer.changed('x');
  const deadline = Date.now() + 5000;
  while (store.batches.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(store.batches, [[['x', 7]]]);
  await writer.close();
});

test('a failed write goes to the error callback and later batches are still written', async () => {
  const entries = new Map([['x', entry('x', 1)]]);
  const store = new BatchLog();
  const errors: unknown[] = [];
  const writer = new EntryWriter(entries, store, (err) => errors.push(err));
  store.fail = new Error('disk full');
  writer.changed('x');
  await writer.flush();
  assert.equal(errors.length, 1);
  store.fail = null;
  entries.set('y', entry('y', 2));
  writer.changed('y');
  await writer.close();
  assert.deepEqual(store.batches, [[['y', 2]]]);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FolderCounts } from '../engine/model/counts.js';
import type { Entry } from '../engine/model/entry.js';
import { needsUpload } from '../engine/model/queue.js';
import type { FileRecord } from '../engine/model/record.js';

/** A small deterministic generator, so a failure can be replayed. */
function rng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}

function rec(path: string, counter: number, o: { size: number; deleted?: boolean; dir?: boolean }): FileRecord {
  return {
    path,
    kind: o.dir ? 'dir' : 'file',
    size: o.dir ? 0 : o.size,
    mtimeMs: 1,
    mode: 0o644,
    chunks: [],
    deleted: o.deleted ?? false,
    version: [['A', counter]],
    changedAt: counter,
    origin: 'A',
    sig: Buffer.alloc(64),
  };
}

/** The definitions the counts must agree with: a walk over every entry. */
function walk(entries: Map<string, Entry>, peer: { index: Map<string, FileRecord>; complete: boolean }) {
  let files = 0;
  let bytes = 0;
  let upFiles = 0;
  let upBytes = 0;
  for (const e of entries.values()) {
    if (!e.record.deleted && e.record.kind === 'file') {
      files++;
      bytes += e.record.size;
    }
    if (peer.complete && needsUpload(e, peer)) {
      upFiles++;
      upBytes += e.record.size;
    }
  }
  return { files, bytes, upFiles, upBytes };
}

test('folder counts: kept per changed path, equal to a walk over every entry after random changes', () => {
  const next = rng(7);
  const entries = new Map<string, Entry>();
  const counts = new FolderCounts();
  const peer = { index: new Map<string, FileRecord>(), complete: false };
  let counter = 0;
  const paths = Array.from({ length: 40 }, (_, i) => `d${i % 5}/f${i}`);
  for (let step = 0; step < 3000; step++) {
    const p = paths[next(paths.length)]!;
    const op = next(8);
    if (op <= 2) {
      // A new accepted version (a local edit or a peer's change), on disk or not yet.
      const r = rec(p, ++counter, { size: next(1000), deleted: next(6) === 0, dir: next(10) === 0 });
      const onDisk = next(3) !== 0;
      entries.set(p, { record: r, disk: onDisk ? r : (entries.get(p)?.disk ?? null), stat: null, localChanged: false });
      counts.touch(p);
    } else if (op === 3) {
      // The pending version landed.
      const e = entries.get(p);
      if (!e) continue;
      e.disk = e.record;
      counts.touch(p);
    } else if (op <= 5) {
      // The peer announced what it has: ours, an older or a newer version.
      const mine = entries.get(p)?.record;
      const r = mine && next(2) === 0 ? mine : rec(p, next(2) === 0 ? 0 : ++counter, { size: next(1000) });
      peer.index.set(p, r);
      counts.touchPeer('P', p);
    } else if (op === 6 && step === 500) {
      peer.complete = true;
    } else if (op === 7 && next(50) === 0) {
      // The peer reconnects: its index starts empty again.
      counts.peerRemoved('P');
      peer.index.clear();
      counts.peerAdded('P');
    }
    if (next(4) === 0) {
      const want = walk(entries, peer);
      const t = counts.folderTotals(entries);
      const up = counts.uploads(entries, 'P', peer);
      assert.deepEqual({ files: t.files, bytes: t.bytes, upFiles: up.files, upBytes: up.bytes }, want, `step ${step}`);
    }
  }
});

test('folder counts: a store load counts everything again', () => {
  const entries = new Map<string, Entry>();
  const counts = new FolderCounts();
  assert.deepEqual(counts.folderTotals(entries), { files: 0, bytes: 0 });
  for (let i = 0; i < 10; i++) {
    const r = rec(`f${i}`, 1, { size: 100 });
    entries.set(r.path, { record: r, disk: r, stat: null, localChanged: false });
  }
  counts.touchAll();
  assert.deepEqual(counts.folderTotals(entries), { files: 10, bytes: 1000 });
  counts.peerAdded('P');
  assert.deepEqual(counts.uploads(entries, 'P', { index: new Map(), complete: true }), { files: 10, bytes: 1000 });
});

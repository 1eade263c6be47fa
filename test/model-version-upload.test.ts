import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UploadTracker } from '../engine/model/upload-tracker.js';
import type { FileRecord } from '../engine/model/record.js';
import { bumpVersion, compareVersions, mergeVersions, type Ordering, type VersionVector } from '../engine/model/version.js';

/** The textbook definition, with maps: the fast compareVersions must agree with it. */
function referenceCompare(a: VersionVector, b: VersionVector): Ordering {
  const am = new Map(a);
  const bm = new Map(b);
  let aGreater = false;
  let bGreater = false;
  for (const id of new Set([...am.keys(), ...bm.keys()])) {
    const x = am.get(id) ?? 0;
    const y = bm.get(id) ?? 0;
    if (x > y) aGreater = true;
    else if (y > x) bGreater = true;
  }
  return aGreater && bGreater ? 'concurrent' : aGreater ? 'newer' : bGreater ? 'older' : 'equal';
}

test('compareVersions agrees with the definition on thousands of random vectors', () => {
  let seed = 12345; // mulberry32: deterministic, and its low bits are as random as the rest
  const rnd = (n: number) => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) % n;
  };
  const devices = ['AAAA', 'BBBB', 'CCCC', 'DDDD'];
  const randomVector = (): VersionVector => {
    const out: Array<[string, number]> = [];
    for (const d of devices) if (rnd(2)) out.push([d, rnd(4)]); // counters of 0 included
    return out;
  };
  const seen = new Set<Ordering>();
  for (let i = 0; i < 5000; i++) {
    const a = randomVector();
    const b = rnd(8) === 0 ? a : randomVector();
    const got = compareVersions(a, b);
    assert.equal(got, referenceCompare(a, b), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    seen.add(got);
  }
  assert.deepEqual([...seen].sort(), ['concurrent', 'equal', 'newer', 'older']);
});

test('bump and merge give versions that compare as expected', () => {
  const a1 = bumpVersion([], 'A');
  const a2 = bumpVersion(a1, 'A');
  const b1 = bumpVersion(a1, 'B');
  assert.equal(compareVersions(a2, a1), 'newer');
  assert.equal(compareVersions(a1, a2), 'older');
  assert.equal(compareVersions(a2, b1), 'concurrent');
  const merged = mergeVersions(a2, b1);
  assert.equal(compareVersions(merged, a2), 'newer');
  assert.equal(compareVersions(merged, b1), 'newer');
  assert.equal(compareVersions(merged, [...merged]), 'equal');
});

function record(path: string, size: number): FileRecord {
  return { path, size } as FileRecord; // the tracker reads only path, size and identity
}

test('UploadTracker reports progress per peer, at most every 250 ms and once at the end', () => {
  const t = new UploadTracker();
  const r = record('big.bin', 1000);
  assert.equal(t.served(r, 'P1', 100), 100, 'the first chunk is reported');
  assert.equal(t.served(r, 'P1', 100), null, 'then not again within 250 ms');
  assert.equal(t.served(r, 'P2', 100), 100, 'another peer has its own progress');
  assert.equal(t.served(r, 'P1', 800), 1000, 'the end is always reported');
  const [active] = t.active();
  assert.equal(active!.record, r);
  assert.equal(active!.done, 1000);
  assert.deepEqual(active!.peers.sort(), ['P1', 'P2']);
});

test('UploadTracker stays bounded and cheap while thousands of small files are served', () => {
  const t = new UploadTracker();
  const start = process.hrtime.bigint();
  for (let i = 0; i < 20_000; i++) t.served(record(`f${i}.txt`, 10), 'P1', 10);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const active = t.active();
  assert.ok(active.length <= 256, `at most 256 tracked: ${active.length}`);
  assert.ok(active.some((a) => a.record.path === 'f19999.txt'), 'the newest files are the ones kept');
  assert.ok(!active.some((a) => a.record.path === 'f0.txt'), 'the oldest ones made room');
  // Not a benchmark: a generous bound that only a per-file scan of the map would break.
  assert.ok(ms < 2000, `20,000 files served in ${ms.toFixed(0)} ms`);
});

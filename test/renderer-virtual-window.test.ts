import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scrollToReveal, visibleWindow } from '../renderer/src/lib/virtual-window.js';

test('empty list renders nothing', () => {
  assert.deepEqual(visibleWindow({ scrollTop: 0, viewportHeight: 500, rowHeight: 40, count: 0 }), { start: 0, end: 0, offsetTop: 0, totalHeight: 0 });
});

test('top of a long list: visible rows plus overscan below', () => {
  const w = visibleWindow({ scrollTop: 0, viewportHeight: 400, rowHeight: 40, count: 10_000, overscan: 5 });
  assert.deepEqual(w, { start: 0, end: 15, offsetTop: 0, totalHeight: 400_000 });
});

test('middle of the list: overscan on both sides, offset of the first rendered row', () => {
  const w = visibleWindow({ scrollTop: 4000, viewportHeight: 400, rowHeight: 40, count: 10_000, overscan: 5 });
  assert.equal(w.start, 95);
  assert.equal(w.end, 115);
  assert.equal(w.offsetTop, 95 * 40);
  // Partially visible rows count: scrolled by half a row shows one more at the bottom.
  const half = visibleWindow({ scrollTop: 4020, viewportHeight: 400, rowHeight: 40, count: 10_000, overscan: 0 });
  assert.deepEqual([half.start, half.end], [100, 111]);
});

test('rendered rows stay few however long the list is', () => {
  for (const count of [100, 10_000, 1_000_000]) {
    const w = visibleWindow({ scrollTop: count * 10, viewportHeight: 600, rowHeight: 44, count, overscan: 8 });
    assert.ok(w.end - w.start <= Math.ceil(600 / 44) + 1 + 16, `${count}: ${w.end - w.start} rows`);
    assert.ok(w.end <= count);
  }
});

test('scrolled past the end of a list that shrank: clamp to show its last rows', () => {
  const w = visibleWindow({ scrollTop: 100_000, viewportHeight: 400, rowHeight: 40, count: 50, overscan: 2 });
  assert.equal(w.end, 50);
  assert.equal(w.start, 50 - 10 - 2);
  assert.equal(w.totalHeight, 2000);
});

test('short list, tall viewport: everything', () => {
  assert.deepEqual(visibleWindow({ scrollTop: 0, viewportHeight: 1000, rowHeight: 40, count: 3 }), { start: 0, end: 3, offsetTop: 0, totalHeight: 120 });
});

test('scrollToReveal brings a row into view only when needed', () => {
  assert.equal(scrollToReveal(5, 0, 400, 40), null);
  assert.equal(scrollToReveal(20, 0, 400, 40), 20 * 40 + 40 - 400);
  assert.equal(scrollToReveal(2, 400, 400, 40), 80);
});

/**
 * Per-peer request windows (model/peer-windows.ts): requests go out while the window has
 * room, one request always fits, and a full window is refilled only in batches.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PeerWindows } from '../engine/model/peer-windows.js';

const KiB = 1024;

test('a window admits requests up to its size, then refills only once an eighth is free', () => {
  const w = new PeerWindows();
  const window = 1024 * KiB;
  let sent = 0;
  while (w.admits('p', 128 * KiB, window)) {
    w.sent('p', 128 * KiB);
    sent++;
    assert.ok(sent <= 8, 'never more than the window');
  }
  assert.equal(sent, 8);
  assert.equal(w.inFlight('p'), window);
  // Half an eighth back: still closed; a whole eighth back: open again.
  w.settled('p', 64 * KiB);
  assert.equal(w.admits('p', 64 * KiB, window), false, 'less than an eighth free: the window stays closed');
  w.settled('p', 64 * KiB);
  assert.equal(w.admits('p', 128 * KiB, window), true, 'an eighth free: requests go again');
  // Other peers have windows of their own.
  assert.equal(w.admits('q', 128 * KiB, window), true);
  assert.equal(w.inFlight('q'), 0);
});

test('a chunk bigger than the window still goes out when nothing is in flight (slow, rate-limited links)', () => {
  const w = new PeerWindows();
  assert.equal(w.admits('p', 2048 * KiB, 1024 * KiB), true);
  w.sent('p', 2048 * KiB);
  assert.equal(w.admits('p', 1, 1024 * KiB), false);
  w.settled('p', 2048 * KiB);
  assert.equal(w.inFlight('p'), 0);
  assert.equal(w.admits('p', 2048 * KiB, 1024 * KiB), true);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SyncIoGate } from '../engine/util/sync-io.js';

test('sync I/O gate: one slow call (a preemption) does not switch; a run of slow calls does, for a while', async () => {
  const gate = new SyncIoGate(5, 60);
  const slow = performance.now() - 50;
  const fast = (): number => performance.now();
  gate.took(slow);
  assert.equal(gate.allowed, true, 'one slow call');
  gate.took(fast());
  gate.took(slow);
  gate.took(fast());
  gate.took(slow);
  assert.equal(gate.allowed, true, 'slow calls outnumbered by fast ones');
  gate.took(slow);
  gate.took(slow);
  gate.took(slow);
  assert.equal(gate.allowed, false, 'a run of slow calls');
  await new Promise((r) => setTimeout(r, 80));
  assert.equal(gate.allowed, true, 'allowed again after the back-off');
});

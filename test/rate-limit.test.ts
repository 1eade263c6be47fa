import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ShoalError } from '../engine/errors.js';
import { MIN_BURST_BYTES, RateMeter, TokenBucket, type Clock } from '../engine/net/rate-limit.js';

/** Virtual time: timers fire only when the test advances the clock. */
class FakeClock implements Clock {
  t = 0;
  private timers: Array<{ at: number; fn: () => void; id: number }> = [];
  private nextId = 1;
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  }
  clearTimeout(h: unknown): void {
    this.timers = this.timers.filter((x) => x.id !== h);
  }
  get pendingTimers(): number {
    return this.timers.length;
  }
  /** Jump to the next timer and fire it; false when none is pending. */
  fireNext(): boolean {
    if (this.timers.length === 0) return false;
    this.timers.sort((a, b) => a.at - b.at);
    const next = this.timers.shift()!;
    this.t = Math.max(this.t, next.at);
    next.fn();
    return true;
  }
}

const flush = () => new Promise((r) => setImmediate(r));

/** Send `total` bytes in `chunk`-sized takes, one after another, on virtual time. */
async function transfer(bucket: TokenBucket, clock: FakeClock, total: number, chunk: number): Promise<number> {
  const start = clock.now();
  let sent = 0;
  while (sent < total) {
    const n = Math.min(chunk, total - sent);
    const p = bucket.take(n);
    if (p) {
      let done = false;
      void p.then(() => (done = true));
      while (!done) {
        await flush();
        if (!done && !clock.fireNext()) await flush();
      }
    }
    sent += n;
  }
  return clock.now() - start;
}

test('1 MB at 500 kB/s takes about 2 s (virtual time, no sleeping)', async () => {
  const clock = new FakeClock();
  const bucket = new TokenBucket(500_000, clock);
  const ms = await transfer(bucket, clock, 1_000_000, 64 * 1024);
  assert.ok(ms >= 1990 && ms <= 2020, `took ${ms} ms`);
});

test('after an idle period up to one burst (1 s of rate) goes at once, then the rate holds', async () => {
  const clock = new FakeClock();
  const bucket = new TokenBucket(500_000, clock);
  clock.t += 10_000; // idle: the bucket fills to its burst, not beyond
  const ms = await transfer(bucket, clock, 1_500_000, 50_000);
  assert.ok(ms >= 1990 && ms <= 2020, `took ${ms} ms`);
});

test('unlimited: take() returns synchronously, no promise', () => {
  const bucket = new TokenBucket(0, new FakeClock());
  for (let i = 0; i < 1000; i++) assert.equal(bucket.take(1 << 20), undefined);
  const limited = new TokenBucket(1_000_000, new FakeClock());
  assert.ok(limited.take(10) instanceof Promise); // starts empty
});

test('the hot path with tokens available is synchronous too', () => {
  const clock = new FakeClock();
  const bucket = new TokenBucket(1_000_000, clock);
  clock.t += 1000;
  assert.equal(bucket.take(500_000), undefined);
  assert.equal(bucket.take(500_000), undefined);
  assert.ok(bucket.take(1) instanceof Promise);
});

test('the burst is at least 64 KiB, so a 64 KiB chunk is never stuck at a tiny rate', async () => {
  const clock = new FakeClock();
  const bucket = new TokenBucket(1000, clock); // 1 kB/s
  const ms = await transfer(bucket, clock, MIN_BURST_BYTES, MIN_BURST_BYTES);
  assert.ok(Math.abs(ms - 65_536) <= 2, `took ${ms}`);
});

test('requests larger than the burst still complete and the average rate holds', async () => {
  const clock = new FakeClock();
  const bucket = new TokenBucket(100_000, clock);
  const ms = await transfer(bucket, clock, 1_000_000, 300_000);
  // The last request goes when the bucket is full again and leaves it in debt.
  assert.ok(ms >= 7_000 && ms <= 10_010, `took ${ms}`);
  const after = await transfer(bucket, clock, 100_000, 100_000);
  assert.ok(after >= 1_000, `debt must be repaid first (${after})`);
});

test('waiters are served in FIFO order', async () => {
  const clock = new FakeClock();
  const bucket = new TokenBucket(100_000, clock);
  const order: number[] = [];
  const ps = [30_000, 10_000, 20_000].map((n, i) => (bucket.take(n) as Promise<void>).then(() => order.push(i)));
  assert.equal(bucket.pending, 3);
  while (clock.fireNext()) await flush();
  await Promise.all(ps);
  assert.deepEqual(order, [0, 1, 2]);
  assert.ok(Math.abs(clock.t - 600) <= 2, `t=${clock.t}`);
});

test('setRate re-times waiters; setRate(0) releases them; close() rejects them', async () => {
  const clock = new FakeClock();
  const bucket = new TokenBucket(1000, clock);
  const slow = bucket.take(50_000) as Promise<void>;
  bucket.setRate(1_000_000); // much faster now
  while (clock.fireNext()) await flush();
  await slow;
  assert.ok(clock.t <= 60, `t=${clock.t}`);

  const waiting = bucket.take(10_000_000) as Promise<void>;
  bucket.setRate(0);
  await waiting; // unlimited: released at once
  assert.equal(clock.pendingTimers, 0);
  assert.equal(bucket.take(1 << 30), undefined);

  bucket.setRate(10);
  const doomed = bucket.take(1000) as Promise<void>;
  bucket.close();
  await assert.rejects(doomed, (e: unknown) => e instanceof ShoalError && e.code === 'SHUTTING_DOWN');
  assert.equal(clock.pendingTimers, 0);
});

test('RateMeter: moving average over the window, decays to 0 when idle', () => {
  const clock = new FakeClock();
  clock.t = 10_000;
  const meter = new RateMeter(3000, 250, clock);
  assert.equal(meter.bytesPerSec(), 0);
  // 1 MB/s steadily for 5 s, in 10 ms steps.
  for (let i = 0; i < 500; i++) {
    clock.t += 10;
    meter.add(10_000);
  }
  assert.ok(Math.abs(meter.bytesPerSec() - 1_000_000) < 50_000, String(meter.bytesPerSec()));
  assert.equal(meter.total, 5_000_000);
  // Half speed for 3 s: the window forgets the old speed.
  for (let i = 0; i < 300; i++) {
    clock.t += 10;
    meter.add(5_000);
  }
  assert.ok(Math.abs(meter.bytesPerSec() - 500_000) < 50_000, String(meter.bytesPerSec()));
  clock.t += 3500;
  assert.equal(meter.bytesPerSec(), 0);
  // A young meter is not under-reported: 100 kB in its first 500 ms is 200 kB/s.
  const young = new RateMeter(3000, 250, clock);
  clock.t += 500;
  young.add(100_000);
  assert.ok(Math.abs(young.bytesPerSec() - 200_000) < 1, String(young.bytesPerSec()));
});

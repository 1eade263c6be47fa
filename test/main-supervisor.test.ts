import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { nodeForkFn } from '../main/node-fork.js';
import { EngineSupervisor, type EngineChild, type SupervisorEvents, type Timers } from '../main/supervisor.js';
import { tempDir, waitFor } from './helpers/engines.js';

/** Manual clock: timers run only when the test advances time. */
class FakeClock implements Timers {
  t = 1_000_000;
  private seq = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  };
  clearTimeout = (h: unknown) => void this.timers.delete(h as number);
  /** Move time forward, running due timers in order (and the microtasks they queue). */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await flush();
      const next = [...this.timers.entries()].sort((a, b) => a[1].at - b[1].at)[0];
      if (!next || next[1].at > end) break;
      this.timers.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
    }
    this.t = end;
    await flush();
  }
  pending(): number {
    return this.timers.size;
  }
}

const flush = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

const READY = (pid: number) => ({ host: 'ready', pid, version: 't', deviceId: 'D', storagePath: '/s', peerPort: 1 });

class FakeChild implements EngineChild {
  static pids = 100;
  readonly pid = FakeChild.pids++;
  readonly sent: unknown[] = [];
  killed = 0;
  exited = false;
  private msgFns: ((m: unknown) => void)[] = [];
  private exitFns: ((code: number | null, signal?: string | null) => void)[] = [];
  /** What to do with a `shutdown` call: answer and exit (default), or ignore it. */
  onShutdown: 'exit' | 'ignore' = 'exit';
  postMessage(m: unknown): void {
    this.sent.push(m);
    const call = m as { t?: string; id?: number; method?: string };
    if (call.t === 'call' && call.method === 'shutdown' && this.onShutdown === 'exit') {
      queueMicrotask(() => {
        this.emit({ t: 'result', id: call.id, value: { stopping: true } });
        setImmediate(() => this.exit(0));
      });
    }
  }
  onMessage(fn: (m: unknown) => void): void {
    this.msgFns.push(fn);
  }
  onExit(fn: (code: number | null, signal?: string | null) => void): void {
    this.exitFns.push(fn);
  }
  kill(): void {
    this.killed++;
    queueMicrotask(() => this.exit(null, 'SIGTERM'));
  }
  emit(m: unknown): void {
    for (const fn of this.msgFns) fn(m);
  }
  ready(): void {
    this.emit(READY(this.pid));
  }
  exit(code: number | null, signal: string | null = null): void {
    if (this.exited) return;
    this.exited = true;
    for (const fn of this.exitFns) fn(code, signal);
  }
}

function harness(opts: Partial<ConstructorParameters<typeof EngineSupervisor>[0]> = {}) {
  const clock = new FakeClock();
  const children: FakeChild[] = [];
  const events: { [K in keyof SupervisorEvents]?: SupervisorEvents[K][] } = {};
  const sup = new EngineSupervisor({
    fork: () => {
      const c = new FakeChild();
      children.push(c);
      return c;
    },
    timers: clock,
    ...opts,
  });
  for (const name of ['ready', 'down', 'restarting', 'gaveUp', 'state'] as const) {
    sup.on(name, (p) => ((events[name] ??= [] as never[]) as unknown[]).push(p));
  }
  return { clock, children, events, sup };
}

test('supervisor: ready handshake, then main has a working engine client', async () => {
  const { sup, children, events } = harness();
  sup.start();
  assert.equal(sup.state, 'starting');
  assert.equal(sup.client, null, 'no client before ready');
  children[0]!.emit({ t: 'event', name: 'status', payload: {} }); // RPC traffic before ready is not a handshake
  assert.equal(sup.state, 'starting');
  children[0]!.ready();
  assert.equal(sup.state, 'running');
  assert.equal(events.ready?.length, 1);
  assert.equal(events.ready![0]!.hello.pid, children[0]!.pid);
  assert.equal(sup.current, children[0]);
  // main's client talks over the child's parent link
  const p = sup.client!.call('getVersion', {});
  const call = children[0]!.sent.at(-1) as { t: string; id: number; method: string };
  assert.equal(call.method, 'getVersion');
  children[0]!.emit({ t: 'result', id: call.id, value: { version: '9' } });
  assert.deepEqual(await p, { version: '9' });
});

test('supervisor: crashes restart with growing backoff, then it gives up with a clear error', async () => {
  const { sup, children, events, clock } = harness({ maxFastCrashes: 6, initialBackoffMs: 500, maxBackoffMs: 30_000 });
  sup.start();
  for (let i = 0; i < 6; i++) {
    assert.equal(children.length, i + 1, `fork #${i + 1}`);
    children[i]!.ready();
    await clock.advance(1000); // runs a second, well under the stable period
    children[i]!.exit(1);
    if (i < 5) {
      const delay = events.restarting!.at(-1)!.delayMs;
      await clock.advance(delay - 1);
      assert.equal(children.length, i + 1, 'no restart before the backoff has passed');
      await clock.advance(1);
    }
  }
  assert.deepEqual(events.restarting!.map((r) => r.delayMs), [500, 1000, 2000, 4000, 8000]);
  assert.equal(sup.state, 'failed');
  assert.equal(events.gaveUp?.length, 1);
  assert.match(events.gaveUp![0]!.error.message, /stopped 6 times in a row.*exit code 1/);
  await clock.advance(120_000);
  assert.equal(children.length, 6, 'no restart after giving up');
  assert.equal(clock.pending(), 0, 'no timers left behind');
  // The user can ask for another try.
  sup.retry();
  assert.equal(children.length, 7);
  assert.equal(sup.state, 'starting');
});

test('supervisor: backoff is capped, and resets after a stable period', async () => {
  const { sup, children, events, clock } = harness({ maxFastCrashes: 20, initialBackoffMs: 500, maxBackoffMs: 3000, stablePeriodMs: 60_000 });
  assert.deepEqual([1, 2, 3, 4, 5, 9].map((n) => sup.backoffFor(n)), [500, 1000, 2000, 3000, 3000, 3000]);
  sup.start();
  const crashAfter = async (ms: number) => {
    const c = children.at(-1)!;
    c.ready();
    await clock.advance(ms);
    c.exit(1);
    await clock.advance(events.restarting!.at(-1)!.delayMs);
  };
  await crashAfter(10);
  await crashAfter(10);
  await crashAfter(10);
  assert.deepEqual(events.restarting!.map((r) => r.delayMs), [500, 1000, 2000]);
  await crashAfter(61_000); // ran stably, then crashed: start over
  await crashAfter(10);
  assert.deepEqual(events.restarting!.map((r) => r.delayMs), [500, 1000, 2000, 500, 1000]);
  assert.equal(sup.state, 'starting');
});

test('supervisor: no ready handshake within the timeout counts as a crash', async () => {
  const { sup, children, events, clock } = harness({ readyTimeoutMs: 5000 });
  sup.start();
  await clock.advance(4999);
  assert.equal(children[0]!.killed, 0);
  await clock.advance(1);
  assert.equal(children[0]!.killed, 1, 'killed at the ready timeout');
  assert.equal(events.restarting?.length, 1);
  assert.match(events.restarting![0]!.reason, /no ready message within 5000 ms/);
  await clock.advance(500);
  assert.equal(children.length, 2);
});

test('supervisor: a "failed" message from the host is the reason given', async () => {
  const { sup, children, events, clock } = harness({ maxFastCrashes: 2 });
  sup.start();
  children[0]!.emit({ host: 'failed', error: { code: 'IO_ERROR', message: 'Cannot use the storage folder' } });
  children[0]!.exit(1);
  await clock.advance(500);
  children[1]!.emit({ host: 'failed', error: { code: 'IO_ERROR', message: 'Cannot use the storage folder' } });
  children[1]!.exit(1);
  assert.equal(sup.state, 'failed');
  assert.match(events.gaveUp![0]!.error.message, /IO_ERROR: Cannot use the storage folder \(exit code 1\)/);
});

test('supervisor: a fork that throws is a crash too', async () => {
  let n = 0;
  const clock = new FakeClock();
  const sup = new EngineSupervisor({
    timers: clock,
    maxFastCrashes: 3,
    fork: () => {
      n++;
      throw new Error('spawn ENOENT');
    },
  });
  const gave: Error[] = [];
  sup.on('gaveUp', ({ error }) => gave.push(error));
  sup.start();
  await clock.advance(10_000);
  assert.equal(n, 3);
  assert.match(gave[0]!.message, /spawn ENOENT/);
});

test('supervisor: stop() asks the engine to shut down over RPC, waits, and never restarts', async () => {
  const { sup, children, events, clock } = harness();
  sup.start();
  children[0]!.ready();
  const stopped = sup.stop();
  assert.equal(sup.stop(), stopped, 'stop() is idempotent');
  assert.equal(sup.state, 'stopping');
  await clock.advance(0);
  await stopped;
  const shutdown = children[0]!.sent.find((m) => (m as { method?: string }).method === 'shutdown');
  assert.ok(shutdown, 'shutdown was sent over RPC');
  assert.equal(children[0]!.killed, 0, 'a clean exit needs no kill');
  assert.equal(sup.state, 'stopped');
  assert.deepEqual(events.down, [{ reason: 'exit code 0', expected: true }]);
  await clock.advance(600_000);
  assert.equal(children.length, 1, 'no restart after stop');
  assert.equal(events.restarting, undefined);
});

test('supervisor: stop() kills an engine that does not exit in time', async () => {
  const { sup, children, clock } = harness({ stopTimeoutMs: 10_000 });
  sup.start();
  children[0]!.ready();
  children[0]!.onShutdown = 'ignore';
  let done = false;
  const stopped = sup.stop().then(() => (done = true));
  await clock.advance(9_999);
  assert.equal(done, false);
  assert.equal(children[0]!.killed, 0);
  await clock.advance(1);
  await stopped;
  assert.equal(children[0]!.killed, 1);
  assert.equal(sup.state, 'stopped');
});

test('supervisor: stop() while waiting to restart cancels the restart; while starting kills at once', async () => {
  const a = harness();
  a.sup.start();
  a.children[0]!.ready();
  a.children[0]!.exit(1);
  assert.equal(a.sup.state, 'waiting');
  await a.sup.stop();
  await a.clock.advance(60_000);
  assert.equal(a.children.length, 1);
  assert.equal(a.sup.state, 'stopped');

  const b = harness();
  b.sup.start();
  const stopped = b.sup.stop();
  await b.clock.advance(0);
  await stopped;
  assert.equal(b.children[0]!.killed, 1, 'a starting engine cannot take RPC: killed');
  assert.equal(b.sup.state, 'stopped');
});

// ---- real processes

function script(body: string): string {
  const dir = tempDir('shoal-sup-');
  const file = path.join(dir, 'child.cjs');
  fs.writeFileSync(file, body);
  return file;
}

const READY_JS = `process.send({ host: 'ready', pid: process.pid, version: 't', deviceId: 'D', storagePath: '/', peerPort: 0 });`;

test('supervisor on real processes: a crashing child is restarted with backoff, then given up on', { timeout: 30_000 }, async () => {
  const file = script(`${READY_JS}\nsetTimeout(() => process.exit(3), 30);\n`);
  const sup = new EngineSupervisor({ fork: nodeForkFn(file, [], { silent: true }), initialBackoffMs: 50, maxFastCrashes: 3 });
  const pids: number[] = [];
  const delays: number[] = [];
  let gaveUp: Error | null = null;
  sup.on('ready', ({ hello }) => pids.push(hello.pid));
  sup.on('restarting', ({ delayMs }) => delays.push(delayMs));
  sup.on('gaveUp', ({ error }) => (gaveUp = error));
  sup.start();
  await waitFor('the supervisor to give up', () => sup.state === 'failed', 20_000);
  assert.equal(pids.length, 3, 'three real processes came up');
  assert.equal(new Set(pids).size, 3, 'each a new process');
  assert.deepEqual(delays, [50, 100]);
  assert.match(String((gaveUp as Error | null)?.message), /exit code 3/);
});

test('supervisor on real processes: stop() is a clean RPC shutdown, or a kill when ignored', { timeout: 30_000 }, async () => {
  const polite = script(
    `${READY_JS}\nprocess.on('message', (m) => { if (m && m.t === 'call' && m.method === 'shutdown') { process.send({ t: 'result', id: m.id, value: { stopping: true } }); setTimeout(() => process.exit(0), 20); } });\n`,
  );
  const sup = new EngineSupervisor({ fork: nodeForkFn(polite, [], { silent: true }) });
  const downs: SupervisorEvents['down'][] = [];
  sup.on('down', (d) => downs.push(d));
  sup.start();
  await waitFor('ready', () => sup.state === 'running', 10_000);
  const pid = sup.current!.pid!;
  await sup.stop();
  assert.deepEqual(downs, [{ reason: 'exit code 0', expected: true }]);
  assert.throws(() => process.kill(pid, 0), 'the process is gone');

  const stubborn = script(`${READY_JS}\nprocess.on('message', () => {});\nsetInterval(() => {}, 1000);\n`);
  const sup2 = new EngineSupervisor({ fork: nodeForkFn(stubborn, [], { silent: true }), stopTimeoutMs: 300 });
  const downs2: SupervisorEvents['down'][] = [];
  sup2.on('down', (d) => downs2.push(d));
  sup2.start();
  await waitFor('ready', () => sup2.state === 'running', 10_000);
  const t0 = Date.now();
  await sup2.stop();
  assert.ok(Date.now() - t0 >= 290, 'waited for the clean exit first');
  assert.deepEqual(downs2, [{ reason: 'killed by SIGKILL', expected: true }]);
  assert.equal(sup2.state, 'stopped');
});

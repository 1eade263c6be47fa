import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WebSocketLike } from '../engine/api/rpc/websocket-channel.js';
import { backoffDelay } from '../renderer/src/bridge/backoff.js';
import { createBrowserBridge } from '../renderer/src/bridge/browser-bridge.js';
import { webSocketUrl } from '../renderer/src/bridge/gui-urls.js';
import type { Timers } from '../renderer/src/state/throttle.js';

/** A scriptable stand-in for the browser's WebSocket; answers calls like a tiny engine. */
class FakeSocket implements WebSocketLike {
  readyState = 0;
  sent: unknown[] = [];
  private fns = new Map<string, ((ev: never) => void)[]>();
  constructor(readonly url: string, private readonly answer: (method: string, params: unknown) => unknown) {}
  addEventListener(type: string, fn: (ev: never) => void): void {
    this.fns.set(type, [...(this.fns.get(type) ?? []), fn]);
  }
  private fire(type: string, ev: unknown): void {
    for (const fn of this.fns.get(type) ?? []) fn(ev as never);
  }
  send(text: string): void {
    const msg = JSON.parse(text) as { t: string; id: number; method: string; params: unknown };
    this.sent.push(msg);
    if (msg.t !== 'call') return;
    queueMicrotask(() => {
      const value = this.answer(msg.method, msg.params);
      const failed = typeof value === 'object' && value !== null && 'error' in value;
      this.message(failed ? { t: 'error', id: msg.id, error: (value as { error: unknown }).error } : { t: 'result', id: msg.id, value });
    });
  }
  close(): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.fire('close', { code: 1000 });
  }
  open(): void {
    this.readyState = 1;
    this.fire('open', {});
  }
  message(msg: unknown): void {
    this.fire('message', { data: JSON.stringify(msg) });
  }
  /** The browser's order on a failure: 'error', then 'close' with the code. */
  drop(code = 1006): void {
    this.readyState = 3;
    this.fire('error', {});
    this.fire('close', { code });
  }
  serverClose(code: number): void {
    this.readyState = 3;
    this.fire('close', { code });
  }
}

function fakeTimers(): Timers & { advance(ms: number): void; pending(): number[] } {
  let now = 0;
  let id = 1;
  const due = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout: (fn, ms) => (due.set(id, { at: now + ms, fn }), id++),
    clearTimeout: (h) => void due.delete(h as number),
    pending: () => [...due.values()].map((t) => t.at - now),
    advance(ms) {
      const end = now + ms;
      for (;;) {
        const next = [...due.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
        if (!next) break;
        due.delete(next[0]);
        now = next[1].at;
        next[1].fn();
      }
      now = end;
    },
  };
}

const settle = () => new Promise((r) => setImmediate(r));

function setup(opts: { expired?: boolean } = {}) {
  const sockets: FakeSocket[] = [];
  const timers = fakeTimers();
  let logins = 0;
  let probes = 0;
  const bridge = createBrowserBridge({
    url: 'ws://daemon:8888/gui/ws',
    makeSocket: (url) => {
      const s = new FakeSocket(url, (method) => {
        if (method === 'getVersion') return { version: `v${sockets.length}` };
        if (method === 'removeFolder') return { error: { code: 'FOLDER_NOT_FOUND', message: 'No such folder.' } };
        return {};
      });
      sockets.push(s);
      return s;
    },
    sessionExpired: async () => (probes++, opts.expired ?? false),
    goToLogin: () => void logins++,
    timers,
    random: () => 0.5,
    backoff: { baseMs: 500, maxMs: 8000 },
  });
  const connection: boolean[] = [];
  bridge.onConnection((c) => connection.push(c));
  return { bridge, sockets, timers, connection, logins: () => logins, probes: () => probes };
}

test('backoff doubles, is bounded, and jitters within ±20 %', () => {
  const mid = { random: () => 0.5 };
  assert.deepEqual([0, 1, 2, 3, 4, 5, 10, 100].map((a) => backoffDelay(a, { baseMs: 500, maxMs: 10_000, ...mid })), [500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
  assert.equal(backoffDelay(0, { baseMs: 500, random: () => 0 }), 400);
  assert.equal(backoffDelay(0, { baseMs: 500, random: () => 1 }), 600);
  assert.equal(backoffDelay(20, { maxMs: 10_000, random: () => 1 }), 10_000, 'never above the bound');
});

test('the WebSocket URL follows the page origin', () => {
  assert.equal(webSocketUrl({ protocol: 'http:', host: '192.168.1.5:8888' }), 'ws://192.168.1.5:8888/gui/ws');
  assert.equal(webSocketUrl({ protocol: 'https:', host: 'nas.local' }), 'wss://nas.local/gui/ws');
});

test('calls before the socket opens are sent once it opens; results come back as outcomes', async () => {
  const { bridge, sockets, connection } = setup();
  assert.equal(bridge.shell, 'browser');
  assert.equal(bridge.native, null);
  const pending = bridge.call('getVersion', {});
  sockets[0]!.open();
  assert.deepEqual(await pending, { ok: true, value: { version: 'v1' } });
  assert.deepEqual(connection, [true]);
  assert.equal(sockets[0]!.url, 'ws://daemon:8888/gui/ws');
});

test('engine errors come back as { ok: false, error } with the code', async () => {
  const { bridge, sockets } = setup();
  sockets[0]!.open();
  assert.deepEqual(await bridge.call('removeFolder', { secret: 'x' }), { ok: false, error: { code: 'FOLDER_NOT_FOUND', message: 'No such folder.' } });
});

test('a lost connection is reported, retried with backoff, and listeners survive the reconnect', async () => {
  const { bridge, sockets, timers, connection, logins } = setup();
  const seen: number[] = [];
  bridge.on('syncFinished', (p) => seen.push(p.at));
  sockets[0]!.open();
  sockets[0]!.message({ t: 'event', name: 'syncFinished', payload: { folder: 'f', dir: '/a', at: 1 } });
  sockets[0]!.drop();
  assert.deepEqual(connection, [true, false]);
  // While down, calls fail at once with a connection code (the UI shows the banner instead).
  const down = await bridge.call('getVersion', {});
  assert.equal(down.ok, false);
  assert.equal(!down.ok && down.error.code, 'SHUTTING_DOWN');
  assert.equal(sockets.length, 1);
  timers.advance(499);
  assert.equal(sockets.length, 1);
  timers.advance(1);
  assert.equal(sockets.length, 2, 'retried after the first backoff step');
  sockets[1]!.open();
  assert.deepEqual(connection, [true, false, true]);
  sockets[1]!.message({ t: 'event', name: 'syncFinished', payload: { folder: 'f', dir: '/a', at: 2 } });
  assert.deepEqual(seen, [1, 2]);
  assert.deepEqual(await bridge.call('getVersion', {}), { ok: true, value: { version: 'v2' } });
  assert.equal(logins(), 0);
});

test('failed attempts back off further; a successful open resets the backoff', async () => {
  const { sockets, timers, probes } = setup();
  sockets[0]!.drop(); // refused before opening
  await settle();
  assert.equal(probes(), 1, 'asked whether the session is gone');
  timers.advance(500);
  assert.equal(sockets.length, 2);
  sockets[1]!.drop();
  await settle();
  timers.advance(999);
  assert.equal(sockets.length, 2);
  timers.advance(1);
  assert.equal(sockets.length, 3);
  sockets[2]!.open();
  sockets[2]!.drop();
  await settle();
  timers.advance(500);
  assert.equal(sockets.length, 4, 'back to the first step after a good connection');
});

test('closed because the session ended (4001): go to the sign-in page, no retry', async () => {
  const { sockets, timers, logins } = setup();
  sockets[0]!.open();
  sockets[0]!.serverClose(4001);
  await settle();
  assert.equal(logins(), 1);
  timers.advance(60_000);
  assert.equal(sockets.length, 1);
});

test('refused while the session is gone: go to the sign-in page', async () => {
  const { sockets, timers, logins } = setup({ expired: true });
  sockets[0]!.drop();
  await settle();
  assert.equal(logins(), 1);
  timers.advance(60_000);
  assert.equal(sockets.length, 1);
});

test('dispose stops reconnecting', async () => {
  const { bridge, sockets, timers } = setup();
  sockets[0]!.open();
  sockets[0]!.drop();
  bridge.dispose();
  timers.advance(60_000);
  assert.equal(sockets.length, 1);
});

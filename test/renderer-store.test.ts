import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CallOutcome } from '../engine/api/bridge.js';
import type { DeviceInfo, EngineEvents, EngineStatus, EventName, FolderInfo, HistoryEntry, MethodName, MethodParams, TransferInfo } from '../engine/api/contract.js';
import { HISTORY_CAP, initialAppState } from '../renderer/src/state/app-state.js';
import { mergeHistory } from '../renderer/src/state/history.js';
import { applyEvents } from '../renderer/src/state/reducers.js';
import { createAppStore } from '../renderer/src/state/store.js';
import { startSync, type SyncBridge } from '../renderer/src/state/sync.js';
import { throttle, type Timers } from '../renderer/src/state/throttle.js';

const folder = (dir: string, extra: Partial<FolderInfo> = {}): FolderInfo => ({
  dir,
  secret: `A${dir.length}`,
  size: 0,
  type: 'read_write',
  files: 0,
  error: 0,
  error_code: null,
  error_message: null,
  indexing: 0,
  down_bytes: 0,
  up_bytes: 0,
  ...extra,
});

const entry = (seq: number, extra: Partial<HistoryEntry> = {}): HistoryEntry => ({ seq, kind: 'added', folder: 'f1', dir: '/a', path: `file${seq}`, device: '', at: seq * 1000, ...extra });

const status = (extra: Partial<EngineStatus> = {}): EngineStatus => ({
  device_id: 'd0',
  device_name: 'me',
  paused: false,
  speed: { download: 0, upload: 0 },
  state: 'idle',
  folders: 1,
  transfers: 0,
  peers: 0,
  errors: 0,
  ...extra,
});

test('mergeHistory: newest first, deduplicated by seq, capped', () => {
  let h = mergeHistory([], [entry(1), entry(3), entry(2)], 10);
  assert.deepEqual(h.map((e) => e.seq), [3, 2, 1]);
  h = mergeHistory(h, [entry(4)], 10);
  assert.deepEqual(h.map((e) => e.seq), [4, 3, 2, 1]);
  // A refetch after a reconnect overlaps what events already brought.
  h = mergeHistory(h, [entry(6), entry(5), entry(4), entry(3)], 10);
  assert.deepEqual(h.map((e) => e.seq), [6, 5, 4, 3, 2, 1]);
  h = mergeHistory(h, [entry(7), entry(8)], 4);
  assert.deepEqual(h.map((e) => e.seq), [8, 7, 6, 5]);
  const many = Array.from({ length: HISTORY_CAP + 500 }, (_, i) => entry(i + 1));
  const capped = mergeHistory([], many, HISTORY_CAP);
  assert.equal(capped.length, HISTORY_CAP);
  assert.equal(capped[0]!.seq, HISTORY_CAP + 500);
});

type Ev = { [E in EventName]: [E, EngineEvents[E]] }[EventName];

test('a sequence of events builds the expected state', () => {
  const start = { ...initialAppState(), folders: [folder('/a'), folder('/b')] };
  const events: Ev[] = [
    ['status', status({ paused: true, speed: { download: 10, upload: 20 } })],
    ['history', entry(1)],
    ['history', entry(2, { kind: 'deleted', device: 'laptop' })],
    ['history', entry(2)], // duplicate seq: ignored
    ['folderState', { folder: 'f1', dir: '/a', indexing: true, error: null }],
    ['folderState', { folder: 'f2', dir: '/b', indexing: false, error: { code: 'FOLDER_PATH_MISSING', message: 'The folder /b is gone.' } }],
    ['peerConnected', { peerId: 'p1', name: 'laptop', address: '10.0.0.2:4000', lan: true, folders: ['f1'] }],
    ['peerConnected', { peerId: 'p1', name: 'laptop', address: '10.0.0.2:4000', lan: true, folders: ['f1'] }],
    ['peerConnected', { peerId: 'p2', name: 'phone', address: '10.0.0.3:4000', lan: true, folders: ['f1'] }],
    ['speed', { download: 1000, upload: 5, peers: [{ id: 'p1', download: 1000, upload: 5 }] }],
    ['transferProgress', { folder: 'f1', path: 'big.bin', direction: 'down', peerId: 'p1', bytesDone: 100, bytesTotal: 1000 }],
    ['transferProgress', { folder: 'f1', path: 'big.bin', direction: 'down', peerId: 'p2', bytesDone: 400, bytesTotal: 1000 }],
    ['transferProgress', { folder: 'f1', path: 'small.txt', direction: 'up', peerId: 'p2', bytesDone: 1, bytesTotal: 10 }],
    ['transferProgress', { folder: 'f1', path: 'small.txt', direction: 'up', peerId: 'p2', bytesDone: 10, bytesTotal: 10 }],
    ['peerDisconnected', { peerId: 'p2', name: 'phone', reason: 'closed' }],
    ['error', { code: 'DISK_FULL', message: 'The disk is full.', folder: 'f1' }],
    ['error', { code: 'DISK_FULL', message: 'The disk is full.', folder: 'f1' }],
    ['foldersChanged', { reason: 'added' }], // a refetch trigger only
  ];
  const s = applyEvents(start, events);
  assert.equal(s.status?.paused, true);
  assert.deepEqual(s.speed, { download: 1000, upload: 5 });
  assert.deepEqual(s.history.map((e) => [e.seq, e.kind]), [[2, 'deleted'], [1, 'added']]);
  assert.equal(s.folders[0]!.indexing, 1);
  assert.equal(s.folders[1]!.error_code, 'FOLDER_PATH_MISSING');
  assert.equal(s.folders[1]!.error_message, 'The folder /b is gone.');
  assert.notEqual(s.folders[1]!.error, 0);
  assert.deepEqual(s.devices.map((d) => d.id), ['p1']);
  assert.deepEqual(s.peerSpeeds, { p1: { download: 1000, upload: 5 } });
  assert.equal(s.transfers.length, 1, 'the finished upload is gone');
  const t = s.transfers[0]!;
  assert.deepEqual([t.path, t.direction, t.done, t.size], ['big.bin', 'down', 400, 1000]);
  assert.deepEqual(t.peers.map((p) => p.name), ['laptop', 'phone']);
  assert.equal(t.dir, '/a', 'the folder path is found from history');
  assert.equal(s.notices.length, 1, 'the same error twice is one notice');
  assert.equal(s.notices[0]!.code, 'DISK_FULL');
});

test('folderState clears an error; status without paused resumes', () => {
  const s = applyEvents({ ...initialAppState(), folders: [folder('/a', { error: 1, error_code: 'IO_ERROR', error_message: 'x' })] }, [
    ['folderState', { folder: 'f', dir: '/a', indexing: false, error: null }],
    ['status', status({ paused: false })],
  ]);
  assert.equal(s.folders[0]!.error, 0);
  assert.equal(s.folders[0]!.error_message, null);
  assert.equal(s.status?.paused, false);
});

/** A manual clock for throttles and batches. */
function fakeTimers(): Timers & { advance(ms: number): void } {
  let now = 0;
  let nextId = 1;
  const due = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const id = nextId++;
      due.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout(h) {
      due.delete(h as number);
    },
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

test('throttle: leading run, one trailing run for a burst, nothing without triggers', () => {
  const timers = fakeTimers();
  let runs = 0;
  const t = throttle(() => runs++, 300, timers);
  t.run();
  assert.equal(runs, 1);
  for (let i = 0; i < 50; i++) t.run();
  assert.equal(runs, 1);
  timers.advance(299);
  assert.equal(runs, 1);
  timers.advance(1);
  assert.equal(runs, 2);
  timers.advance(10_000);
  assert.equal(runs, 2, 'no trigger, no run: not a polling timer');
  t.run();
  assert.equal(runs, 3);
});

/** A bridge answering from canned data, counting calls, with events and connection pushed by the test. */
function fakeBridge(data: { folders: FolderInfo[]; devices: DeviceInfo[]; transfers: TransferInfo[]; history: HistoryEntry[] }) {
  const calls: string[] = [];
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  const connection = new Set<(c: boolean) => void>();
  const answers: Record<string, () => unknown> = {
    getStatus: () => status(),
    getFolders: () => data.folders,
    getDevices: () => data.devices,
    getTransfers: () => data.transfers,
    getHistory: () => data.history,
    getPrefs: () => ({ device_name: 'me' }),
    getUiPrefs: () => ({ start_at_login: false, notify_sync_finished: true, notify_conflicts: true, notify_new_devices: true, notify_errors: true }),
  };
  const bridge: SyncBridge = {
    async call<M extends MethodName>(method: M, _params: MethodParams<M>): Promise<CallOutcome<M>> {
      calls.push(method);
      const answer = answers[method];
      if (!answer) return { ok: false, error: { code: 'UNKNOWN_METHOD', message: `no ${method}` } };
      return { ok: true, value: answer() } as CallOutcome<M>;
    },
    on(event, fn) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(fn as (p: unknown) => void);
      return () => set.delete(fn as (p: unknown) => void);
    },
    onConnection(fn) {
      connection.add(fn);
      return () => connection.delete(fn);
    },
  };
  return {
    bridge,
    calls,
    emit<E extends EventName>(event: E, payload: EngineEvents[E]) {
      for (const fn of listeners.get(event) ?? []) fn(payload);
    },
    setConnected(c: boolean) {
      for (const fn of connection) fn(c);
    },
  };
}

const settle = () => new Promise((r) => setImmediate(r));

test('sync: initial fetch, events, throttled refetches, refetch all after a reconnect', async () => {
  const data = { folders: [folder('/a')], devices: [] as DeviceInfo[], transfers: [] as TransferInfo[], history: [entry(1)] };
  const fake = fakeBridge(data);
  const timers = fakeTimers();
  const store = createAppStore();
  const sync = startSync(fake.bridge, store, { timers, historyBatchMs: 50 });
  await settle();
  let s = store.getState();
  assert.equal(s.loaded, true);
  assert.equal(s.connection, 'connected');
  assert.deepEqual(s.folders.map((f) => f.dir), ['/a']);
  assert.deepEqual(s.history.map((e) => e.seq), [1]);
  assert.equal(s.uiPrefs?.notify_errors, true);
  const count = (m: string) => fake.calls.filter((c) => c === m).length;
  assert.equal(count('getFolders'), 1);

  // foldersChanged -> folders (and devices) refetched once at once, then throttled.
  data.folders = [folder('/a'), folder('/b')];
  fake.emit('foldersChanged', { reason: 'added' });
  await settle();
  assert.deepEqual(store.getState().folders.map((f) => f.dir), ['/a', '/b']);
  assert.equal(count('getFolders'), 2);

  // A burst of transfer progress: one transfers fetch now, one trailing, not one per event.
  const before = count('getTransfers');
  data.transfers = [{ folder: 'f1', dir: '/a', path: 'x', direction: 'down', size: 10, done: 5, peers: [], speed: 3 }];
  for (let i = 0; i < 100; i++) fake.emit('transferProgress', { folder: 'f1', path: 'x', direction: 'down', peerId: 'p', bytesDone: i, bytesTotal: 1000 });
  await settle();
  assert.equal(count('getTransfers') - before, 1);
  timers.advance(400);
  await settle();
  assert.equal(count('getTransfers') - before, 2);
  assert.deepEqual(store.getState().transfers, data.transfers);

  // History events are applied in one batch.
  for (let i = 2; i <= 500; i++) fake.emit('history', entry(i));
  assert.equal(store.getState().history.length, 1, 'not yet: batched');
  timers.advance(50);
  assert.equal(store.getState().history.length, 500);
  assert.equal(store.getState().history[0]!.seq, 500);

  // Connection lost: banner state; back: everything is fetched again.
  fake.setConnected(false);
  assert.equal(store.getState().connection, 'reconnecting');
  const statusCalls = count('getStatus');
  data.history = [entry(501), entry(500)];
  fake.setConnected(true);
  await settle();
  s = store.getState();
  assert.equal(s.connection, 'connected');
  assert.equal(count('getStatus'), statusCalls + 1);
  assert.equal(s.history.length, 501);
  assert.equal(s.history[0]!.seq, 501);

  // Nothing happens without events: no polling. (First let trailing refetches of earlier
  // triggers run: the devices refetch after the transfer burst is still due.)
  timers.advance(5_000);
  await settle();
  const total = fake.calls.length;
  timers.advance(60_000);
  await settle();
  assert.equal(fake.calls.length, total);
  sync.stop();
  fake.emit('foldersChanged', { reason: 'removed' });
  await settle();
  assert.equal(fake.calls.length, total, 'stopped: events are ignored');
});

test('sync: a method the engine lacks becomes a notice, the rest still loads', async () => {
  const fake = fakeBridge({ folders: [folder('/a')], devices: [], transfers: [], history: [] });
  const original = fake.bridge.call;
  fake.bridge.call = (async (method: MethodName, params: never) =>
    method === 'getDevices' ? { ok: false, error: { code: 'UNKNOWN_METHOD', message: 'Unknown method "getDevices".' } } : original(method, params)) as SyncBridge['call'];
  const store = createAppStore();
  const sync = startSync(fake.bridge, store, { timers: fakeTimers() });
  await settle();
  sync.stop();
  const s = store.getState();
  assert.equal(s.loaded, true);
  assert.equal(s.folders.length, 1);
  assert.deepEqual(s.notices.map((n) => n.code), ['UNKNOWN_METHOD']);
});

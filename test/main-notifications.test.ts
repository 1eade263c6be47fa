import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EngineEvents, UiPrefs } from '../engine/api/contract.js';
import { memoryKnownDevices, NotificationPolicy, type Note } from '../main/notifications.js';
import type { Timers } from '../main/supervisor.js';

class FakeClock implements Timers {
  t = 0;
  private seq = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    this.timers.set(++this.seq, { at: this.t + ms, fn });
    return this.seq;
  };
  clearTimeout = (h: unknown) => void this.timers.delete(h as number);
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const next = [...this.timers.entries()].sort((a, b) => a[1].at - b[1].at)[0];
      if (!next || next[1].at > end) break;
      this.timers.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
    }
    this.t = end;
  }
}

const ALL_ON: UiPrefs = { start_at_login: false, notify_sync_finished: true, notify_conflicts: true, notify_new_devices: true, notify_errors: true };

function setup(prefs: UiPrefs | null = ALL_ON, opts: { maxPerMinute?: number } = {}) {
  const clock = new FakeClock();
  const shown: Note[] = [];
  let current = prefs;
  const policy = new NotificationPolicy({
    show: (n) => shown.push(n),
    prefs: () => current,
    knownDevices: memoryKnownDevices(['known-peer']),
    timers: clock,
    quietMs: 1500,
    maxDelayMs: 8000,
    ...opts,
  });
  return { clock, shown, policy, setPrefs: (p: UiPrefs | null) => (current = p) };
}

const file = (dir: string, i: number, device = 'laptop'): EngineEvents['fileAdded'] => ({ folder: 'f', dir, path: `p${i}.txt`, device, at: i, size: 1 });

test('1000 received files and a sync-finished make one notification', () => {
  const { clock, shown, policy } = setup();
  for (let i = 0; i < 1000; i++) policy.handle('fileAdded', file('/home/ann/Photos', i));
  policy.handle('syncFinished', { folder: 'f', dir: '/home/ann/Photos', at: 1 });
  assert.equal(shown.length, 0, 'waits for a quiet moment');
  clock.advance(1500);
  assert.equal(shown.length, 1);
  assert.deepEqual(shown[0], { kind: 'syncFinished', title: 'Photos is up to date', body: '1,000 files received from other devices.', dir: '/home/ann/Photos' });
  clock.advance(60_000);
  assert.equal(shown.length, 1);
});

test('our own changes finishing syncing are not news', () => {
  const { clock, shown, policy } = setup();
  for (let i = 0; i < 10; i++) policy.handle('fileUpdated', file('/d', i, ''));
  policy.handle('syncFinished', { folder: 'f', dir: '/d', at: 1 });
  clock.advance(10_000);
  assert.equal(shown.length, 0);
});

test('a burst of conflicts in several folders is one notification; a single one names the file', () => {
  const { clock, shown, policy } = setup();
  for (let i = 0; i < 500; i++) policy.handle('conflict', { ...file(i % 2 ? '/a/Docs' : '/a/Music', i), archivedAs: `.SyncArchive/p${i}.txt` });
  clock.advance(1500);
  assert.equal(shown.length, 1);
  assert.equal(shown[0]!.title, '500 conflicts in 2 folders');
  policy.handle('conflict', { ...file('/a/Docs', 1), path: 'report.odt', archivedAs: '.SyncArchive/report.odt' });
  clock.advance(1500);
  assert.equal(shown[1]!.title, 'Conflict in Docs');
  assert.match(shown[1]!.body, /report\.odt/);
  assert.equal(shown[1]!.dir, '/a/Docs');
});

test('events that keep coming are still shown after the maximum delay', () => {
  const { clock, shown, policy } = setup();
  for (let i = 0; i < 100; i++) {
    policy.handle('conflict', { ...file('/x', i), archivedAs: 'a' });
    clock.advance(1000); // never quiet for 1.5 s
  }
  assert.ok(shown.length >= 1 && shown.length <= 13, `shown ${shown.length}`);
  assert.equal(shown[0]!.title, '8 conflicts in x', 'the first one after maxDelayMs');
});

test('new devices: only never-seen ones, merged', () => {
  const { clock, shown, policy } = setup();
  const peer = (peerId: string, name: string): EngineEvents['peerConnected'] => ({ peerId, name, address: '127.0.0.1:1', lan: true, folders: [] });
  policy.handle('peerConnected', peer('known-peer', 'old'));
  policy.handle('peerConnected', peer('p1', 'desk'));
  policy.handle('peerConnected', peer('p2', 'phone'));
  policy.handle('peerConnected', peer('p1', 'desk'));
  clock.advance(2000);
  assert.deepEqual(shown, [{ kind: 'newDevice', title: '2 new devices connected', body: 'desk, phone' }]);
  policy.handle('peerConnected', peer('p2', 'phone'));
  clock.advance(2000);
  assert.equal(shown.length, 1, 'a device seen before is not new again');
});

test('errors: merged, and the same error is not repeated for a while', () => {
  const { clock, shown, policy } = setup();
  for (let i = 0; i < 50; i++) policy.handle('error', { code: 'DISK_FULL', message: 'The disk is full.', folder: 'f1' });
  policy.handle('folderState', { folder: 'f2', dir: '/mnt/usb/Backup', indexing: false, error: { code: 'FOLDER_PATH_MISSING', message: 'The folder is gone.' } });
  clock.advance(1500);
  assert.equal(shown.length, 1);
  assert.equal(shown[0]!.title, 'Shoal: 2 problems need attention');
  policy.handle('error', { code: 'DISK_FULL', message: 'The disk is full.', folder: 'f1' });
  clock.advance(5 * 60_000);
  assert.equal(shown.length, 1, 'same error within 10 minutes: not again');
  clock.advance(6 * 60_000);
  policy.handle('error', { code: 'DISK_FULL', message: 'The disk is full.', folder: 'f1' });
  clock.advance(1500);
  assert.equal(shown.length, 2);
  assert.equal(shown[1]!.body, 'The disk is full.');
});

test('each kind follows its UiPrefs notify_* switch; unknown prefs show nothing', () => {
  const { clock, shown, policy, setPrefs } = setup({ ...ALL_ON, notify_conflicts: false, notify_errors: false });
  policy.handle('conflict', { ...file('/x', 1), archivedAs: 'a' });
  policy.handle('error', { code: 'IO_ERROR', message: 'x' });
  policy.handle('peerConnected', { peerId: 'n1', name: 'n1', address: '', lan: true, folders: [] });
  clock.advance(2000);
  assert.deepEqual(shown.map((n) => n.kind), ['newDevice']);
  // Switched off while pending: dropped at flush time.
  policy.handle('fileAdded', file('/y', 1));
  policy.handle('syncFinished', { folder: 'f', dir: '/y', at: 1 });
  setPrefs({ ...ALL_ON, notify_sync_finished: false });
  clock.advance(2000);
  assert.equal(shown.length, 1);
  setPrefs(null);
  policy.handle('peerConnected', { peerId: 'n2', name: 'n2', address: '', lan: true, folders: [] });
  clock.advance(2000);
  assert.equal(shown.length, 1);
});

test('rate limit: at most N notifications a minute; the rest wait, merged', () => {
  const { clock, shown, policy } = setup(ALL_ON, { maxPerMinute: 2 });
  for (let round = 0; round < 6; round++) {
    policy.handle('conflict', { ...file('/c', round), archivedAs: 'a' });
    policy.handle('error', { code: 'IO_ERROR', message: `e${round}`, folder: String(round) });
    clock.advance(2000);
  }
  assert.equal(shown.length, 2, 'two in the first minute');
  clock.advance(60_000);
  assert.equal(shown.length, 4, 'the waiting ones (merged) once slots free up');
  assert.match(shown[2]!.title + shown[3]!.title, /conflicts in c/);
  clock.advance(10 * 60_000);
  assert.equal(shown.length, 4, 'nothing left over');
});

test('reset() drops what was pending (the engine went away)', () => {
  const { clock, shown, policy } = setup();
  policy.handle('conflict', { ...file('/c', 1), archivedAs: 'a' });
  policy.reset();
  clock.advance(10_000);
  assert.equal(shown.length, 0);
});

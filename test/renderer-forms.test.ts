import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DeviceFolder, FolderInfo, Prefs, UiPrefs } from '../engine/api/contract.js';
import { NOT_YET_AVAILABLE, notYetNote } from '../renderer/src/lib/availability.js';
import { deviceFolderStatus, folderStatus, historyDetail, historyFolderChoices, leftText } from '../renderer/src/lib/derive.js';
import { addFolderErrorField, prefKeyOfError, toErrorData } from '../renderer/src/lib/errors.js';
import { parseHostPort } from '../engine/daemon/address.js';
import { hostPortProblem } from '../renderer/src/lib/host-port.js';
import { ADVANCED_PREFS, CONNECTION_PREFS, GENERAL_PREFS } from '../renderer/src/lib/pref-docs.js';
import { parseDraft, shownValue } from '../renderer/src/lib/prefs-form.js';
import { TABS, indexAfterKey, tabFromHash } from '../renderer/src/lib/tabs.js';

const PREFS: Prefs = {
  device_name: 'desk',
  listening_port: 4000,
  use_upnp: true,
  download_limit: 0,
  upload_limit: 0,
  disk_low_priority: true,
  external_port: 0,
  folder_rescan_interval: 600,
  lan_encrypt_data: true,
  log_size: 10,
  max_file_size_diff_for_patching: 1000,
  max_file_size_for_versioning: 1000,
  rate_limit_local_peers: false,
  recv_buf_size: 5,
  send_buf_size: 5,
  sync_max_time_diff: 600,
  sync_trash_ttl: 30,
};
const UI: UiPrefs = { start_at_login: false, notify_sync_finished: true, notify_conflicts: true, notify_new_devices: true, notify_errors: true };
const DOCS = [...GENERAL_PREFS, ...CONNECTION_PREFS, ...ADVANCED_PREFS];

test('every pref has a documented field; every advanced one the guide lists is there', () => {
  assert.deepEqual(new Set(DOCS.map((d) => d.key)), new Set(Object.keys(PREFS)));
  assert.deepEqual(
    ADVANCED_PREFS.map((d) => d.key),
    ['disk_low_priority', 'external_port', 'folder_rescan_interval', 'lan_encrypt_data', 'log_size', 'max_file_size_diff_for_patching', 'max_file_size_for_versioning', 'rate_limit_local_peers', 'recv_buf_size', 'send_buf_size', 'sync_max_time_diff', 'sync_trash_ttl'],
  );
  for (const d of DOCS) assert.ok(d.description.length > 5, d.key);
  const needsRestart = DOCS.filter((d) => d.applies !== 'now').map((d) => d.key);
  for (const k of ['listening_port', 'recv_buf_size', 'send_buf_size', 'external_port', 'log_size'] as const) assert.ok(needsRestart.includes(k), k);
});

test('parseDraft: only changed keys, numbers checked, ui prefs split out', () => {
  const p = parseDraft(
    { device_name: ' laptop ', listening_port: '4000', download_limit: '250', use_upnp: true, sync_trash_ttl: '7', notify_errors: false, start_at_login: false },
    DOCS,
    PREFS,
    UI,
  );
  assert.deepEqual(p.errors, {});
  assert.deepEqual(p.prefs, { device_name: 'laptop', download_limit: 250, sync_trash_ttl: 7 });
  assert.deepEqual(p.uiPrefs, { notify_errors: false });
});

test('parseDraft: bad numbers and empty names are field errors', () => {
  const p = parseDraft({ listening_port: '70000', upload_limit: '-1', log_size: '0', recv_buf_size: '1.5', device_name: '  ' }, DOCS, PREFS, UI);
  assert.deepEqual(Object.keys(p.errors).sort(), ['device_name', 'listening_port', 'log_size', 'recv_buf_size', 'upload_limit']);
  assert.match(p.errors.listening_port!, /0 to 65535/);
  assert.deepEqual(p.prefs, {});
});

test('shownValue: the draft wins, else the engine value as text', () => {
  assert.equal(shownValue({}, 'listening_port', 4000), '4000');
  assert.equal(shownValue({ listening_port: '12' }, 'listening_port', 4000), '12');
  assert.equal(shownValue({}, 'use_upnp', true), true);
});

test('engine errors land on the right field', () => {
  assert.equal(prefKeyOfError({ code: 'BAD_REQUEST', message: 'setPrefs: prefs.listening_port: must be a port number 0..65535' }), 'listening_port');
  assert.equal(prefKeyOfError({ code: 'BAD_REQUEST', message: 'Too many calls in flight.' }), null);
  assert.equal(prefKeyOfError({ code: 'IO_ERROR', message: 'prefs.x' }), null);
  assert.equal(addFolderErrorField({ code: 'BAD_SECRET', message: 'This is not a valid read-write secret (A…).' }, '/a'), 'secret');
  assert.equal(addFolderErrorField({ code: 'BAD_PATH', message: 'The folder /a does not exist.' }, '/a'), 'dir');
  assert.equal(addFolderErrorField({ code: 'FOLDER_EXISTS', message: '/a is already synced.' }, '/a'), 'dir');
  assert.equal(addFolderErrorField({ code: 'FOLDER_EXISTS', message: 'This folder is already synced (/b).' }, '/a'), 'secret');
  assert.equal(addFolderErrorField({ code: 'BAD_REQUEST', message: 'addFolder: dir: is empty' }, ''), 'dir');
  assert.equal(addFolderErrorField({ code: 'INTERNAL', message: 'x' }, '/a'), 'form');
  assert.deepEqual(toErrorData(new Error('boom')), { code: 'INTERNAL', message: 'boom' });
  assert.deepEqual(toErrorData({ code: 'TIMEOUT', message: 'slow' }), { code: 'TIMEOUT', message: 'slow' });
});

test('host:port validation matches the engine rules', () => {
  for (const ok of ['192.168.1.20:4000', 'nas.local:4000', 'host:1', 'example.com:65535', '[::1]:4000', '[fe80::1]:80', '[2001:db8::8a2e:370:7334]:443', '[::ffff:10.0.0.1]:9']) {
    assert.equal(hostPortProblem(ok), null, ok);
  }
  const bad = ['', 'host', 'host:', 'host:0', 'host:65536', '::1:4000', '[zz::1]:4000', 'under_score:80', 'a b:80', '[1:2:3:4:5:6:7:8:9]:80', '[1::2::3]:80', '[10.0.0.1]:80', '-x.com:80'];
  for (const b of bad) assert.notEqual(hostPortProblem(b), null, b);
  // The same verdict as the engine's own parser on every sample.
  for (const s of [...bad, '1.2.3.4.5:80', '[1:2:3:4:5:6:7::]:1', '[::]:1', 'x.:5', '256.1.1.1:80']) {
    assert.equal(hostPortProblem(s) === null, parseHostPort(s) !== null, s);
  }
});

test('derived texts', () => {
  const f = (extra: Partial<FolderInfo>): FolderInfo => ({ dir: '/a', secret: 'A', size: 0, type: 'read_write', files: 0, error: 0, error_code: null, error_message: null, indexing: 0, down_bytes: 0, up_bytes: 0, ...extra });
  assert.deepEqual(folderStatus(f({})), { kind: 'synced', text: 'Synced' });
  assert.deepEqual(folderStatus(f({ indexing: 1 })), { kind: 'indexing', text: 'Indexing…' });
  assert.deepEqual(folderStatus(f({ down_bytes: 2048 })), { kind: 'syncing', text: '↓ 2 kB left' });
  assert.deepEqual(folderStatus(f({ error: 5, error_message: 'Gone', indexing: 1 })), { kind: 'error', text: 'Gone' });
  assert.equal(leftText(1024, 1024 * 1024), '↓ 1 kB · ↑ 1 MB left');
  assert.equal(leftText(0, 0), '');
  const df = (extra: Partial<DeviceFolder>): DeviceFolder => ({ folder: 'f', dir: '/a', synced: false, download: 0, upload: 0, ...extra });
  assert.equal(deviceFolderStatus(df({ synced: true, download: 5 })), 'Synced');
  assert.equal(deviceFolderStatus(df({ upload: 1536 })), '↑ 1.5 kB left');
  assert.equal(deviceFolderStatus(df({})), 'Syncing…');
  const h = { seq: 1, folder: 'f', dir: '/a', device: '', at: 0 };
  assert.equal(historyDetail({ ...h, kind: 'renamed', path: 'new.txt', from: 'old.txt' }), 'old.txt → new.txt');
  assert.equal(historyDetail({ ...h, kind: 'conflict', path: 'a.txt', from: '.SyncArchive/a.1.txt' }), 'a.txt (other version kept as .SyncArchive/a.1.txt)');
  assert.equal(historyDetail({ ...h, kind: 'sync_finished', path: '' }), 'All files are up to date');
  assert.deepEqual(historyFolderChoices([f({ dir: '/b' })], [{ ...h, kind: 'added', path: 'x' }, { ...h, kind: 'added', path: 'y', dir: '/b' }]), ['/a', '/b']);
});

test('tab keyboard movement wraps and jumps', () => {
  assert.deepEqual(TABS.map((t) => t.testid), ['tab-devices', 'tab-mysync', 'tab-transfers', 'tab-history', 'tab-preferences']);
  assert.equal(indexAfterKey(0, 'ArrowRight', 5), 1);
  assert.equal(indexAfterKey(4, 'ArrowRight', 5), 0);
  assert.equal(indexAfterKey(0, 'ArrowLeft', 5), 4);
  assert.equal(indexAfterKey(2, 'Home', 5), 0);
  assert.equal(indexAfterKey(2, 'End', 5), 4);
  assert.equal(indexAfterKey(2, 'ArrowDown', 5), null);
  assert.equal(indexAfterKey(2, 'ArrowDown', 5, 'vertical'), 3);
  assert.equal(indexAfterKey(0, 'ArrowUp', 3, 'vertical'), 2);
  assert.equal(indexAfterKey(0, 'Enter', 5), null);
});

test('features not available yet are listed in one place', () => {
  assert.ok(notYetNote('use_tracker')?.startsWith('Coming in a later version'));
  assert.match(NOT_YET_AVAILABLE.use_tracker, /trackers/);
  assert.ok(notYetNote('use_relay_server'));
  assert.ok(notYetNote('use_dht'));
  assert.equal(notYetNote('search_lan'), null);
  assert.equal(notYetNote('toString'), null, 'not fooled by Object.prototype');
});

test('a location hash selects a tab (the tray opens Preferences this way)', () => {
  assert.equal(tabFromHash('#/preferences'), 'preferences');
  assert.equal(tabFromHash('#history'), 'history');
  assert.equal(tabFromHash(''), null);
  assert.equal(tabFromHash('#/nope'), null);
});

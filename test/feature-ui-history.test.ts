import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { EngineEvents, HistoryEntry, HistoryKind } from '../engine/api/contract.js';
import { HISTORY_FILE, HistoryStore } from '../engine/history/history-store.js';
import { generateSecret, parseSecret } from '../engine/secrets/secret.js';
import { readIf, share, startEngine, stopAll, tempDir, waitFor, type TestEngine } from './helpers/engines.js';

/**
 * History as the desktop app and the Web UI show it: every add, update, delete, rename and
 * "sync finished", on the device that made the change (device '') and on the one that
 * received it (the maker's name), newest first, kept across restarts; plus UI prefs and the
 * prefs / foldersChanged events.
 */
describe('History, UI prefs and change events', () => {
  const secret = generateSecret();
  const folderId = parseSecret(secret).folderIdHex;
  const dirA = tempDir('shoal-hist-A-data-');
  const dirB = tempDir('shoal-hist-B-data-');
  let a: TestEngine | undefined;
  let b: TestEngine | undefined;
  const live = { A: [] as HistoryEntry[], B: [] as HistoryEntry[] };
  after(() => stopAll([a, b]));

  const history = (t: TestEngine) => t.engine.call('getHistory', {});
  const find = async (t: TestEngine, kind: HistoryKind, rel: string) => (await history(t)).find((h) => h.kind === kind && h.path === rel);
  const waitEntry = async (t: TestEngine, kind: HistoryKind, rel: string): Promise<HistoryEntry> => {
    await waitFor(`${t.name} History has ${kind} ${rel}`, async () => (await find(t, kind, rel)) !== undefined);
    return (await find(t, kind, rel))!;
  };

  function checkEntry(h: HistoryEntry, device: string, dir: string): void {
    assert.equal(h.folder, folderId);
    assert.equal(h.dir, path.resolve(dir));
    assert.equal(h.device, device, `${h.kind} ${h.path} made by ${device || 'this device'}`);
    assert.ok(Math.abs(h.at - Date.now()) < 60_000, 'at is a current time');
  }

  it('a new file: "added" on both sides, sync_finished on the receiver, history events carry the entries', async () => {
    a = await startEngine({ name: 'A' });
    b = await startEngine({ name: 'B' });
    a.engine.on('history', (h) => live.A.push(h));
    b.engine.on('history', (h) => live.B.push(h));
    await share(a, dirA, secret, [b]);
    await share(b, dirB, secret, [a]);
    await waitFor('connected', async () => (await b!.engine.call('getFolderPeers', { secret })).length === 1);

    const data = crypto.randomBytes(150_000);
    fs.writeFileSync(path.join(dirA, 'report.bin'), data);
    checkEntry(await waitEntry(a, 'added', 'report.bin'), '', dirA);
    checkEntry(await waitEntry(b, 'added', 'report.bin'), 'A', dirB);
    const finished = await waitEntry(b, 'sync_finished', '');
    checkEntry(finished, '', dirB);
    assert.ok(live.B.some((h) => h.seq === finished.seq && h.kind === 'sync_finished'), 'the history event carried it');
    const [newest] = await history(b);
    assert.equal(newest!.seq, Math.max(...live.B.map((h) => h.seq)), 'newest first');
  });

  it('an edit: "updated" on both sides', async () => {
    fs.writeFileSync(path.join(dirA, 'report.bin'), 'shorter now');
    checkEntry(await waitEntry(a!, 'updated', 'report.bin'), '', dirA);
    checkEntry(await waitEntry(b!, 'updated', 'report.bin'), 'A', dirB);
  });

  it('a change made on B: "added" with device "" on B and "B" on A', async () => {
    fs.writeFileSync(path.join(dirB, 'from-b.txt'), 'hello from B');
    checkEntry(await waitEntry(b!, 'added', 'from-b.txt'), '', dirB);
    checkEntry(await waitEntry(a!, 'added', 'from-b.txt'), 'B', dirA);
  });

  it('a rename: one "renamed" entry with from, on both sides, and no add or delete for it', async () => {
    const data = crypto.randomBytes(200_000);
    fs.writeFileSync(path.join(dirA, 'before.bin'), data);
    await waitFor('B has before.bin', () => readIf(path.join(dirB, 'before.bin'))?.equals(data) === true);
    fs.renameSync(path.join(dirA, 'before.bin'), path.join(dirA, 'after.bin'));
    const onA = await waitEntry(a!, 'renamed', 'after.bin');
    checkEntry(onA, '', dirA);
    assert.equal(onA.from, 'before.bin');
    const onB = await waitEntry(b!, 'renamed', 'after.bin');
    checkEntry(onB, 'A', dirB);
    assert.equal(onB.from, 'before.bin');
    await new Promise((r) => setTimeout(r, 2500)); // past the time a deletion is held back
    for (const t of [a!, b!]) {
      const all = await history(t);
      assert.equal(all.filter((h) => h.kind === 'deleted' && h.path === 'before.bin').length, 0, `${t.name}: no delete entry for a rename`);
      assert.equal(all.filter((h) => h.kind === 'added' && h.path === 'after.bin').length, 0, `${t.name}: no add entry for a rename`);
    }
  });

  it('a delete: "deleted" on both sides', async () => {
    fs.unlinkSync(path.join(dirA, 'from-b.txt'));
    checkEntry(await waitEntry(a!, 'deleted', 'from-b.txt'), '', dirA);
    checkEntry(await waitEntry(b!, 'deleted', 'from-b.txt'), 'A', dirB);
  });

  it('getHistory filters by folder and limit, newest first with increasing seq', async () => {
    const all = await history(b!);
    assert.ok(all.length >= 6, `B has ${all.length} entries`);
    for (let i = 1; i < all.length; i++) assert.ok(all[i - 1]!.seq > all[i]!.seq, 'newest first, seq decreasing');
    assert.deepEqual(await b!.engine.call('getHistory', { limit: 2 }), all.slice(0, 2));
    assert.deepEqual(await b!.engine.call('getHistory', { folder: folderId }), all);
    assert.deepEqual(await b!.engine.call('getHistory', { folder: 'ab'.repeat(32) }), []);
  });

  it('History, seq and UI prefs survive a restart', async () => {
    const before = await history(b!);
    const ui = await b!.engine.call('getUiPrefs', {});
    assert.deepEqual(ui, { start_at_login: false, notify_sync_finished: true, notify_conflicts: true, notify_new_devices: true, notify_errors: true });
    const seen: Array<EngineEvents['uiPrefs']> = [];
    b!.engine.on('uiPrefs', (p) => seen.push(p));
    const changed = await b!.engine.call('setUiPrefs', { prefs: { start_at_login: true, notify_conflicts: false } });
    assert.deepEqual(changed, { ...ui, start_at_login: true, notify_conflicts: false });
    assert.deepEqual(seen, [changed], 'one uiPrefs event with the new prefs');

    const storage = b!.storage;
    const port = b!.port;
    await b!.engine.close();
    assert.ok(fs.existsSync(path.join(storage, HISTORY_FILE)), 'history is stored under storage_path');
    b = await startEngine({ name: 'B', storage, config: { listening_port: port } });
    assert.deepEqual(await history(b), before, 'the same entries after the restart');
    assert.deepEqual(await b.engine.call('getUiPrefs', {}), changed);

    fs.writeFileSync(path.join(dirA, 'after-restart.txt'), 'new');
    const next = await waitEntry(b, 'added', 'after-restart.txt');
    checkEntry(next, 'A', dirB);
    assert.ok(next.seq > before[0]!.seq, `seq keeps increasing across restarts (${next.seq} > ${before[0]!.seq})`);
  });

  it('a conflict: the losing side records "conflict" with the archived copy and the winner\'s name', async () => {
    const file = 'conflict.txt';
    fs.writeFileSync(path.join(dirA, file), 'base');
    await waitFor('base synced', () => readIf(path.join(dirB, file))?.toString() === 'base');
    // B comes back on another port and dials A only once it has indexed its own edit, so
    // the two edits are concurrent for certain (neither side saw the other's first).
    await b!.engine.call('setFolderHosts', { secret, hosts: [] });
    const storage = b!.storage;
    await b!.engine.close();
    fs.writeFileSync(path.join(dirA, file), 'edit on A (earlier)');
    await waitFor('A indexed its edit', async () => (await a!.engine.call('getFiles', { secret })).some((f) => f.name === file && f.size === 19));
    await new Promise((r) => setTimeout(r, 50));
    fs.writeFileSync(path.join(dirB, file), 'edit on B (later)');
    b = await startEngine({ name: 'B', storage, config: { listening_port: await freePort() } });
    await waitFor('B indexed its edit', async () => (await b!.engine.call('getFiles', { secret })).some((f) => f.name === file && f.size === 17));
    await b.engine.call('setFolderHosts', { secret, hosts: [`127.0.0.1:${a!.port}`] });
    const c = await waitEntry(a!, 'conflict', file);
    checkEntry(c, 'B', dirA);
    assert.ok(c.from?.startsWith('.SyncArchive/conflict'), `from is the archived copy: ${c.from}`);
    assert.equal(readIf(path.join(dirA, c.from!))?.toString(), 'edit on A (earlier)', 'from names the file that holds the losing version');
    assert.equal(readIf(path.join(dirA, file))?.toString(), 'edit on B (later)');
  });

  it('prefs and foldersChanged events follow setPrefs, setFolderPrefs, addFolder and removeFolder', async () => {
    const prefs: Array<EngineEvents['prefs']> = [];
    const folders: Array<EngineEvents['foldersChanged']> = [];
    a!.engine.on('prefs', (p) => prefs.push(p));
    a!.engine.on('foldersChanged', (p) => folders.push(p));
    const set = await a!.engine.call('setPrefs', { prefs: { device_name: 'A renamed' } });
    assert.deepEqual(prefs, [set]);
    assert.equal(prefs[0]!.device_name, 'A renamed');
    await a!.engine.call('setFolderPrefs', { secret, prefs: { use_sync_trash: true } });
    const other = generateSecret();
    const dirOther = tempDir('shoal-hist-other-');
    await a!.engine.call('addFolder', { dir: dirOther, secret: other });
    await a!.engine.call('removeFolder', { secret: other });
    assert.deepEqual(folders, [{ reason: 'prefs' }, { reason: 'added' }, { reason: 'removed' }]);
  });

  it('bad params are refused by the engine with BAD_REQUEST', async () => {
    const e = a!.engine;
    const bad = async (fn: () => Promise<unknown>, what: string) =>
      assert.rejects(fn, (err: { code?: string; message?: string }) => err.code === 'BAD_REQUEST' && typeof err.message === 'string', what);
    await bad(() => e.call('getHistory', { limit: 0 }), 'limit 0');
    await bad(() => e.call('getHistory', { limit: 1.5 }), 'fractional limit');
    await bad(() => e.call('getHistory', { folder: 'not hex!' }), 'folder not an id');
    await bad(() => e.call('setUiPrefs', { prefs: { start_at_login: 'yes' } as never }), 'non-boolean pref');
    await bad(() => e.call('setUiPrefs', { prefs: { notify_everything: true } as never }), 'unknown pref');
    await bad(() => e.call('setPaused', { paused: 'true' } as never), 'paused not a boolean');
    await bad(() => e.call('getSyncQueue', { peerId: 'not an id' }), 'peer id not base32');
    await bad(() => e.call('getSyncQueue', { peerId: 'ABC', limit: -1 }), 'negative limit');
    await assert.rejects(() => e.call('getSyncQueue', { peerId: 'A'.repeat(26) }), { code: 'PEER_GONE' }, 'a device that is not connected');
    assert.deepEqual(await e.call('getUiPrefs', {}), { start_at_login: false, notify_sync_finished: true, notify_conflicts: true, notify_new_devices: true, notify_errors: true }, 'nothing changed');
  });
});

describe('HistoryStore keeps the newest entries in a compacted JSON-lines file', () => {
  const entry = (i: number) => ({ kind: 'added' as const, folder: 'f1', dir: '/d', path: `file${i}`, device: '', at: 1000 + i });

  it('caps memory and file, keeps seq increasing, skips a torn line', async () => {
    const storage = tempDir('shoal-hist-store-');
    const errors: unknown[] = [];
    const s1 = HistoryStore.open(storage, { cap: 5, onError: (e) => errors.push(e) });
    for (let i = 0; i < 23; i++) {
      s1.add(entry(i));
      if (i % 4 === 0) await s1.flush();
    }
    await s1.close();
    const file = path.join(storage, HISTORY_FILE);
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
    assert.ok(lines.length <= 10, `compacted past twice the cap: ${lines.length} lines`);
    assert.deepEqual(s1.list().map((h) => h.path), ['file22', 'file21', 'file20', 'file19', 'file18']);

    fs.appendFileSync(file, '{"seq": 99, "kind": "add'); // a crash in the middle of an append
    const s2 = HistoryStore.open(storage, { cap: 5, onError: (e) => errors.push(e) });
    assert.deepEqual(s2.list().map((h) => h.seq), [23, 22, 21, 20, 19]);
    const next = s2.add(entry(23));
    assert.equal(next.seq, 24);
    await s2.close();
    const s3 = HistoryStore.open(storage, { cap: 5, onError: (e) => errors.push(e) });
    assert.deepEqual(s3.list({ limit: 2 }).map((h) => h.path), ['file23', 'file22']);
    assert.deepEqual(s3.list({ folder: 'other' }), []);
    await s3.close();
    assert.deepEqual(errors, []);
  });
});

/** A port nothing listens on right now (for restarting an engine where peers won't dial it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { defaultConfig } from '../engine/daemon/config.js';
import { generateSecret } from '../engine/secrets/secret.js';
import { readIf, share, startEngine, stopAll, tempDir, waitFor, type TestEngine } from './helpers/engines.js';

/**
 * Config `folder_defaults` apply to folders added through the API, and what is changed
 * through the API (folder switches, known hosts, global prefs such as the device name)
 * survives a restart on the same storage path.
 */
describe('folder_defaults and persisted settings', () => {
  const engines: Array<TestEngine | undefined> = [];
  after(() => stopAll(engines));

  it('folder_defaults from the config apply to a folder added through the API', async () => {
    const folderDefaults = { ...defaultConfig().folder_defaults, use_sync_trash: false, search_lan: false };
    const t = await startEngine({ name: 'D', config: { folder_defaults: folderDefaults } });
    engines.push(t);
    const secret = generateSecret();
    await t.engine.call('addFolder', { dir: tempDir('shoal-fd-data-'), secret });
    const prefs = await t.engine.call('getFolderPrefs', { secret });
    assert.equal(prefs.use_sync_trash, false);
    assert.equal(prefs.search_lan, false);
    assert.deepEqual(prefs, folderDefaults, 'every other switch keeps its default');

    // Prefs given to addFolder win over the defaults, for that folder only.
    const other = generateSecret();
    await t.engine.call('addFolder', { dir: tempDir('shoal-fd-data2-'), secret: other, prefs: { use_sync_trash: true } });
    assert.equal((await t.engine.call('getFolderPrefs', { secret: other })).use_sync_trash, true);
    assert.equal((await t.engine.call('getFolderPrefs', { secret: other })).search_lan, false);
    assert.equal((await t.engine.call('getFolderPrefs', { secret })).use_sync_trash, false);
  });

  it('setFolderPrefs and setFolderHosts survive an engine restart (and use_hosts: false keeps the hosts unused)', async (t0) => {
    // A listener standing in for a predefined host: it counts the connections it gets.
    let dialed = 0;
    const decoy = net.createServer((s) => {
      dialed++;
      s.destroy();
    });
    await new Promise<void>((resolve) => decoy.listen(0, '127.0.0.1', resolve));
    t0.after(() => new Promise<void>((resolve) => decoy.close(() => resolve())));
    const decoyHost = `127.0.0.1:${(decoy.address() as net.AddressInfo).port}`;

    const storage = tempDir('shoal-persist-storage-');
    const dir = tempDir('shoal-persist-data-');
    const secret = generateSecret();
    let t = await startEngine({ name: 'P', storage });
    engines.push(t);
    await t.engine.call('addFolder', { dir, secret });
    const set = await t.engine.call('setFolderPrefs', { secret, prefs: { use_sync_trash: false, use_hosts: false, use_tracker: false } });
    assert.equal(set.use_hosts, false);
    const hosts = [decoyHost, '[::1]:4000'];
    await t.engine.call('setFolderHosts', { secret, hosts });
    const prefsBefore = await t.engine.call('getFolderPrefs', { secret });
    assert.deepEqual(prefsBefore, set);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(dialed, 0, 'use_hosts is off: setting hosts must not dial them');
    await t.engine.close();

    t = await startEngine({ name: 'P', storage });
    engines.push(t);
    const folders = await t.engine.call('getFolders', {});
    assert.equal(folders.length, 1, 'the folder itself persisted');
    assert.equal(folders[0]!.dir, dir);
    assert.deepEqual(await t.engine.call('getFolderPrefs', { secret }), prefsBefore);
    assert.deepEqual((await t.engine.call('getFolderHosts', { secret })).hosts, hosts);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(dialed, 0, 'use_hosts is still off after the restart: the stored hosts are not dialed');

    // Changes on top of persisted ones persist too, and untouched ones stay.
    await t.engine.call('setFolderPrefs', { secret, prefs: { use_sync_trash: true, use_hosts: true } });
    await t.engine.call('setFolderHosts', { secret, hosts: [decoyHost] });
    await waitFor('with use_hosts on, the host is dialed', () => dialed > 0);
    await t.engine.close();
    t = await startEngine({ name: 'P', storage });
    engines.push(t);
    assert.deepEqual(await t.engine.call('getFolderPrefs', { secret }), { ...prefsBefore, use_sync_trash: true, use_hosts: true });
    assert.deepEqual((await t.engine.call('getFolderHosts', { secret })).hosts, [decoyHost]);
  });

  it('a new device_name persists and peers see it after reconnecting', async () => {
    const secret = generateSecret();
    const dirA = tempDir('shoal-name-A-data-');
    const dirB = tempDir('shoal-name-B-data-');
    let a = await startEngine({ name: 'A' });
    const b = await startEngine({ name: 'B' });
    engines.push(a, b);
    await share(a, dirA, secret, [b]);
    await share(b, dirB, secret, [a]);
    const peerName = async () => (await b.engine.call('getFolderPeers', { secret }))[0]?.name;
    await waitFor('B connected to A', async () => (await peerName()) === 'A');

    const prefs = await a.engine.call('setPrefs', { prefs: { device_name: 'X' } });
    assert.equal(prefs.device_name, 'X');
    const storageA = a.storage;
    await a.engine.close();
    await waitFor('B noticed A left', async () => (await b.engine.call('getFolderPeers', { secret })).length === 0);

    // Same storage; the config still says 'A', but the name set through the API wins.
    a = await startEngine({ name: 'A', storage: storageA });
    engines.push(a);
    assert.equal((await a.engine.call('getPrefs', {})).device_name, 'X');
    await waitFor("B sees A's new name", async () => (await peerName()) === 'X', 30_000);
    const bPeers = await b.engine.call('getFolderPeers', { secret });
    assert.equal(bPeers.length, 1);
    assert.equal(bPeers[0]!.id, a.engine.identity.id, 'the same device, renamed');

    // And the new name is what B's events report for A's changes.
    fs.writeFileSync(path.join(dirA, 'after-rename.txt'), 'hi');
    await waitFor('B has after-rename.txt', () => readIf(path.join(dirB, 'after-rename.txt'))?.toString() === 'hi');
    await waitFor('B reported the add', () => b.events.some((e) => e.event === 'fileAdded' && (e.payload as { path: string }).path === 'after-rename.txt'));
    const ev = b.events.find((e) => e.event === 'fileAdded' && (e.payload as { path: string }).path === 'after-rename.txt')!;
    assert.equal((ev.payload as { device: string }).device, 'X');
  });
});

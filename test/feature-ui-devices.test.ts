import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { EngineEvents } from '../engine/api/contract.js';
import { generateSecret, parseSecret } from '../engine/secrets/secret.js';
import { readIf, share, startEngine, stopAll, tempDir, waitFor, type TestEngine } from './helpers/engines.js';

/** B downloads at this rate (kB/s): a few MiB keep it behind for several seconds. */
const LIMIT_KBPS = 400;
const MiB = 1024 * 1024;

/**
 * The Devices tab, the Sync Queue, the Transfers tab and the speed events, while B is behind
 * (its download limit keeps it there) and after it caught up. The numbers must agree with
 * getFolderPeers / getFolders, which the HTTP API reports.
 */
describe('devices, sync queue, transfers and speed', () => {
  const secret = generateSecret();
  const folderId = parseSecret(secret).folderIdHex;
  const dirA = tempDir('shoal-dev-A-data-');
  const dirB = tempDir('shoal-dev-B-data-');
  let a: TestEngine | undefined;
  let b: TestEngine | undefined;
  const speedA: Array<EngineEvents['speed']> = [];
  const speedB: Array<EngineEvents['speed']> = [];
  const files = {
    'one.bin': crypto.randomBytes(2 * MiB),
    'two.bin': crypto.randomBytes(2 * MiB),
    'sub/three.bin': crypto.randomBytes(MiB),
  };
  const total = Object.values(files).reduce((n, d) => n + d.length, 0);
  after(() => stopAll([a, b]));

  const bHasAll = () => Object.entries(files).every(([rel, d]) => readIf(path.join(dirB, rel))?.equals(d) === true);

  it('two connected devices, each listed by the other with its name and address', async () => {
    a = await startEngine({ name: 'A' });
    b = await startEngine({ name: 'B', config: { download_limit: LIMIT_KBPS, rate_limit_local_peers: true } });
    a.engine.on('speed', (s) => speedA.push(s));
    b.engine.on('speed', (s) => speedB.push(s));
    await share(a, dirA, secret, [b]);
    await share(b, dirB, secret, [a]);
    await waitFor('connected', async () => (await b!.engine.call('getDevices', {})).length === 1 && (await a!.engine.call('getDevices', {})).length === 1);
    const [devA] = await b.engine.call('getDevices', {});
    assert.equal(devA!.id, a.engine.identity.id);
    assert.equal(devA!.name, 'A');
    assert.match(devA!.address, /127\.0\.0\.1/);
    assert.equal(devA!.lan, true);
    assert.equal(devA!.connection, 'direct');
    assert.deepEqual(devA!.folders.map((f) => [f.folder, f.dir]), [[folderId, path.resolve(dirB)]]);
  });

  it('while B is behind: queue, devices and peer numbers agree; transfers and speed show the movement', { timeout: 60_000 }, async () => {
    fs.mkdirSync(path.join(dirA, 'sub'));
    for (const [rel, d] of Object.entries(files)) fs.writeFileSync(path.join(dirA, rel), d);
    const idA = a!.engine.identity.id;
    const idB = b!.engine.identity.id;

    await waitFor('B is downloading the three files', async () => {
      const q = await b!.engine.call('getSyncQueue', { peerId: idA });
      return q.download_files === 3 && q.download_bytes < total;
    }, 30_000);

    // Started in one tick, computed from the same state.
    const [qB, peersB, devB, foldersB] = await Promise.all([
      b!.engine.call('getSyncQueue', { peerId: idA }),
      b!.engine.call('getFolderPeers', { secret }),
      b!.engine.call('getDevices', {}),
      b!.engine.call('getFolders', { secret }),
    ]);
    assert.deepEqual(qB.download.map((q) => q.path).sort(), Object.keys(files).sort());
    for (const q of qB.download) {
      assert.equal(q.folder, folderId);
      assert.equal(q.dir, path.resolve(dirB));
      assert.equal(q.size, files[q.path as keyof typeof files].length);
      // A file whose last bytes arrived stays listed (with 0 left) until it is in place.
      assert.ok(q.left >= 0 && q.left <= q.size, `${q.path}: ${q.left} of ${q.size} left`);
    }
    assert.equal(qB.download_bytes, qB.download.reduce((n, q) => n + q.left, 0));
    assert.equal(qB.download_bytes, peersB[0]!.download, 'queue total = PeerInfo.download');
    assert.equal(qB.download_bytes, foldersB[0]!.down_bytes, 'queue total = FolderInfo.down_bytes (one peer)');
    assert.equal(devB[0]!.folders[0]!.download, qB.download_bytes, 'Devices tab agrees');
    assert.equal(devB[0]!.folders[0]!.synced, false);
    assert.equal(qB.upload_files, 0, 'B has nothing A lacks');

    const [qA, peersA, devA] = await Promise.all([
      a!.engine.call('getSyncQueue', { peerId: idB }),
      a!.engine.call('getFolderPeers', { secret }),
      a!.engine.call('getDevices', {}),
    ]);
    assert.ok(qA.upload_files >= 1 && qA.upload_files <= 3, `A has ${qA.upload_files} file(s) to upload`);
    assert.equal(qA.upload_bytes, peersA[0]!.upload, 'queue total = PeerInfo.upload');
    assert.equal(devA[0]!.folders[0]!.upload, qA.upload_bytes);
    assert.equal(qA.download_files, 0);

    const capped = await b!.engine.call('getSyncQueue', { peerId: idA, limit: 1 });
    assert.equal(capped.download.length, 1, 'the list stops at limit');
    assert.equal(capped.download_files, 3, 'the totals count everything');

    await waitFor('B lists a download from A', async () => (await b!.engine.call('getTransfers', {})).some((t) => t.direction === 'down'), 10_000);
    const down = (await b!.engine.call('getTransfers', {})).find((t) => t.direction === 'down')!;
    assert.ok(down.path in files, down.path);
    assert.equal(down.folder, folderId);
    assert.equal(down.size, files[down.path as keyof typeof files].length);
    assert.ok(down.done >= 0 && down.done <= down.size);
    assert.deepEqual(down.peers, [{ id: idA, name: 'A' }]);
    await waitFor('A lists an upload to B', async () => (await a!.engine.call('getTransfers', {})).some((t) => t.direction === 'up'), 10_000);
    const up = (await a!.engine.call('getTransfers', {})).find((t) => t.direction === 'up')!;
    assert.ok(up.path in files, up.path);
    assert.deepEqual(up.peers, [{ id: idB, name: 'B' }]);
    await waitFor('B shows a download speed for the transfer', async () =>
      (await b!.engine.call('getTransfers', {})).some((t) => t.direction === 'down' && t.speed > 0),
    10_000);

    await waitFor('speed events on B show A sending', () => speedB.some((s) => s.download > 0 && s.peers.some((p) => p.id === idA && p.download > 0)), 10_000);
    await waitFor('speed events on A show B receiving', () => speedA.some((s) => s.upload > 0 && s.peers.some((p) => p.id === idB && p.upload > 0)), 10_000);
    for (const s of speedB) assert.equal(s.download, s.peers.reduce((n, p) => n + p.download, 0), 'total = sum of peers');
    await waitFor('the Devices tab shows the speed', async () => ((await b!.engine.call('getDevices', {}))[0]?.download_speed ?? 0) > 0, 10_000);

    // transferProgress in both directions, about these files and the right peer.
    type Progress = EngineEvents['transferProgress'];
    const progress = (t: TestEngine, dir: 'down' | 'up') =>
      t.events.filter((e) => e.event === 'transferProgress').map((e) => e.payload as Progress).filter((p) => p.direction === dir);
    await waitFor('transferProgress up on A and down on B', () => progress(a!, 'up').length > 0 && progress(b!, 'down').length > 0, 10_000);
    for (const p of progress(a!, 'up')) {
      assert.equal(p.peerId, idB);
      assert.ok(p.path in files && p.bytesTotal === files[p.path as keyof typeof files].length && p.bytesDone <= p.bytesTotal);
    }
    for (const p of progress(b!, 'down')) assert.equal(p.peerId, idA);
  });

  it('after sync: synced, empty queues, no transfers, and a zero speed sample', { timeout: 60_000 }, async () => {
    await waitFor('B has every file', bHasAll, 45_000);
    const idA = a!.engine.identity.id;
    const idB = b!.engine.identity.id;
    await waitFor('B: synced with A', async () => (await b!.engine.call('getDevices', {}))[0]?.folders[0]?.synced === true);
    await waitFor('A: synced with B', async () => (await a!.engine.call('getDevices', {}))[0]?.folders[0]?.synced === true);
    const empty = { download: [], upload: [], download_files: 0, upload_files: 0, download_bytes: 0, upload_bytes: 0 };
    assert.deepEqual(await b!.engine.call('getSyncQueue', { peerId: idA }), empty);
    assert.deepEqual(await a!.engine.call('getSyncQueue', { peerId: idB }), empty);
    const [dev] = await b!.engine.call('getDevices', {});
    assert.deepEqual(dev!.folders.map((f) => [f.download, f.upload]), [[0, 0]]);
    await waitFor('no transfers listed any more', async () =>
      (await b!.engine.call('getTransfers', {})).length === 0 && (await a!.engine.call('getTransfers', {})).length === 0,
    10_000);
    await waitFor('a zero speed sample on B after the transfer', () => {
      const last = speedB[speedB.length - 1];
      return last !== undefined && last.download === 0 && last.upload === 0 && last.peers.length === 0;
    }, 10_000);
    assert.deepEqual(await b!.engine.call('getSpeed', {}), { download: 0, upload: 0 });
  });
});

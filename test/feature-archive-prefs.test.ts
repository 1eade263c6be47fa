import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { generateSecret } from '../engine/secrets/secret.js';
import { exists, readIf, share, startEngine, stopAll, tempDir, waitFor, type TestEngine } from './helpers/engines.js';

const DAY_MS = 24 * 3600 * 1000;

/**
 * The preferences that decide what .SyncArchive keeps on the receiving device B:
 * use_sync_trash (per folder), max_file_size_for_versioning and sync_trash_ttl (global).
 * One pair, tests in order.
 */
describe('archive preferences', () => {
  const secret = generateSecret();
  const dirA = tempDir('shoal-arc-A-data-');
  const dirB = tempDir('shoal-arc-B-data-');
  const archB = path.join(dirB, '.SyncArchive');
  let a: TestEngine | undefined;
  let b: TestEngine | undefined;
  after(() => stopAll([a, b]));

  const write = (rel: string, data: string | Buffer) => fs.writeFileSync(path.join(dirA, rel), data);
  const bHas = async (rel: string, data: string | Buffer) => {
    const want = typeof data === 'string' ? Buffer.from(data) : data;
    await waitFor(`B has ${rel}`, () => readIf(path.join(dirB, rel))?.equals(want) === true);
  };
  const archived = (prefix: string): string[] => (exists(archB) ? fs.readdirSync(archB).filter((n) => n.startsWith(prefix)) : []);

  async function restartB(): Promise<void> {
    const storage = b!.storage;
    await b!.engine.close();
    b = await startEngine({ name: 'B', storage });
  }

  it('setup: a synced pair', async () => {
    write('trash-on.txt', 'deleted with trash on');
    write('trash-off.txt', 'deleted with trash off');
    write('overwritten-trash-off.txt', 'v1');
    a = await startEngine({ name: 'A' });
    b = await startEngine({ name: 'B' });
    await share(a, dirA, secret, [b]);
    await share(b, dirB, secret, [a]);
    await bHas('trash-on.txt', 'deleted with trash on');
    await bHas('trash-off.txt', 'deleted with trash off');
    await bHas('overwritten-trash-off.txt', 'v1');
    assert.equal((await b.engine.call('getFolderPrefs', { secret })).use_sync_trash, true, 'archiving is on by default');
  });

  it('use_sync_trash false: a remote delete or overwrite removes the file without archiving it', async () => {
    // Control: with the default the deleted file is archived.
    fs.unlinkSync(path.join(dirA, 'trash-on.txt'));
    await waitFor('B deleted trash-on.txt', () => !exists(path.join(dirB, 'trash-on.txt')));
    assert.equal(readIf(path.join(archB, 'trash-on.txt'))?.toString(), 'deleted with trash on');

    const prefs = await b!.engine.call('setFolderPrefs', { secret, prefs: { use_sync_trash: false } });
    assert.equal(prefs.use_sync_trash, false);
    fs.unlinkSync(path.join(dirA, 'trash-off.txt'));
    await waitFor('B deleted trash-off.txt', () => !exists(path.join(dirB, 'trash-off.txt')));
    assert.deepEqual(archived('trash-off'), [], 'nothing archived');

    write('overwritten-trash-off.txt', 'v2');
    await bHas('overwritten-trash-off.txt', 'v2');
    assert.deepEqual(archived('overwritten-trash-off'), [], 'the overwritten version is not archived');

    await b!.engine.call('setFolderPrefs', { secret, prefs: { use_sync_trash: true } });
  });

  it('max_file_size_for_versioning: an overwritten file above the limit is not archived, a small one is', async () => {
    const bigV1 = crypto.randomBytes(2 * 1024 * 1024);
    const smallV1 = crypto.randomBytes(10 * 1024);
    write('big.bin', bigV1);
    write('small.bin', smallV1);
    await bHas('big.bin', bigV1);
    await bHas('small.bin', smallV1);

    const prefs = await b!.engine.call('setPrefs', { prefs: { max_file_size_for_versioning: 1 } });
    assert.equal(prefs.max_file_size_for_versioning, 1);
    const bigV2 = crypto.randomBytes(2 * 1024 * 1024);
    const smallV2 = crypto.randomBytes(10 * 1024);
    write('big.bin', bigV2);
    write('small.bin', smallV2);
    await bHas('big.bin', bigV2);
    await bHas('small.bin', smallV2);
    assert.deepEqual(archived('big'), [], 'a 2 MB file is over the 1 MB limit: not kept');
    assert.ok(readIf(path.join(archB, 'small.bin'))?.equals(smallV1), 'the 10 KB file is kept');

    // The limit applies to deletions too.
    fs.unlinkSync(path.join(dirA, 'big.bin'));
    await waitFor('B deleted big.bin', () => !exists(path.join(dirB, 'big.bin')));
    assert.deepEqual(archived('big'), [], 'a deleted 2 MB file is not kept either');
    await b!.engine.call('setPrefs', { prefs: { max_file_size_for_versioning: 1000 } });
  });

  it('sync_trash_ttl: archived files older than the TTL are removed by the cleanup the engine runs at start', async () => {
    // Real archived versions on B, then aged: 40 days and 10 days since they were archived.
    write('old.txt', 'old v1');
    await bHas('old.txt', 'old v1');
    write('old.txt', 'old v2');
    await bHas('old.txt', 'old v2');
    fs.mkdirSync(path.join(dirA, 'sub'));
    write('sub/middle.txt', 'middle v1');
    await bHas('sub/middle.txt', 'middle v1');
    write('sub/middle.txt', 'middle v2');
    await bHas('sub/middle.txt', 'middle v2');
    write('fresh.txt', 'fresh v1');
    await bHas('fresh.txt', 'fresh v1');
    write('fresh.txt', 'fresh v2');
    await bHas('fresh.txt', 'fresh v2');
    const oldArch = path.join(archB, 'old.txt');
    const middleArch = path.join(archB, 'sub/middle.txt');
    const freshArch = path.join(archB, 'fresh.txt');
    for (const f of [oldArch, middleArch, freshArch]) assert.ok(exists(f), `${f} archived`);
    const age = (file: string, days: number) => {
      const t = new Date(Date.now() - days * DAY_MS);
      fs.utimesSync(file, t, t);
    };
    age(oldArch, 40);
    age(middleArch, 10);

    assert.equal((await b!.engine.call('getPrefs', {})).sync_trash_ttl, 30, 'default TTL');
    await restartB();
    await waitFor('the 40-day-old version is removed', () => !exists(oldArch));
    // The cleanup is one quick pass over a few files; give it time to reach the rest.
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(exists(middleArch), '10 days old is within the 30-day TTL: kept');
    assert.ok(exists(freshArch), 'a fresh version is kept');
    assert.ok(exists(archB), '.SyncArchive itself stays');

    // A shorter TTL, set through the API, persists and applies at the next start.
    await b!.engine.call('setPrefs', { prefs: { sync_trash_ttl: 5 } });
    await restartB();
    assert.equal((await b!.engine.call('getPrefs', {})).sync_trash_ttl, 5);
    await waitFor('the 10-day-old version is removed with a 5-day TTL', () => !exists(middleArch));
    await waitFor('the emptied archive folder is removed', () => !exists(path.join(archB, 'sub')));
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(exists(freshArch), 'the fresh version is still kept');

    // Sync still works after the restarts.
    write('after.txt', 'still syncing');
    await bHas('after.txt', 'still syncing');
  });
});

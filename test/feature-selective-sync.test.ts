import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { FileEntry } from '../engine/api/contract.js';
import { ShoalError } from '../engine/errors.js';
import { generateSecret } from '../engine/secrets/secret.js';
import { FileAssembler } from '../engine/transfer/assembler.js';
import { exists, readIf, startEngine, stopAll, tempDir, waitFor, type TestEngine } from './helpers/engines.js';

/**
 * Selective sync (BitTorrent Sync's add_folder selective_sync=1 and set_file_prefs): B lists
 * every file of the folder but downloads only the ones chosen on B, and new versions of
 * those; unchoosing one removes it from B only (into B's .SyncArchive), never from A. The
 * choice survives a restart.
 */
describe('selective sync', () => {
  const secret = generateSecret();
  const dirA = tempDir('shoal-sel-A-');
  const dirB = tempDir('shoal-sel-B-');
  const storageB = tempDir('shoal-sel-B-storage-');
  let A: TestEngine | undefined;
  let B: TestEngine | undefined;
  after(async () => {
    await stopAll([A, B]);
    for (const d of [dirA, dirB, storageB]) fs.rmSync(d, { recursive: true, force: true });
  });

  const filesOnB = async (sub?: string): Promise<Map<string, FileEntry>> =>
    new Map((await B!.engine.call('getFiles', { secret, path: sub })).map((f) => [f.name, f]));
  const bHosts = () => ({ secret, hosts: [`127.0.0.1:${A!.port}`] });
  const big = crypto.randomBytes(3 * 1024 * 1024);

  it('lists every file, downloads none until one is chosen', async () => {
    fs.mkdirSync(path.join(dirA, 'sub'));
    fs.writeFileSync(path.join(dirA, 'a.txt'), 'a v1');
    fs.writeFileSync(path.join(dirA, 'sub', 'b.txt'), 'b v1');
    fs.writeFileSync(path.join(dirA, 'big.bin'), big);
    A = await startEngine({ name: 'A' });
    B = await startEngine({ name: 'B', storage: storageB });
    await A.engine.call('addFolder', { dir: dirA, secret });
    await B.engine.call('addFolder', { dir: dirB, secret, prefs: { selective_sync: true } });
    await A.engine.call('setFolderHosts', { secret, hosts: [`127.0.0.1:${B.port}`] });
    await B.engine.call('setFolderHosts', bHosts());

    await waitFor('B lists the files', async () => (await filesOnB()).size === 3 && (await filesOnB('sub')).has('b.txt'));
    const listed = await filesOnB();
    for (const name of ['a.txt', 'big.bin']) {
      assert.equal(listed.get(name)!.download, 0, name);
      assert.equal(listed.get(name)!.state, 'not_downloaded', name);
    }
    assert.equal(listed.get('sub')!.type, 'folder');
    assert.equal((await B.engine.call('getFolderPrefs', { secret })).selective_sync, true);
    assert.deepEqual((await B.engine.call('getFolders', { secret }))[0]!.down_bytes, 0, 'nothing is waiting to download');
    assert.equal(exists(path.join(dirB, 'a.txt')), false);
    assert.equal(exists(path.join(dirB, 'big.bin')), false);
    assert.equal(exists(path.join(dirB, 'sub', 'b.txt')), false);

    const after = new Map((await B.engine.call('setFilePrefs', { secret, path: 'a.txt', download: true })).map((f) => [f.name, f]));
    assert.equal(after.get('a.txt')!.download, 1);
    await waitFor('B has a.txt', () => readIf(path.join(dirB, 'a.txt'))?.toString() === 'a v1');
    await B.engine.call('setFilePrefs', { secret, path: 'sub/b.txt', download: true });
    await waitFor('B has sub/b.txt', () => readIf(path.join(dirB, 'sub', 'b.txt'))?.toString() === 'b v1');
    assert.equal((await filesOnB()).get('a.txt')!.state, 'synced');
  });

  it('new versions of chosen files arrive; other files stay out', async () => {
    fs.writeFileSync(path.join(dirA, 'a.txt'), 'a v2');
    fs.writeFileSync(path.join(dirA, 'c.txt'), 'c v1');
    await waitFor('B has a.txt v2', () => readIf(path.join(dirB, 'a.txt'))?.toString() === 'a v2');
    await waitFor('B lists c.txt', async () => (await filesOnB()).get('c.txt')?.state === 'not_downloaded');
    assert.equal(exists(path.join(dirB, 'c.txt')), false);
    assert.equal(exists(path.join(dirB, 'big.bin')), false);
  });

  it('unchoosing removes the file from this device only: archived here, kept on A', async () => {
    await B!.engine.call('setFilePrefs', { secret, path: 'a.txt', download: false });
    assert.equal(exists(path.join(dirB, 'a.txt')), false, 'gone from B');
    const archived = fs.readdirSync(path.join(dirB, '.SyncArchive'));
    assert.ok(archived.some((n) => n.startsWith('a')), `in B's archive: ${archived.join(', ')}`);
    const row = (await filesOnB()).get('a.txt')!;
    assert.equal(row.download, 0);
    assert.equal(row.state, 'not_downloaded');

    // B's next choice travels on the same connection, after anything B said about a.txt.
    await B!.engine.call('setFilePrefs', { secret, path: 'c.txt', download: true });
    await waitFor('B has c.txt', () => readIf(path.join(dirB, 'c.txt'))?.toString() === 'c v1');
    assert.equal(readIf(path.join(dirA, 'a.txt'))?.toString(), 'a v2', 'A keeps a.txt');
    const onA = (await A!.engine.call('getFiles', { secret })).find((f) => f.name === 'a.txt');
    assert.equal(onA?.state, 'synced', 'A has no deletion of a.txt');
    assert.equal(exists(path.join(dirA, '.SyncArchive')), false, 'nothing was archived on A');
  });

  it('a chosen file renamed on A stays on B under its new name', async () => {
    fs.renameSync(path.join(dirA, 'sub', 'b.txt'), path.join(dirA, 'sub', 'b2.txt'));
    await waitFor('B has sub/b2.txt', () => readIf(path.join(dirB, 'sub', 'b2.txt'))?.toString() === 'b v1');
    await waitFor('sub/b.txt is gone from B', () => !exists(path.join(dirB, 'sub', 'b.txt')));
    const rows = await filesOnB('sub');
    assert.equal(rows.get('b2.txt')!.download, 1);
    assert.equal(rows.get('b2.txt')!.state, 'synced');
    assert.equal(rows.has('b.txt'), false);
  });

  it('the choice survives a restart; errors are clear', async () => {
    await stopAll([B]);
    B = await startEngine({ name: 'B', storage: storageB });
    await B.engine.call('setFolderHosts', bHosts());
    fs.writeFileSync(path.join(dirA, 'c.txt'), 'c v2');
    await waitFor('B gets c.txt v2 after the restart', () => readIf(path.join(dirB, 'c.txt'))?.toString() === 'c v2');
    const rows = await filesOnB();
    assert.equal(rows.get('c.txt')!.download, 1);
    assert.equal(rows.get('a.txt')!.download, 0, 'still unchosen');
    assert.equal(rows.get('big.bin')!.download, 0);
    assert.equal(exists(path.join(dirB, 'a.txt')), false);

    await assert.rejects(B.engine.call('setFilePrefs', { secret, path: 'nope.txt', download: true }), (e: unknown) => e instanceof ShoalError && e.code === 'BAD_PATH');
    await assert.rejects(B.engine.call('setFilePrefs', { secret, path: '../x', download: true }), (e: unknown) => e instanceof ShoalError && e.code === 'BAD_PATH');
    // On A (every file is downloaded there), unchoosing a file is refused with the reason.
    await assert.rejects(A!.engine.call('setFilePrefs', { secret, path: 'a.txt', download: false }), (e: unknown) => e instanceof ShoalError && e.code === 'BAD_REQUEST' && /selective sync/.test(e.message));
  });

  it('unchoosing a file while its download is being put in place removes it once it has landed', async () => {
    const d = crypto.randomBytes(1024 * 1024); // several chunks: put in place by FileAssembler.finalize
    fs.writeFileSync(path.join(dirA, 'd.bin'), d);
    await waitFor('B lists d.bin', async () => (await filesOnB()).has('d.bin'));
    // Hold the download after its rename into place, as a slow folder fsync would.
    const finalize = FileAssembler.prototype.finalize;
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let held = false;
    FileAssembler.prototype.finalize = async function (this: FileAssembler, opts) {
      const landed = await finalize.call(this, opts);
      if (this.record.path === 'd.bin') {
        held = true;
        await gate;
      }
      return landed;
    };
    try {
      await B!.engine.call('setFilePrefs', { secret, path: 'd.bin', download: true });
      await waitFor('d.bin is in place on B, its download not finished', () => held && readIf(path.join(dirB, 'd.bin'))?.equals(d) === true);
      const unchoose = B!.engine.call('setFilePrefs', { secret, path: 'd.bin', download: false });
      await new Promise((r) => setTimeout(r, 100));
      open();
      await unchoose;
    } finally {
      FileAssembler.prototype.finalize = finalize;
      open();
    }
    assert.equal(exists(path.join(dirB, 'd.bin')), false, 'gone from B');
    assert.ok(fs.readdirSync(path.join(dirB, '.SyncArchive')).some((n) => n.startsWith('d')), 'in B\'s archive');
    assert.equal((await filesOnB()).get('d.bin')!.state, 'not_downloaded');
    assert.ok(readIf(path.join(dirA, 'd.bin'))?.equals(d), 'A keeps d.bin');
  });

  it('turning selective sync off downloads the rest', async () => {
    await B!.engine.call('setFolderPrefs', { secret, prefs: { selective_sync: false } });
    await waitFor('B has big.bin and a.txt', () => readIf(path.join(dirB, 'big.bin'))?.equals(big) === true && readIf(path.join(dirB, 'a.txt'))?.toString() === 'a v2');
    assert.equal((await filesOnB()).get('big.bin')!.download, 1);
  });
});

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { generateSecret } from '../engine/secrets/secret.js';
import { exists, listFiles, readIf, share, startEngine, stopAll, tempDir, waitFor, type TestEngine } from './helpers/engines.js';

/**
 * A read-write device A and a read-only device R (holding only the B… secret). R receives
 * everything, but its own edits never leave it; A's later changes win over them (R's edit
 * is kept in its .SyncArchive), and with overwrite_changes R restores the shared version.
 * The tests share one pair and build on each other in order.
 */
describe('read-only folders', () => {
  const rw = generateSecret();
  const dirA = tempDir('shoal-ro-A-data-');
  const dirR = tempDir('shoal-ro-R-data-');
  let a: TestEngine | undefined;
  let r: TestEngine | undefined;
  let ro = '';
  after(() => stopAll([a, r]));

  const text = (dir: string, rel: string): string | undefined => readIf(path.join(dir, rel))?.toString();
  const stateOn = async (t: TestEngine, rel: string): Promise<string | undefined> =>
    (await t.engine.call('getFiles', { secret: ro })).find((f) => f.name === rel)?.state;

  /** A positive barrier: A changes `marker.txt` and R has received that change. */
  let barrierN = 0;
  const barrier = async (): Promise<void> => {
    const v = `barrier ${++barrierN}`;
    fs.writeFileSync(path.join(dirA, 'marker.txt'), v);
    await waitFor(`R received ${v}`, () => text(dirR, 'marker.txt') === v);
  };

  it('the read-only device receives every file and reports itself read-only', async () => {
    fs.mkdirSync(path.join(dirA, 'sub'));
    for (const [rel, body] of [
      ['edit-me.txt', 'shared v1'],
      ['restore-edit.txt', 'shared restore-edit'],
      ['restore-delete.txt', 'shared restore-delete'],
      ['later-edit.txt', 'shared later-edit'],
      ['sub/nested.txt', 'nested'],
      ['marker.txt', 'barrier 0'],
    ]) {
      fs.writeFileSync(path.join(dirA, rel!), body!);
    }
    a = await startEngine({ name: 'A' });
    r = await startEngine({ name: 'R' });
    const secrets = await a.engine.call('getSecrets', { secret: rw });
    assert.equal(secrets.read_write, rw);
    assert.ok(secrets.read_only.startsWith('B'), `read-only secret ${secrets.read_only}`);
    ro = secrets.read_only;

    await share(a, dirA, rw, [r]);
    await share(r, dirR, ro, [a]);
    await waitFor('R has every file', () => JSON.stringify(listFiles(dirR)) === JSON.stringify(listFiles(dirA)));
    for (const rel of listFiles(dirA).filter((p) => !p.endsWith('/'))) {
      assert.equal(text(dirR, rel), text(dirA, rel), rel);
    }

    const folders = await r.engine.call('getFolders', {});
    assert.equal(folders.length, 1);
    assert.equal(folders[0]!.type, 'read_only');
    assert.equal(folders[0]!.secret, ro, 'R shows the secret it has, the read-only one');
    assert.equal((await a.engine.call('getFolders', {}))[0]!.type, 'read_write');

    const rSecrets = await r.engine.call('getSecrets', { secret: ro });
    assert.deepEqual(rSecrets, { read_only: ro }, 'a read-only secret never yields the read-write one');
  });

  it('a local edit on R is not propagated and is shown as local_change', async () => {
    fs.writeFileSync(path.join(dirR, 'edit-me.txt'), 'edited on R');
    await waitFor('R marks edit-me.txt as a local change', async () => (await stateOn(r!, 'edit-me.txt')) === 'local_change');
    // Anything R could have sent would be on A by the time A's own later change reached R.
    await barrier();
    assert.equal(text(dirA, 'edit-me.txt'), 'shared v1', "R's edit must not reach A");
    assert.equal(await stateOn(a!, 'edit-me.txt'), 'synced');
    assert.equal(text(dirR, 'edit-me.txt'), 'edited on R', 'R keeps its edit meanwhile');
    assert.equal(await stateOn(r!, 'edit-me.txt'), 'local_change');

    // A new file created on R stays local too.
    fs.writeFileSync(path.join(dirR, 'only-on-R.txt'), 'mine');
    await new Promise((res) => setTimeout(res, 300));
    await barrier();
    assert.equal(exists(path.join(dirA, 'only-on-R.txt')), false, 'a file created on R must not reach A');

    // Deleting on R is not propagated either.
    fs.unlinkSync(path.join(dirR, 'sub/nested.txt'));
    await waitFor('R marks the deletion as a local change', async () => {
      const files = await r!.engine.call('getFiles', { secret: ro, path: 'sub' });
      return files.find((f) => f.name === 'nested.txt')?.state === 'local_change';
    });
    await barrier();
    assert.equal(text(dirA, 'sub/nested.txt'), 'nested', "R's deletion must not reach A");
  });

  it("a later change on A overwrites R's local edit, which is kept in R's .SyncArchive", async () => {
    fs.writeFileSync(path.join(dirA, 'edit-me.txt'), 'shared v2 from A');
    await waitFor('R takes A\'s new version', () => text(dirR, 'edit-me.txt') === 'shared v2 from A');
    await waitFor('R shows the file as synced again', async () => (await stateOn(r!, 'edit-me.txt')) === 'synced');
    const archived = fs.readdirSync(path.join(dirR, '.SyncArchive')).filter((n) => n.startsWith('edit-me'));
    const kept = archived.map((n) => fs.readFileSync(path.join(dirR, '.SyncArchive', n), 'utf8'));
    assert.ok(kept.includes('edited on R'), `R's own edit kept in .SyncArchive, found ${JSON.stringify(kept)}`);
    assert.equal(text(dirA, 'edit-me.txt'), 'shared v2 from A');
  });

  it('with overwrite_changes, R restores locally modified and deleted files', async () => {
    // Modified before the switch is turned on: turning it on restores it.
    fs.writeFileSync(path.join(dirR, 'restore-edit.txt'), 'R scribbled here');
    await waitFor('R notices its edit', async () => (await stateOn(r!, 'restore-edit.txt')) === 'local_change');
    const prefs = await r!.engine.call('setFolderPrefs', { secret: ro, prefs: { overwrite_changes: true } });
    assert.equal(prefs.overwrite_changes, true);
    await waitFor('modified file restored', () => text(dirR, 'restore-edit.txt') === 'shared restore-edit');
    // The deletion made earlier (sub/nested.txt) is restored by the same rescan.
    await waitFor('earlier deletion restored', () => text(dirR, 'sub/nested.txt') === 'nested');

    // With the switch on, new local changes are undone as they happen.
    fs.unlinkSync(path.join(dirR, 'restore-delete.txt'));
    await waitFor('deleted file restored', () => text(dirR, 'restore-delete.txt') === 'shared restore-delete');
    fs.writeFileSync(path.join(dirR, 'later-edit.txt'), 'another scribble');
    await waitFor('modified file restored', () => text(dirR, 'later-edit.txt') === 'shared later-edit');

    for (const rel of ['restore-edit.txt', 'restore-delete.txt', 'later-edit.txt', 'edit-me.txt']) {
      await waitFor(`${rel} synced on R`, async () => (await stateOn(r!, rel)) === 'synced');
    }
    // Nothing R did reached A.
    await barrier();
    assert.equal(text(dirA, 'restore-edit.txt'), 'shared restore-edit');
    assert.equal(text(dirA, 'restore-delete.txt'), 'shared restore-delete');
    assert.equal(text(dirA, 'later-edit.txt'), 'shared later-edit');
  });
});

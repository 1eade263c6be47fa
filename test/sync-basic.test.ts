import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { generateSecret } from '../engine/secrets/secret.js';
import { exists, listFiles, readIf, share, startEngine, stopAll, tempDir, waitFor, type TestEngine } from './helpers/engines.js';

/**
 * Two real engines on 127.0.0.1 with real folders: the everyday behaviour users rely on.
 * One pair is shared by the tests in order (each builds on the previous state).
 */
describe('two engines keep a folder identical', () => {
  const secret = generateSecret();
  const dirA = tempDir('shoal-A-data-');
  const dirB = tempDir('shoal-B-data-');
  let a: TestEngine | undefined;
  let b: TestEngine | undefined;
  after(() => stopAll([a, b]));

  it('first sync: nested folders, empty files and folders, spaces, non-ASCII names, mtime and exec bit', async () => {
    fs.mkdirSync(path.join(dirA, 'docs/deep/er'), { recursive: true });
    fs.mkdirSync(path.join(dirA, 'empty dir'));
    fs.writeFileSync(path.join(dirA, 'docs/deep/er/notes.txt'), 'hello');
    fs.writeFileSync(path.join(dirA, 'empty.txt'), '');
    fs.writeFileSync(path.join(dirA, 'naïve café 日本.txt'), 'unicode');
    fs.writeFileSync(path.join(dirA, 'run.sh'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
    const big = crypto.randomBytes(3 * 1024 * 1024 + 17);
    fs.writeFileSync(path.join(dirA, 'big.bin'), big);
    const old = new Date('2020-05-06T07:08:09.000Z');
    fs.utimesSync(path.join(dirA, 'docs/deep/er/notes.txt'), old, old);

    a = await startEngine({ name: 'A' });
    b = await startEngine({ name: 'B' });
    await share(a, dirA, secret, [b]);
    await share(b, dirB, secret, [a]);

    await waitFor('B has every file', () => readIf(path.join(dirB, 'big.bin'))?.equals(big) === true && exists(path.join(dirB, 'empty dir')) && exists(path.join(dirB, 'run.sh')));
    await waitFor('trees equal', () => JSON.stringify(listFiles(dirA)) === JSON.stringify(listFiles(dirB)));
    assert.equal(fs.readFileSync(path.join(dirB, 'naïve café 日本.txt'), 'utf8'), 'unicode');
    assert.equal(fs.statSync(path.join(dirB, 'empty.txt')).size, 0);
    assert.equal(fs.statSync(path.join(dirB, 'docs/deep/er/notes.txt')).mtimeMs, old.getTime());
    assert.ok(fs.statSync(path.join(dirB, 'run.sh')).mode & 0o100, 'exec bit kept');
    const files = await b.engine.call('getFolders', { secret });
    assert.equal(files[0]!.files, 5);
  });

  it('two-way edits: a change on either side reaches the other', async () => {
    fs.writeFileSync(path.join(dirB, 'docs/deep/er/notes.txt'), 'edited on B');
    await waitFor('A sees B edit', () => readIf(path.join(dirA, 'docs/deep/er/notes.txt'))?.toString() === 'edited on B');
    fs.writeFileSync(path.join(dirA, 'new-from-A.txt'), 'A was here');
    await waitFor('B sees new A file', () => readIf(path.join(dirB, 'new-from-A.txt'))?.toString() === 'A was here');
  });

  it('a new folder filled at once (before its watch is set up) syncs completely', async () => {
    const burst = path.join(dirA, 'burst/inner');
    fs.mkdirSync(burst, { recursive: true });
    for (let i = 0; i < 40; i++) fs.writeFileSync(path.join(burst, `f${i}.txt`), `file ${i}`);
    await waitFor('all 40 files on B', () => {
      const dir = path.join(dirB, 'burst/inner');
      return exists(dir) && fs.readdirSync(dir).filter((n) => n.endsWith('.txt')).length === 40;
    });
    assert.equal(readIf(path.join(dirB, 'burst/inner/f39.txt'))?.toString(), 'file 39');
  });

  it('deletes propagate and the deleted file is kept in .SyncArchive', async () => {
    fs.unlinkSync(path.join(dirA, 'new-from-A.txt'));
    await waitFor('B deleted it', () => !exists(path.join(dirB, 'new-from-A.txt')));
    assert.equal(readIf(path.join(dirB, '.SyncArchive/new-from-A.txt'))?.toString(), 'A was here');
  });

  it('overwritten versions are archived with numbered names', async () => {
    for (const v of ['v1', 'v2', 'v3']) {
      fs.writeFileSync(path.join(dirA, 'versions.txt'), v);
      await waitFor(`B has ${v}`, () => readIf(path.join(dirB, 'versions.txt'))?.toString() === v);
    }
    assert.equal(readIf(path.join(dirB, '.SyncArchive/versions.txt'))?.toString(), 'v1');
    assert.equal(readIf(path.join(dirB, '.SyncArchive/versions.1.txt'))?.toString(), 'v2');
  });

  it('a rename transfers no file data', async () => {
    const peersBefore = await b!.engine.call('getFolderPeers', { secret });
    const inBefore = peersBefore[0]!.bytes_in;
    const content = fs.readFileSync(path.join(dirA, 'big.bin'));
    fs.renameSync(path.join(dirA, 'big.bin'), path.join(dirA, 'docs/moved big.bin'));
    await waitFor('B has the moved file', () => readIf(path.join(dirB, 'docs/moved big.bin'))?.equals(content) === true);
    await waitFor('old name gone on B', () => !exists(path.join(dirB, 'big.bin')));
    const peersAfter = await b!.engine.call('getFolderPeers', { secret });
    const received = peersAfter[0]!.bytes_in - inBefore;
    assert.ok(received < 200_000, `a rename of a 3 MiB file should move only index data, got ${received} bytes`);
    // The event follows the disk: the old name is gone once archived, the event a moment later.
    await waitFor('B reports the rename', () => b!.events.some((e) => e.event === 'fileRenamed'));
  });

  it('.SyncIgnore keeps matching files from syncing in either direction', async () => {
    fs.writeFileSync(path.join(dirA, '.SyncIgnore'), '*.tmp\nbuild\n');
    fs.writeFileSync(path.join(dirB, '.SyncIgnore'), '*.tmp\nbuild\n');
    await new Promise((r) => setTimeout(r, 300));
    fs.writeFileSync(path.join(dirA, 'scratch.tmp'), 'no');
    fs.mkdirSync(path.join(dirB, 'build'));
    fs.writeFileSync(path.join(dirB, 'build/out.o'), 'no');
    fs.writeFileSync(path.join(dirA, 'marker.txt'), 'yes');
    fs.writeFileSync(path.join(dirB, 'marker-b.txt'), 'yes');
    await waitFor('markers synced', () => exists(path.join(dirB, 'marker.txt')) && exists(path.join(dirA, 'marker-b.txt')));
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(exists(path.join(dirB, 'scratch.tmp')), false);
    assert.equal(exists(path.join(dirA, 'build')), false);
    assert.equal(exists(path.join(dirB, '.SyncIgnore')) && fs.readFileSync(path.join(dirB, '.SyncIgnore'), 'utf8'), '*.tmp\nbuild\n');
  });

  it('restart: changes made while a device was off arrive when it comes back', async () => {
    const storageB = b!.storage;
    await b!.engine.close();
    fs.writeFileSync(path.join(dirA, 'while-off.txt'), 'missed you');
    b = await startEngine({ name: 'B', storage: storageB, config: { listening_port: b!.port } });
    await waitFor('B catches up', () => readIf(path.join(dirB, 'while-off.txt'))?.toString() === 'missed you');
    const folders = await b.engine.call('getFolders', {});
    assert.equal(folders.length, 1, 'the folder added through the API survived the restart');
  });

  it('conflicting edits: the later change wins everywhere, the other is kept in .SyncArchive', async () => {
    const file = 'conflict.txt';
    fs.writeFileSync(path.join(dirA, file), 'base');
    await waitFor('base synced', () => readIf(path.join(dirB, file))?.toString() === 'base');
    const storageB = b!.storage;
    const portB = b!.port;
    await b!.engine.close();
    fs.writeFileSync(path.join(dirA, file), 'edit on A (earlier)');
    await waitFor('A indexed its edit', async () => (await a!.engine.call('getFiles', { secret })).some((f) => f.name === file && f.size === 19));
    await new Promise((r) => setTimeout(r, 50));
    fs.writeFileSync(path.join(dirB, file), 'edit on B (later)');
    b = await startEngine({ name: 'B', storage: storageB, config: { listening_port: portB } });
    await waitFor('A takes the later edit', () => readIf(path.join(dirA, file))?.toString() === 'edit on B (later)');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(readIf(path.join(dirB, file))?.toString(), 'edit on B (later)');
    const archived = fs.readdirSync(path.join(dirA, '.SyncArchive')).filter((n) => n.startsWith('conflict'));
    const kept = archived.map((n) => fs.readFileSync(path.join(dirA, '.SyncArchive', n), 'utf8'));
    assert.ok(kept.includes('edit on A (earlier)'), `losing version archived on A, found ${JSON.stringify(kept)}`);
  });

  it('a folder whose path disappears stops with an error instead of deleting everywhere', async () => {
    const before = listFiles(dirB);
    const moved = dirA + '-unmounted';
    fs.renameSync(dirA, moved);
    await waitFor('A reports the folder error', async () => {
      const f = await a!.engine.call('getFolders', { secret });
      return f[0]!.error !== 0 && f[0]!.error_code === 'FOLDER_PATH_MISSING';
    });
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(listFiles(dirB), before, 'nothing was deleted on B');
    fs.renameSync(moved, dirA);
  });
});

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { generateSecret } from '../engine/secrets/secret.js';
import { startEngine, stopAll, tempDir, waitFor, type TestEngine } from './helpers/engines.js';

/**
 * Adding a folder that already holds files is not a change to any of them: its first scan
 * takes the inventory without a fileAdded event or History entry per file (10,000 of them
 * would push every real entry out of History). Changes after that, and files that appeared
 * while the app was not running, are reported as usual.
 */
describe('the first scan of a newly added folder', () => {
  const secret = generateSecret();
  const dir = tempDir('shoal-inventory-data-');
  const storage = tempDir('shoal-inventory-storage-');
  let t: TestEngine | undefined;
  after(() => stopAll([t]));

  const added = (e: TestEngine) => e.events.filter((x) => x.event === 'fileAdded').map((x) => (x.payload as { path: string }).path).sort();
  const historyPaths = async (e: TestEngine) => (await e.engine.call('getHistory', {})).filter((h) => h.kind === 'added').map((h) => h.path).sort();

  async function startAndAdd(): Promise<TestEngine> {
    const e = await startEngine({ name: 'A', storage });
    let scanned = false;
    e.engine.on('folderState', (p) => (scanned ||= p.dir === path.resolve(dir) && !p.indexing));
    await e.engine.call('addFolder', { dir, secret });
    await waitFor('the first scan to end', () => scanned);
    return e;
  }

  it('indexes the files already there without reporting them as added', async () => {
    fs.mkdirSync(path.join(dir, 'sub'));
    for (let i = 0; i < 20; i++) fs.writeFileSync(path.join(dir, 'sub', `old-${i}.txt`), `old ${i}`);
    fs.writeFileSync(path.join(dir, 'top.txt'), 'top');
    t = await startAndAdd();
    const [folder] = await t.engine.call('getFolders', {});
    assert.equal(folder!.files, 21, 'every file is indexed');
    assert.deepEqual(added(t), [], 'no fileAdded for what was there');
    assert.deepEqual(await historyPaths(t), [], 'no History entry for what was there');
  });

  it('a file saved afterwards is reported as added', async () => {
    fs.writeFileSync(path.join(dir, 'new.txt'), 'new');
    await waitFor('fileAdded new.txt', () => added(t!).includes('new.txt'));
    await waitFor('History has new.txt', async () => (await historyPaths(t!)).includes('new.txt'));
    assert.deepEqual(added(t!), ['new.txt']);
  });

  it('after a restart, a file that appeared while the app was off is reported; the rest are not', async () => {
    await stopAll([t]);
    t = undefined;
    fs.writeFileSync(path.join(dir, 'while-off.txt'), 'made while Shoal was not running');
    t = await startEngine({ name: 'A', storage }); // the folder comes back from storage
    await waitFor('fileAdded while-off.txt', () => added(t!).includes('while-off.txt'));
    await waitFor('the rescan to end', async () => {
      const [f] = await t!.engine.call('getFolders', {});
      return f?.files === 23 && !f.indexing;
    });
    assert.deepEqual(added(t), ['while-off.txt'], 'only the new file; the indexed ones are not added again');
    assert.deepEqual(await historyPaths(t), ['new.txt', 'while-off.txt'], 'History kept new.txt and added while-off.txt');
  });
});

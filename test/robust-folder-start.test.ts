import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { generateSecret } from '../engine/secrets/secret.js';
import { readIf, share, startEngine, stopAll, tempDir, waitFor, type TestEngine } from './helpers/engines.js';

/**
 * A folder being added (or reopened at startup) loads its index before it scans or syncs.
 * A peer that reaches it in that window must not join it yet: the folder would send the
 * peer an empty "complete" index, and the peer's records would land in the half-loaded
 * index. That made a brand-new folder look like one that had lost its `.sync` marker (it
 * suddenly had entries) and stop with "was a disk unmounted?" (seen as a CI flake in
 * robust-remove-folder). Here B's index load is held until A has knocked and been turned
 * away; then B starts normally and the two sync.
 */
describe('a folder that is still starting', () => {
  const secret = generateSecret();
  const dirA = tempDir('shoal-start-A-');
  const dirB = tempDir('shoal-start-B-');
  let A: TestEngine | undefined;
  let B: TestEngine | undefined;
  after(async () => {
    await stopAll([A, B]);
    for (const d of [dirA, dirB]) fs.rmSync(d, { recursive: true, force: true });
  });

  it('is not joined by a peer until its index is loaded, then syncs normally', async () => {
    fs.writeFileSync(path.join(dirA, 'from-a.txt'), 'made on A');
    fs.writeFileSync(path.join(dirB, 'from-b.txt'), 'made on B');
    A = await startEngine({ name: 'A' });
    B = await startEngine({ name: 'B' });

    // Hold B's index load for this folder (the first thing a folder's start does).
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let loadsHeld = 0;
    const store = B.engine.store;
    const openFolderStore = store.folder.bind(store);
    store.folder = (idHex: string) => {
      const s = openFolderStore(idHex);
      const load = s.load.bind(s);
      s.load = async () => {
        loadsHeld++;
        await gate;
        return load();
      };
      return s;
    };

    const adding = B.engine.call('addFolder', { dir: dirB, secret });
    await waitFor("B's folder to be loading", () => loadsHeld === 1);
    await share(A, dirA, secret, [B]);
    // A dials B at once and offers the folder; B turns it away while it is loading.
    await waitFor('A to be turned away', () => A!.log.lines.some((l) => /does not share/.test(l.msg)));
    assert.equal(B.engine.peers.sessions.size, 1, 'A and B are connected');

    release();
    await adding;
    await B.engine.call('setFolderHosts', { secret, hosts: [`127.0.0.1:${A.port}`] });
    await waitFor('B has from-a.txt', () => readIf(path.join(dirB, 'from-a.txt'))?.toString() === 'made on A');
    await waitFor('A has from-b.txt', () => readIf(path.join(dirA, 'from-b.txt'))?.toString() === 'made on B');

    const [folderB] = await B.engine.call('getFolders', {});
    assert.equal(folderB!.error, 0, `B's folder runs (${folderB!.error_message})`);
    assert.equal(folderB!.files, 2);
    assert.deepEqual(B.log.lines.filter((l) => l.level === 'error'), []);
    assert.equal(fs.readFileSync(path.join(dirB, '.sync', 'ID'), 'utf8').trim().length > 0, true, "B's marker is written");
  });
});

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { generateSecret } from '../engine/secrets/secret.js';
import { share, startEngine, stopAll, tempDir, waitFor, type TestEngine } from './helpers/engines.js';

/**
 * Regression: a file (or folder) that arrives from a peer while this device's first full
 * scan is still running must not be taken as "deleted locally". Before the fix, A's scan
 * (slow: a 64 MiB file to hash) walked past the root before B's `mine.txt` landed, then
 * found it missing from its listing, signed a deletion, and B moved its own file to
 * .SyncArchive - on every run.
 */
test('a file received during the first full scan is not taken as deleted', { timeout: 120_000 }, async () => {
  const secret = generateSecret();
  const dirA = tempDir('shoal-race-A-');
  const dirB = tempDir('shoal-race-B-');
  fs.writeFileSync(path.join(dirA, 'big.bin'), crypto.randomBytes(64 * 1024 * 1024));
  fs.writeFileSync(path.join(dirB, 'mine.txt'), 'only on B');
  fs.mkdirSync(path.join(dirB, 'folder-on-B'));
  let a: TestEngine | undefined;
  let b: TestEngine | undefined;
  try {
    a = await startEngine({ name: 'A' });
    b = await startEngine({ name: 'B' });
    await share(b, dirB, secret, [a]);
    await share(a, dirA, secret, [b]); // A starts its slow first scan now; B's index arrives meanwhile
    await waitFor('A has mine.txt', () => fs.existsSync(path.join(dirA, 'mine.txt')), 60_000);
    await waitFor('B has big.bin', () => fs.existsSync(path.join(dirB, 'big.bin')), 60_000);
    await waitFor('A finished its scan', async () => (await a!.engine.call('getFolders', { secret }))[0]!.indexing === 0, 60_000);
    await new Promise((r) => setTimeout(r, 1000)); // room for a wrong deletion to travel

    const deletions = [...a.events, ...b.events].filter((e) => e.event === 'fileDeleted').map((e) => JSON.stringify(e.payload));
    assert.deepEqual(deletions, [], 'nobody deleted anything');
    assert.equal(fs.readFileSync(path.join(dirB, 'mine.txt'), 'utf8'), 'only on B');
    assert.equal(fs.readFileSync(path.join(dirA, 'mine.txt'), 'utf8'), 'only on B');
    assert.ok(fs.statSync(path.join(dirB, 'folder-on-B')).isDirectory());
    assert.ok(fs.statSync(path.join(dirA, 'folder-on-B')).isDirectory());
    const namesA = (await a.engine.call('getFiles', { secret })).map((f) => f.name);
    assert.ok(namesA.includes('mine.txt') && namesA.includes('folder-on-B'), `A's index lists both: ${namesA.join(', ')}`);
  } finally {
    await stopAll([a, b]);
    for (const e of [a, b]) if (e) fs.rmSync(e.storage, { recursive: true, force: true });
    fs.rmSync(dirA, { recursive: true, force: true });
    fs.rmSync(dirB, { recursive: true, force: true });
  }
});

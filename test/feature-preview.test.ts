/**
 * A big file is offered while it is still being hashed (preview records, record.ts): the
 * peer starts downloading its first chunks before the file's final record exists, and
 * ends with exactly the file. Two real engines on loopback, real files.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { hashFile } from '../engine/index/hasher.js';
import type { FileHasher } from '../engine/index/scan-entry.js';
import { generateSecret } from '../engine/secrets/secret.js';
import { share, startEngine, stopAll, tempDir, waitFor, type TestEngine } from './helpers/engines.js';

const engines: TestEngine[] = [];
after(() => stopAll(engines));

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

test('a big file being indexed is already downloading on the peer; the peer ends with exactly it', async () => {
  const secret = generateSecret();
  const dirA = tempDir('shoal-preview-a-');
  const dirB = tempDir('shoal-preview-b-');
  // A's hash of big.bin is held back (its result withheld) until B has received some of the
  // file: only the previews sent while hashing can have told B about it by then.
  let downloadingOnB = false;
  const hasher: FileHasher = async (abs, opts) => {
    const r = await hashFile(abs, opts);
    if (path.basename(abs) === 'big.bin') await waitFor('B downloading while A is still indexing', () => downloadingOnB, 30_000);
    return r;
  };
  const a = await startEngine({ name: 'A', hasher });
  const b = await startEngine({ name: 'B' });
  engines.push(a, b);
  await share(a, dirA, secret, [b]);
  await share(b, dirB, secret, [a]);
  await waitFor('A and B connected', async () => (await a.engine.call('getFolderPeers', { secret })).length > 0);

  let addedOnA = 0;
  let firstDownOnB = 0;
  a.engine.on('fileAdded', (p) => {
    if (p.path === 'big.bin' && !addedOnA) addedOnA = Date.now();
  });
  b.engine.on('transferProgress', (p) => {
    if (p.path === 'big.bin' && p.direction === 'down' && p.bytesDone > 0 && !firstDownOnB) {
      firstDownOnB = Date.now();
      downloadingOnB = true;
    }
  });

  // Written elsewhere and moved in: the watcher sees one complete file (96 MiB).
  const data = Buffer.concat(Array.from({ length: 12 }, () => randomBytes(8 << 20)));
  const staging = path.join(tempDir('shoal-preview-src-'), 'big.bin');
  fs.writeFileSync(staging, data);
  fs.renameSync(staging, path.join(dirA, 'big.bin'));

  await waitFor('B has the file', () => {
    try {
      return fs.statSync(path.join(dirB, 'big.bin')).size === data.length;
    } catch {
      return false;
    }
  }, 60_000);
  assert.equal(sha(fs.readFileSync(path.join(dirB, 'big.bin'))), sha(data), 'exactly the file');
  assert.ok(addedOnA > 0 && firstDownOnB > 0, 'both events seen');
  assert.ok(firstDownOnB < addedOnA, `B was downloading (${firstDownOnB}) before A had indexed the whole file (${addedOnA})`);
  assert.ok(!fs.readdirSync(dirB).some((n) => n.endsWith('.!sync')), 'no temp file left');
});

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { generateSecret } from '../engine/secrets/secret.js';
import { share, startEngine, stopAll, tempDir, waitFor, type TestEngine } from './helpers/engines.js';

const MiB = 1024 * 1024;

function sameFile(file: string, want: Buffer): boolean {
  try {
    const st = fs.statSync(file);
    return st.size === want.length && fs.readFileSync(file).equals(want);
  } catch {
    return false;
  }
}

/**
 * Content-defined chunks make an edit in the middle of a big file cost about the edit:
 * the receiver copies the unchanged chunks from its own old copy and downloads only the
 * few that changed. The old version still goes to .SyncArchive.
 */
describe('big file: an insertion in the middle transfers only the difference', () => {
  const secret = generateSecret();
  const dirA = tempDir('shoal-delta-A-data-');
  const dirB = tempDir('shoal-delta-B-data-');
  const scratch = tempDir('shoal-delta-scratch-');
  let a: TestEngine | undefined;
  let b: TestEngine | undefined;
  after(() => stopAll([a, b]));

  it('B gets the edited 32 MiB file for < 2 MB of traffic and archives the old one', { timeout: 180_000 }, async (t) => {
    const v1 = crypto.randomBytes(32 * MiB);
    fs.writeFileSync(path.join(dirA, 'big.bin'), v1);
    a = await startEngine({ name: 'A' });
    b = await startEngine({ name: 'B' });
    await share(a, dirA, secret, [b]);
    await share(b, dirB, secret, [a]);
    await waitFor('B has v1', () => sameFile(path.join(dirB, 'big.bin'), v1), 90_000);
    await waitFor('B reports big.bin synced', async () => (await b!.engine.call('getFiles', { secret })).some((f) => f.name === 'big.bin' && f.state === 'synced'));
    const peersBefore = await b.engine.call('getFolderPeers', { secret });
    assert.equal(peersBefore.length, 1);
    const inBefore = peersBefore[0]!.bytes_in;
    assert.ok(inBefore > 32 * MiB, `the first sync moved the whole file (${inBefore} bytes)`);

    // Insert 100,000 bytes in the middle; write the new version beside and rename over.
    const mid = 16 * MiB + 12_345;
    const v2 = Buffer.concat([v1.subarray(0, mid), crypto.randomBytes(100_000), v1.subarray(mid)]);
    const tmp = path.join(scratch, 'big.bin.new');
    fs.writeFileSync(tmp, v2);
    fs.renameSync(tmp, path.join(dirA, 'big.bin'));

    await waitFor('B has v2', () => sameFile(path.join(dirB, 'big.bin'), v2), 90_000);
    const received = (await b.engine.call('getFolderPeers', { secret }))[0]!.bytes_in - inBefore;
    t.diagnostic(`B received ${received} bytes for the edit`);
    assert.ok(received < 2_000_000, `B should fetch only the changed chunks, got ${received} bytes`);
    assert.ok(received >= 100_000, `the inserted bytes themselves had to travel (${received})`);

    const archived = fs.readdirSync(path.join(dirB, '.SyncArchive')).filter((n) => n.startsWith('big'));
    assert.equal(archived.length, 1, `one archived version, found ${JSON.stringify(archived)}`);
    assert.ok(sameFile(path.join(dirB, '.SyncArchive', archived[0]!), v1), 'the archived copy is v1');
    await waitFor('B reports big.bin synced again', async () => (await b!.engine.call('getFiles', { secret })).some((f) => f.name === 'big.bin' && f.state === 'synced' && f.size === v2.length));
  });
});

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { generateSecret } from '../engine/secrets/secret.js';
import { readIf, share, startEngine, stopAll, tempDir, waitFor, type TestEngine } from './helpers/engines.js';

const MiB = 1024 * 1024;

function sha256File(file: string): string | null {
  try {
    return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  } catch {
    return null;
  }
}

/**
 * Swarm download: when two devices already hold a big file, a third one fetches its
 * pieces from both at once, and a change made on the newcomer reaches both.
 */
describe('three devices: a newcomer downloads from every peer that has the file', () => {
  const secret = generateSecret();
  const dirA = tempDir('shoal-3p-A-data-');
  const dirB = tempDir('shoal-3p-B-data-');
  const dirC = tempDir('shoal-3p-C-data-');
  let a: TestEngine | undefined;
  let b: TestEngine | undefined;
  let c: TestEngine | undefined;
  after(() => stopAll([a, b, c]));

  it('C gets a correct 64 MiB file with pieces from both A and B', { timeout: 180_000 }, async (t) => {
    const big = crypto.randomBytes(64 * MiB);
    const want = crypto.createHash('sha256').update(big).digest('hex');
    fs.writeFileSync(path.join(dirA, 'big.bin'), big);

    a = await startEngine({ name: 'A' });
    b = await startEngine({ name: 'B' });
    await share(a, dirA, secret, [b]);
    await share(b, dirB, secret, [a]);
    await waitFor('B has the big file', () => fs.existsSync(path.join(dirB, 'big.bin')) && sha256File(path.join(dirB, 'big.bin')) === want, 90_000);
    // B's index must say it holds the file before C comes, so that B announces it.
    await waitFor('B reports the file synced', async () => (await b!.engine.call('getFiles', { secret })).some((f) => f.name === 'big.bin' && f.state === 'synced'));

    c = await startEngine({ name: 'C' });
    await share(c, dirC, secret, [a, b]);
    await waitFor('C has the big file', () => fs.existsSync(path.join(dirC, 'big.bin')) && fs.statSync(path.join(dirC, 'big.bin')).size === 64 * MiB, 90_000);
    assert.equal(sha256File(path.join(dirC, 'big.bin')), want, "C's copy is byte for byte A's");

    const peers = await c.engine.call('getFolderPeers', { secret });
    const byName = new Map(peers.map((p) => [p.name, p]));
    assert.deepEqual([...byName.keys()].sort(), ['A', 'B'], 'C is connected to A and B');
    const fromA = byName.get('A')!.bytes_in;
    const fromB = byName.get('B')!.bytes_in;
    t.diagnostic(`C received ${fromA} bytes from A and ${fromB} from B`);
    assert.ok(fromA > 5_000_000, `C received only ${fromA} bytes from A`);
    assert.ok(fromB > 5_000_000, `C received only ${fromB} bytes from B`);
    assert.ok(fromA + fromB >= 64 * MiB, `C received ${fromA + fromB} bytes in all, less than the file`);
  });

  it('a change made on C reaches both A and B', { timeout: 60_000 }, async () => {
    fs.writeFileSync(path.join(dirC, 'from-C.txt'), 'made on C');
    const edited = crypto.randomBytes(200_000);
    fs.writeFileSync(path.join(dirC, 'edited-on-C.bin'), edited);
    await waitFor('A and B have C\'s new files', () =>
      [dirA, dirB].every((d) => readIf(path.join(d, 'from-C.txt'))?.toString() === 'made on C' && readIf(path.join(d, 'edited-on-C.bin'))?.equals(edited) === true),
    );
    fs.writeFileSync(path.join(dirC, 'from-C.txt'), 'changed again on C');
    await waitFor('A and B have C\'s edit', () => [dirA, dirB].every((d) => readIf(path.join(d, 'from-C.txt'))?.toString() === 'changed again on C'));
    fs.unlinkSync(path.join(dirC, 'edited-on-C.bin'));
    await waitFor('A and B deleted the file C deleted', () => [dirA, dirB].every((d) => !fs.existsSync(path.join(d, 'edited-on-C.bin'))));
  });
});

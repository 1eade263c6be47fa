import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { generateSecret } from '../engine/secrets/secret.js';
import { FileAssembler } from '../engine/transfer/assembler.js';
import { DIRECT_MIN_FILE } from '../engine/transfer/direct-writer.js';
import { listFiles, startEngine, stopAll, tempDir, waitFor, type TestEngine } from './helpers/engines.js';
import { relay, type Alter } from './helpers/relay.js';

/**
 * An attacker on the path between two devices changes bytes of a big transfer. Chunk bytes
 * travel in bulk frames whose tag covers only their message header (protocol/frames.ts):
 * a changed chunk must be refused by its hash and fetched again, and a changed header must
 * end the connection - either way the file that lands is exactly the sender's. Real
 * engines on 127.0.0.1, with a relay in the middle that flips bits in what A sends to B.
 */

const engines: TestEngine[] = [];
after(() => stopAll(engines));

/** In the first connection's answers (A to B), flip one bit at each stream offset in `at`. */
function flipper(at: number[]): { fromTarget: Alter; flipped(): number } {
  let flips = 0;
  return {
    fromTarget: (c, offset, connection) => {
      if (connection !== 0) return c;
      for (const o of at) {
        if (o >= offset && o < offset + c.length) {
          c[o - offset] ^= 0x10;
          flips++;
        }
      }
      return c;
    },
    flipped: () => flips,
  };
}

test('bits flipped on the wire inside a big transfer: the file lands intact, nothing corrupt is written', async () => {
  await flippedTransfer(6 * 1024 * 1024, [2_000_000, 3_000_000, 4_000_000]);
});

for (const behind of ['1', '0']) {
  test(`bits flipped in chunks received straight into their O_DIRECT extents, verified ${behind === '1' ? 'on the verify thread' : 'as they arrive'}: refused there, fetched again, the file lands intact`, async (t) => {
    if (process.platform !== 'linux') return t.skip('O_DIRECT extents (and so chunks received into them) exist on Linux only');
    process.env.SHOAL_VERIFY_BEHIND = behind; // (assembler.ts verifyBehind: read as each download opens)
    // Count the chunks that were received into their extents (the path under test), most
    // of them in runs of adjacent chunks answered together (a flipped bit fails one chunk).
    const placeRun = FileAssembler.prototype.placeRun;
    let placed = 0;
    let runs = 0;
    FileAssembler.prototype.placeRun = function (this: FileAssembler, i: number, n: number, size: number) {
      const place = placeRun.call(this, i, n, size);
      if (place) placed += n;
      if (place && n > 1) runs++;
      return place;
    };
    try {
      await flippedTransfer(DIRECT_MIN_FILE + 8 * 1024 * 1024, [10_000_000, 20_000_000, 30_000_000]);
    } finally {
      FileAssembler.prototype.placeRun = placeRun;
      delete process.env.SHOAL_VERIFY_BEHIND;
    }
    assert.ok(placed > 100, `most chunks were received into their extents (${placed})`);
    assert.ok(runs > 10, `most of them in runs (${runs} runs)`);
  });
}

/** A file of `size` random bytes from A to B through a relay that flips a bit at each of `at`. */
async function flippedTransfer(size: number, at: number[]): Promise<void> {
  const a = await startEngine({ name: 'A' });
  const b = await startEngine({ name: 'B' });
  engines.push(a, b);
  const dirA = tempDir();
  const dirB = tempDir();
  const content = crypto.randomBytes(size);
  fs.writeFileSync(path.join(dirA, 'big.bin'), content);
  const secret = generateSecret();
  // Flips well inside the stream: in chunk bytes, almost surely (they are nearly all of it).
  const flips = flipper(at);
  const r = await relay(a.port, { fromTarget: flips.fromTarget });
  try {
    await a.engine.call('addFolder', { dir: dirA, secret });
    await b.engine.call('addFolder', { dir: dirB, secret });
    await b.engine.call('setFolderHosts', { secret, hosts: [`127.0.0.1:${r.port}`] });
    const target = path.join(dirB, 'big.bin');
    await waitFor('B has the file', () => fs.existsSync(target) && fs.statSync(target).size === content.length, 60_000);
    assert.ok(flips.flipped() >= 1, 'the relay changed bytes on their way to B');
    assert.ok(fs.readFileSync(target).equals(content), 'the file B wrote is exactly A\'s');
    assert.deepEqual(listFiles(dirB), ['big.bin'], 'no temp file or archive left behind');
  } finally {
    await r.close();
  }
}

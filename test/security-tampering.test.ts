import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, test } from 'node:test';
import { generateSecret } from '../engine/secrets/secret.js';
import { listFiles, startEngine, stopAll, tempDir, waitFor, type TestEngine } from './helpers/engines.js';

/**
 * An attacker on the path between two devices changes bytes of a big transfer. Chunk bytes
 * travel in bulk frames whose tag covers only their message header (protocol/frames.ts):
 * a changed chunk must be refused by its hash and fetched again, and a changed header must
 * end the connection - either way the file that lands is exactly the sender's. Real
 * engines on 127.0.0.1, with a relay in the middle that flips bits in what A sends to B.
 */

const engines: TestEngine[] = [];
after(() => stopAll(engines));

interface Relay {
  port: number;
  /** How many bits were flipped so far. */
  flipped(): number;
  close(): void;
}

/** Forwards to `targetPort`; in the first connection's answers, flips one bit at each of `at` (stream offsets). */
async function tamperingRelay(targetPort: number, at: number[]): Promise<Relay> {
  let flips = 0;
  let connections = 0;
  const sockets: net.Socket[] = [];
  const server = net.createServer((inbound) => {
    const first = connections++ === 0;
    const outbound = net.connect({ host: '127.0.0.1', port: targetPort });
    sockets.push(inbound, outbound);
    let offset = 0;
    inbound.on('data', (c: Buffer) => outbound.write(c));
    outbound.on('data', (c: Buffer) => {
      if (first) {
        for (const o of at) {
          if (o >= offset && o < offset + c.length) {
            c[o - offset] ^= 0x10;
            flips++;
          }
        }
      }
      offset += c.length;
      inbound.write(c);
    });
    for (const [s, other] of [[inbound, outbound], [outbound, inbound]] as const) {
      s.on('error', () => other.destroy());
      s.on('close', () => other.destroy());
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    flipped: () => flips,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

test('bits flipped on the wire inside a big transfer: the file lands intact, nothing corrupt is written', async () => {
  const a = await startEngine({ name: 'A' });
  const b = await startEngine({ name: 'B' });
  engines.push(a, b);
  const dirA = tempDir();
  const dirB = tempDir();
  const content = crypto.randomBytes(6 * 1024 * 1024);
  fs.writeFileSync(path.join(dirA, 'big.bin'), content);
  const secret = generateSecret();
  // Flips well inside the stream: in chunk bytes, almost surely (they are nearly all of it).
  const relay = await tamperingRelay(a.port, [2_000_000, 3_000_000, 4_000_000]);
  try {
    await a.engine.call('addFolder', { dir: dirA, secret });
    await b.engine.call('addFolder', { dir: dirB, secret });
    await b.engine.call('setFolderHosts', { secret, hosts: [`127.0.0.1:${relay.port}`] });
    const target = path.join(dirB, 'big.bin');
    await waitFor('B has the file', () => fs.existsSync(target) && fs.statSync(target).size === content.length, 60_000);
    assert.ok(relay.flipped() >= 1, 'the relay changed bytes on their way to B');
    assert.ok(fs.readFileSync(target).equals(content), 'the file B wrote is exactly A\'s');
    assert.deepEqual(listFiles(dirB), ['big.bin'], 'no temp file or archive left behind');
  } finally {
    relay.close();
  }
});

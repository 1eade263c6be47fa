/**
 * Requests for runs of adjacent chunks (protocol/messages.ts RequestMsg.count, negotiated in
 * hello as chunkRuns): real engines on 127.0.0.1 move a big file in far fewer requests than
 * it has chunks, and an engine from before runs (chunkRuns: false) still syncs both ways
 * with one that has them, one chunk per request. Requests are counted as the connections
 * send them; the engines' behaviour is not changed.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { PeerConnection } from '../engine/protocol/connection.js';
import type { Message } from '../engine/protocol/messages.js';
import { generateSecret } from '../engine/secrets/secret.js';
import { listFiles, share, startEngine, stopAll, tempDir, waitFor, type TestEngine } from './helpers/engines.js';

const engines: TestEngine[] = [];
after(() => stopAll(engines));

/** Every request sent, by the sending device's name: [chunks asked for, bytes]. */
const requests = new Map<string, Array<[number, number]>>();
const send = PeerConnection.prototype.send;
PeerConnection.prototype.send = function (this: PeerConnection, msg: Message): boolean {
  if (msg.type === 'request') {
    const from = this.remoteHello?.deviceName === 'A' ? 'B' : this.remoteHello?.deviceName === 'B' ? 'A' : '?';
    const list = requests.get(from) ?? [];
    list.push([msg.count ?? 1, msg.size]);
    requests.set(from, list);
  }
  return send.call(this, msg);
};
after(() => {
  PeerConnection.prototype.send = send;
});

async function pair(runsB: boolean): Promise<{ dirA: string; dirB: string }> {
  requests.clear();
  const a = await startEngine({ name: 'A' });
  const b = await startEngine({ name: 'B', chunkRuns: runsB });
  engines.push(a, b);
  const dirA = tempDir();
  const dirB = tempDir();
  const secret = generateSecret();
  await share(a, dirA, secret, [b]);
  await share(b, dirB, secret, [a]);
  return { dirA, dirB };
}

async function arrives(content: Buffer, target: string): Promise<void> {
  await waitFor(`${path.basename(target)} arrives`, () => fs.existsSync(target) && fs.statSync(target).size === content.length, 60_000);
  assert.ok(fs.readFileSync(target).equals(content), `${path.basename(target)} is exactly the sender's`);
}

test('a big file travels in runs of adjacent chunks: a request per ~1 MiB instead of per chunk; the file lands intact', async () => {
  const { dirA, dirB } = await pair(true);
  const content = crypto.randomBytes(48 * 1024 * 1024);
  fs.writeFileSync(path.join(dirA, 'big.bin'), content);
  await arrives(content, path.join(dirB, 'big.bin'));
  const sent = requests.get('B') ?? [];
  const chunks = sent.reduce((n, [count]) => n + count, 0);
  const bytes = sent.reduce((n, [, size]) => n + size, 0);
  // ~134 KiB chunks: ~370 of them. Runs stop at 1 MiB and at 4 MiB extent edges.
  assert.ok(chunks >= content.length / (512 * 1024), `every chunk was asked for (${chunks})`);
  assert.ok(bytes >= content.length, 'all bytes were asked for');
  assert.ok(sent.length * 4 < chunks, `${sent.length} requests for ${chunks} chunks`);
  assert.ok(sent.every(([count, size]) => count >= 1 && count <= 64 && size <= 1024 * 1024 + 512 * 1024), 'runs stay within their bounds');
  assert.deepEqual(listFiles(dirB), ['big.bin'], 'no temp file left behind');
});

test('an engine that takes no runs (from before them) syncs both ways with one that does, one chunk per request', async () => {
  const { dirA, dirB } = await pair(false);
  const toB = crypto.randomBytes(40 * 1024 * 1024);
  const toA = crypto.randomBytes(6 * 1024 * 1024);
  fs.writeFileSync(path.join(dirA, 'from-a.bin'), toB);
  fs.writeFileSync(path.join(dirB, 'from-b.bin'), toA);
  await arrives(toB, path.join(dirB, 'from-a.bin'));
  await arrives(toA, path.join(dirA, 'from-b.bin'));
  for (const who of ['A', 'B']) {
    const sent = requests.get(who) ?? [];
    assert.ok(sent.length > 10, `${who} asked for chunks (${sent.length} requests)`);
    assert.ok(sent.every(([count]) => count === 1), `${who} asked for one chunk at a time`);
  }
});

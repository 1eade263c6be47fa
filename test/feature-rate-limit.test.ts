import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { generateSecret } from '../engine/secrets/secret.js';
import { readIf, share, startEngine, stopAll, tempDir, waitFor, type TestEngine } from './helpers/engines.js';

const SIZE = 2 * 1024 * 1024;
const LIMIT_KBPS = 200; // kB/s: 2 MiB needs >= 10 s at this rate

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * upload_limit is applied to peer connections, also to LAN/loopback peers once
 * rate_limit_local_peers is on, lifted at run time by upload_limit 0, and by default
 * local peers are exempt. The bounds below are far from the limited rate on purpose: they
 * prove whether the limit is applied, not how fast anything is.
 */
describe('upload rate limit', () => {
  const secret = generateSecret();
  const dirA = tempDir('shoal-rl-A-data-');
  const dirB = tempDir('shoal-rl-B-data-');
  let a: TestEngine | undefined;
  let b: TestEngine | undefined;
  after(() => stopAll([a, b]));

  const bytesInB = async (): Promise<number> => (await b!.engine.call('getFolderPeers', { secret }))[0]!.bytes_in;
  const bHas = (rel: string, data: Buffer) => readIf(path.join(dirB, rel))?.equals(data) === true;

  it('pair connected on loopback (a LAN peer)', async () => {
    fs.writeFileSync(path.join(dirA, 'hello.txt'), 'hi');
    a = await startEngine({ name: 'A' });
    b = await startEngine({ name: 'B' });
    await share(a, dirA, secret, [b]);
    await share(b, dirB, secret, [a]);
    await waitFor('B has hello.txt', () => readIf(path.join(dirB, 'hello.txt'))?.toString() === 'hi');
    const peers = await b.engine.call('getFolderPeers', { secret });
    assert.equal(peers.length, 1);
    assert.equal(peers[0]!.lan, true, 'a 127.0.0.1 peer counts as local');
    assert.equal((await a.engine.call('getPrefs', {})).rate_limit_local_peers, false, 'local peers are exempt by default');
  });

  it('without rate_limit_local_peers the limit does not apply to a local peer', { timeout: 30_000 }, async () => {
    const prefs = await a!.engine.call('setPrefs', { prefs: { upload_limit: LIMIT_KBPS } });
    assert.equal(prefs.upload_limit, LIMIT_KBPS);
    assert.equal(prefs.rate_limit_local_peers, false);
    const data = crypto.randomBytes(SIZE);
    const started = Date.now();
    fs.writeFileSync(path.join(dirA, 'exempt.bin'), data);
    // Limited, this would take >= 10 s.
    await waitFor('B has exempt.bin despite the limit', () => bHas('exempt.bin', data), 5000);
    const took = Date.now() - started;
    assert.ok(took < 5000, `took ${took} ms`);
  });

  it('with rate_limit_local_peers the limit applies; lifting it lets the transfer finish', { timeout: 60_000 }, async (t) => {
    const prefs = await a!.engine.call('setPrefs', { prefs: { upload_limit: LIMIT_KBPS, rate_limit_local_peers: true } });
    assert.equal(prefs.rate_limit_local_peers, true);
    const data = crypto.randomBytes(SIZE);
    const before = await bytesInB();
    fs.writeFileSync(path.join(dirA, 'limited.bin'), data);
    await waitFor('B learned about limited.bin', async () => (await b!.engine.call('getFiles', { secret })).some((f) => f.name === 'limited.bin'));
    await sleep(2000);
    const received = (await bytesInB()) - before;
    t.diagnostic(`B received ${received} bytes in the first 2 s at ${LIMIT_KBPS} kB/s`);
    assert.ok(received < 1_500_000, `at ${LIMIT_KBPS} kB/s B should have received < 1.5 MB after 2 s, got ${received}`);
    assert.ok(received > 100_000, `the limited transfer is still moving (got ${received} bytes)`);
    assert.equal(bHas('limited.bin', data), false, 'the file is not complete yet');
    const state = (await b!.engine.call('getFiles', { secret })).find((f) => f.name === 'limited.bin')?.state;
    assert.equal(state, 'downloading');

    // What is left needs >= 6 s at the limit; unlimited it is a moment.
    const lifted = Date.now();
    await a!.engine.call('setPrefs', { prefs: { upload_limit: 0 } });
    await waitFor('B has limited.bin once the limit is lifted', () => bHas('limited.bin', data), 4000);
    t.diagnostic(`finished ${Date.now() - lifted} ms after lifting the limit`);
  });

  it('the limit is back for later transfers when set again', { timeout: 60_000 }, async () => {
    await a!.engine.call('setPrefs', { prefs: { upload_limit: LIMIT_KBPS } });
    const data = crypto.randomBytes(SIZE);
    const before = await bytesInB();
    fs.writeFileSync(path.join(dirA, 'limited-again.bin'), data);
    await waitFor('B learned about limited-again.bin', async () => (await b!.engine.call('getFiles', { secret })).some((f) => f.name === 'limited-again.bin'));
    await sleep(2000);
    const received = (await bytesInB()) - before;
    assert.ok(received < 1_500_000, `limit applies again: got ${received} bytes in 2 s`);
    assert.equal(bHas('limited-again.bin', data), false);
    await a!.engine.call('setPrefs', { prefs: { upload_limit: 0 } });
    await waitFor('B has limited-again.bin', () => bHas('limited-again.bin', data), 4000);
  });
});

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { EngineStatus } from '../engine/api/contract.js';
import { generateSecret } from '../engine/secrets/secret.js';
import { readIf, share, startEngine, stopAll, tempDir, waitFor, type TestEngine } from './helpers/engines.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** B downloads at this rate (kB/s), so a few MiB take long enough to pause in the middle. */
const LIMIT_KBPS = 400;
/** Keepalives and index messages may still cross a paused connection; file data may not. */
const IDLE_BYTES = 64 * 1024;

/**
 * Pause and the tray status: pausing stops data in both directions (nothing requested,
 * nothing served, nothing from peers written) while peers stay connected; resuming finishes
 * what was interrupted, byte for byte; the paused flag survives a restart.
 */
describe('pause, resume and status', () => {
  const secret = generateSecret();
  const dirA = tempDir('shoal-pause-A-data-');
  const dirB = tempDir('shoal-pause-B-data-');
  let a: TestEngine | undefined;
  let b: TestEngine | undefined;
  const statusB: EngineStatus[] = [];
  after(() => stopAll([a, b]));

  const bytesInB = async (): Promise<number> => (await b!.engine.call('getFolderPeers', { secret }))[0]?.bytes_in ?? 0;
  const bHas = (rel: string, data: Buffer) => readIf(path.join(dirB, rel))?.equals(data) === true;
  const state = async (t: TestEngine) => (await t.engine.call('getStatus', {})).state;

  /** Wait until B receives (almost) nothing for a while: what was in flight at the pause has arrived. */
  async function settled(): Promise<number> {
    let last = await bytesInB();
    let quietSince = Date.now();
    await waitFor(
      'B stops receiving',
      async () => {
        const now = await bytesInB();
        if (now - last > IDLE_BYTES / 4) quietSince = Date.now();
        last = now;
        return Date.now() - quietSince > 1500;
      },
      20_000,
    );
    return last;
  }

  it('status: idle without folders, disconnected with a folder and no peer, then idle once in sync', async () => {
    a = await startEngine({ name: 'A' });
    b = await startEngine({ name: 'B', config: { download_limit: LIMIT_KBPS, rate_limit_local_peers: true } });
    b.engine.on('status', (s) => statusB.push(s));
    const first = await b.engine.call('getStatus', {});
    assert.equal(first.device_id, b.engine.identity.id);
    assert.equal(first.device_name, 'B');
    assert.equal(first.paused, false);
    assert.deepEqual({ state: first.state, folders: first.folders, peers: first.peers, errors: first.errors }, { state: 'idle', folders: 0, peers: 0, errors: 0 });

    fs.writeFileSync(path.join(dirA, 'hello.txt'), 'hi');
    await b.engine.call('addFolder', { dir: dirB, secret });
    assert.equal(await state(b), 'disconnected');
    await waitFor('a status event says disconnected', () => statusB.some((s) => s.state === 'disconnected' && s.folders === 1));

    await share(a, dirA, secret, [b]);
    await b.engine.call('setFolderHosts', { secret, hosts: [`127.0.0.1:${a.port}`] });
    await waitFor('B has hello.txt', () => readIf(path.join(dirB, 'hello.txt'))?.toString() === 'hi');
    await waitFor('B is idle', async () => (await state(b!)) === 'idle');
    await waitFor('A is idle', async () => (await state(a!)) === 'idle');
    const st = await b.engine.call('getStatus', {});
    assert.equal(st.peers, 1);
    assert.equal(st.folders, 1);
    await waitFor('a status event says idle with one peer', () => statusB.some((s) => s.state === 'idle' && s.peers === 1));
  });

  it('pausing the receiver stops the transfer; resuming finishes it with identical content', { timeout: 90_000 }, async () => {
    const data = crypto.randomBytes(5 * 1024 * 1024);
    fs.writeFileSync(path.join(dirA, 'big.bin'), data);
    const start = await bytesInB();
    await waitFor('B is downloading', async () => (await bytesInB()) - start > 300_000, 30_000);
    assert.equal(await state(b!), 'syncing');

    const paused = await b!.engine.call('setPaused', { paused: true });
    assert.equal(paused.paused, true);
    assert.equal(paused.state, 'paused');
    assert.ok(statusB.some((s) => s.paused && s.state === 'paused'), 'a status event announced the pause');

    const quiet = await settled();
    await sleep(2000);
    const moved = (await bytesInB()) - quiet;
    assert.ok(moved < IDLE_BYTES, `nothing moves while paused (${moved} bytes in 2 s)`);
    assert.equal(bHas('big.bin', data), false, 'the file is not complete');
    assert.ok(quiet - start < data.length, 'the pause came before the end of the file');
    assert.equal((await b!.engine.call('getFolderPeers', { secret })).length, 1, 'the peer stays connected');
    await waitFor('no transfer listed while paused', async () => (await b!.engine.call('getTransfers', {})).length === 0, 10_000);

    // A change from the peer while paused is learned but not written.
    fs.writeFileSync(path.join(dirA, 'while-paused.txt'), 'later');
    await waitFor('B knows while-paused.txt is to come', async () =>
      (await b!.engine.call('getSyncQueue', { peerId: a!.engine.identity.id })).download.some((q) => q.path === 'while-paused.txt'),
    );
    await sleep(1000);
    assert.equal(fs.existsSync(path.join(dirB, 'while-paused.txt')), false, 'nothing from peers is written while paused');
    assert.equal(await state(b!), 'paused');

    const resumed = await b!.engine.call('setPaused', { paused: false });
    assert.equal(resumed.paused, false);
    assert.notEqual(resumed.state, 'paused');
    await waitFor('B has big.bin after resuming', () => bHas('big.bin', data), 60_000);
    await waitFor('B has while-paused.txt', () => readIf(path.join(dirB, 'while-paused.txt'))?.toString() === 'later');
    await waitFor('B idle again', async () => (await state(b!)) === 'idle');
  });

  it('pausing the sender stops serving; the receiver waits without errors and gets the file after resume', { timeout: 90_000 }, async () => {
    const errorsBefore = b!.events.filter((e) => e.event === 'error').length;
    await a!.engine.call('setPaused', { paused: true });
    assert.equal(await state(a!), 'paused');
    const data = crypto.randomBytes(1024 * 1024);
    fs.writeFileSync(path.join(dirA, 'from-paused-a.bin'), data);
    await waitFor('B knows from-paused-a.bin is to come', async () =>
      (await b!.engine.call('getSyncQueue', { peerId: a!.engine.identity.id })).download.some((q) => q.path === 'from-paused-a.bin'),
    );
    const quiet = await settled();
    await sleep(2000);
    assert.ok((await bytesInB()) - quiet < IDLE_BYTES, 'A serves nothing while paused');
    assert.equal(bHas('from-paused-a.bin', data), false);
    assert.equal(await state(b!), 'syncing', 'B still has something to download');

    await a!.engine.call('setPaused', { paused: false });
    await waitFor('B has from-paused-a.bin after A resumed', () => bHas('from-paused-a.bin', data), 60_000);
    const errors = b!.events.slice().filter((e) => e.event === 'error').slice(errorsBefore);
    assert.deepEqual(errors, [], 'a paused peer is not an error');
  });

  it('the paused flag survives a restart', { timeout: 60_000 }, async () => {
    await b!.engine.call('setPaused', { paused: true });
    const storage = b!.storage;
    const port = b!.port;
    await b!.engine.close();
    b = await startEngine({ name: 'B', storage, config: { listening_port: port, download_limit: LIMIT_KBPS, rate_limit_local_peers: true } });
    const st = await b.engine.call('getStatus', {});
    assert.equal(st.paused, true);
    assert.equal(st.state, 'paused');
    // Still paused for real: a new file from A is not written until resumed.
    await waitFor('B connected again', async () => (await b!.engine.call('getFolderPeers', { secret })).length === 1, 30_000);
    fs.writeFileSync(path.join(dirA, 'after-restart.txt'), 'after restart');
    await waitFor('B knows after-restart.txt is to come', async () =>
      (await b!.engine.call('getSyncQueue', { peerId: a!.engine.identity.id })).download.some((q) => q.path === 'after-restart.txt'),
    );
    await sleep(1000);
    assert.equal(fs.existsSync(path.join(dirB, 'after-restart.txt')), false);
    await b.engine.call('setPaused', { paused: false });
    await waitFor('B has after-restart.txt', () => readIf(path.join(dirB, 'after-restart.txt'))?.toString() === 'after restart');
  });

  it('status: error when a folder stops with an error', async () => {
    const c = await startEngine({ name: 'C' });
    try {
      const dirC = tempDir('shoal-pause-C-data-');
      await c.engine.call('addFolder', { dir: dirC, secret: generateSecret() });
      fs.rmSync(dirC, { recursive: true, force: true });
      await waitFor('C reports the error state', async () => (await state(c)) === 'error', 30_000);
      assert.equal((await c.engine.call('getStatus', {})).errors, 1);
    } finally {
      await c.engine.close();
    }
  });
});

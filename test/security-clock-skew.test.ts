import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { generateSecret } from '../engine/secrets/secret.js';
import { listFiles, readIf, share, startEngine, stopAll, tempDir, waitFor, type TestEngine } from './helpers/engines.js';
import { delay } from './helpers/security.js';

/**
 * Devices whose clocks differ by more than sync_max_time_diff refuse to sync (a wrong clock
 * would make "the later change wins" pick the wrong version), and each tells its user which
 * device is off and by how much. Raising sync_max_time_diff on both lets them sync.
 */

const HOUR_MS = 3600_000;

type ErrorEvent = { code: string; message: string; peerId?: string };

function clockErrors(t: TestEngine): ErrorEvent[] {
  return t.events.filter((e) => e.event === 'error' && (e.payload as ErrorEvent).code === 'CLOCK_SKEW').map((e) => e.payload as ErrorEvent);
}

/** The message names `other` and a difference of about one hour, in seconds. */
function assertNamesPeerAndDifference(err: ErrorEvent, other: TestEngine, what: string): void {
  assert.ok(err.message.includes(other.name), `${what}: "${err.message}" names ${other.name}`);
  const numbers = (err.message.match(/\d+/g) ?? []).map(Number);
  assert.ok(
    numbers.some((n) => Math.abs(n - HOUR_MS / 1000) <= 10),
    `${what}: "${err.message}" gives the difference (about ${HOUR_MS / 1000} s)`,
  );
  assert.equal(err.peerId, other.engine.identity.id, `${what}: the event names the peer`);
}

describe('clock skew beyond sync_max_time_diff (default 600 s)', () => {
  const root = tempDir('shoal-sec-clock-');
  const secret = generateSecret();
  const dirA = path.join(root, 'A');
  const dirB = path.join(root, 'B');
  let a: TestEngine | undefined;
  let b: TestEngine | undefined;
  after(async () => {
    await stopAll([a, b]);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('A and B never sync, and both report CLOCK_SKEW naming the other device and the difference', async () => {
    fs.mkdirSync(dirA);
    fs.mkdirSync(dirB);
    fs.writeFileSync(path.join(dirA, 'from-A.txt'), 'A');
    fs.writeFileSync(path.join(dirB, 'from-B.txt'), 'B');
    a = await startEngine({ name: 'clock-alpha', storage: path.join(root, 'storage-A') });
    b = await startEngine({ name: 'clock-bravo', storage: path.join(root, 'storage-B'), clock: () => Date.now() + HOUR_MS });
    assert.equal(a.engine.prefs.sync_max_time_diff, 600);
    assert.equal(b.engine.prefs.sync_max_time_diff, 600);
    await share(a, dirA, secret, [b]);
    await share(b, dirB, secret, [a]);

    await waitFor('both report CLOCK_SKEW', () => clockErrors(a!).length > 0 && clockErrors(b!).length > 0);
    assertNamesPeerAndDifference(clockErrors(a)[0]!, b, 'on A');
    assertNamesPeerAndDifference(clockErrors(b)[0]!, a, 'on B');
    // Each side dials the other (and redials every few seconds): every connection is refused.
    await waitFor('a second refused connection', () => clockErrors(a!).length >= 2 && clockErrors(b!).length >= 2, 25_000);
    await delay(300);
    assert.equal(a.engine.peers.sessions.size, 0, 'no session is kept with a skewed device');
    assert.equal(b.engine.peers.sessions.size, 0);

    assert.deepEqual(listFiles(dirA), ['from-A.txt']);
    assert.deepEqual(listFiles(dirB), ['from-B.txt']);
    assert.deepEqual(await a.engine.call('getFolderPeers', { secret }), []);
    assert.deepEqual(await b.engine.call('getFolderPeers', { secret }), []);
    for (const t of [a, b]) {
      for (const ev of ['fileAdded', 'peerConnected', 'transferProgress']) {
        const seen = t.events.filter((e) => e.event === ev && (ev !== 'fileAdded' || (e.payload as { device: string }).device !== ''));
        assert.equal(seen.length, 0, `${t.name} never emits ${ev} for the other device`);
      }
    }
    const f = a.engine.folders.values().next().value!;
    assert.ok(![...f.entries.keys()].includes('from-B.txt'), "B's file is not even in A's index");
  });
});

describe('clock skew within a raised sync_max_time_diff', () => {
  const root = tempDir('shoal-sec-clock-ok-');
  const secret = generateSecret();
  const dirA = path.join(root, 'A');
  const dirB = path.join(root, 'B');
  let a: TestEngine | undefined;
  let b: TestEngine | undefined;
  after(async () => {
    await stopAll([a, b]);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('with sync_max_time_diff 7200 on both, the same one-hour skew syncs both ways', async () => {
    fs.mkdirSync(dirA);
    fs.mkdirSync(dirB);
    fs.writeFileSync(path.join(dirA, 'from-A.txt'), 'A');
    fs.writeFileSync(path.join(dirB, 'from-B.txt'), 'B');
    a = await startEngine({ name: 'clock-alpha', storage: path.join(root, 'storage-A'), config: { sync_max_time_diff: 7200 } });
    b = await startEngine({ name: 'clock-bravo', storage: path.join(root, 'storage-B'), config: { sync_max_time_diff: 7200 }, clock: () => Date.now() + HOUR_MS });
    assert.equal(a.engine.prefs.sync_max_time_diff, 7200);
    assert.equal(b.engine.prefs.sync_max_time_diff, 7200);
    await share(a, dirA, secret, [b]);
    await share(b, dirB, secret, [a]);

    await waitFor('B has A\u2019s file', () => readIf(path.join(dirB, 'from-A.txt'))?.toString() === 'A');
    await waitFor('A has B\u2019s file', () => readIf(path.join(dirA, 'from-B.txt'))?.toString() === 'B');
    fs.writeFileSync(path.join(dirB, 'later.txt'), 'from the future');
    await waitFor('A has B\u2019s later change', () => readIf(path.join(dirA, 'later.txt'))?.toString() === 'from the future');
    assert.deepEqual(clockErrors(a), []);
    assert.deepEqual(clockErrors(b), []);
    assert.equal((await a.engine.call('getFolderPeers', { secret })).length, 1);
  });
});

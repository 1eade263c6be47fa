import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { Sandbox, cleanupDaemons, makeDaemon, sha256File, tempDir, until, writeRandomFile, type Daemon } from './helpers/daemons.js';
import { createNetwork, netnsUnavailableReason, type TestNetwork } from './helpers/netns.js';

/**
 * LAN discovery between two real daemons, each in its own network namespace, joined by a
 * veth pair through a bridge (helpers/netns.ts). No known hosts anywhere: the only way the
 * two can meet is the multicast announce on the veth (each namespace routes 224.0.0.0/4 to
 * its veth0; the daemon uses the kernel's multicast route). The API of each daemon is on its
 * namespace's own 127.0.0.1. Nothing is sent outside the namespaces this test creates.
 */
test('two daemons on a LAN find each other by multicast and sync a folder', { timeout: 4 * 60_000 }, async (t) => {
  const reason = netnsUnavailableReason();
  if (reason) return t.skip(reason);
  let net: TestNetwork | undefined;
  let A: Daemon | undefined;
  let B: Daemon | undefined;
  const sandboxes: Sandbox[] = [];
  const root = tempDir('shoal-robust-lan-');
  try {
    net = createNetwork(2);
    const [n1, n2] = net.nodes as [(typeof net.nodes)[0], (typeof net.nodes)[0]];
    const s1 = Sandbox.inNamespace(n1.ns);
    const s2 = Sandbox.inNamespace(n2.ns);
    sandboxes.push(s1, s2);
    const lanOn = { folder_defaults: { search_lan: true } };
    A = await makeDaemon(s1, root, 'A', lanOn);
    B = await makeDaemon(s2, root, 'B', lanOn);
    const dirA = path.join(root, 'dataA');
    const dirB = path.join(root, 'dataB');
    fs.mkdirSync(dirA);
    fs.mkdirSync(dirB);
    fs.writeFileSync(path.join(dirA, 'before.txt'), 'was there before discovery');
    await Promise.all([A.start(), B.start()]);

    const secret = (await A.api<{ read_write: string }>('get_secrets')).read_write;
    await A.api('add_folder', { dir: dirA, secret });
    await B.api('add_folder', { dir: dirB, secret });
    assert.deepEqual((await A.api<{ hosts: string[] }>('get_folder_hosts', { secret })).hosts, [], 'no known hosts on A');
    assert.deepEqual((await B.api<{ hosts: string[] }>('get_folder_hosts', { secret })).hosts, [], 'no known hosts on B');
    assert.equal((await B.api<{ search_lan: number }>('get_folder_prefs', { secret })).search_lan, 1);

    // Announces every 5 s (and at once when a folder is added): give it a few rounds.
    const peer = await until(
      'B connected to A through LAN discovery',
      async () => (await B!.peers(secret)).find((p) => p.name === 'A'),
      60_000,
      200,
    );
    assert.equal(peer.address.replace(/:\d+$/, ''), n1.address, `B reached A at its veth address (${peer.address})`);
    await until('B has before.txt', () => fs.existsSync(path.join(dirB, 'before.txt')), 30_000);
    assert.equal(fs.readFileSync(path.join(dirB, 'before.txt'), 'utf8'), 'was there before discovery');

    // A file added in ns1's folder appears in ns2's folder.
    const hash = writeRandomFile(path.join(dirA, 'added-later.bin'), 3 * 1024 * 1024 + 5);
    await until('added-later.bin reached B', async () => (await sha256File(path.join(dirB, 'added-later.bin'))) === hash, 60_000, 200);
    // And the other way.
    fs.writeFileSync(path.join(dirB, 'from-b.txt'), 'from ns2');
    await until('from-b.txt reached A', () => fs.existsSync(path.join(dirA, 'from-b.txt')), 60_000);
    assert.equal(fs.readFileSync(path.join(dirA, 'from-b.txt'), 'utf8'), 'from ns2');
    const log = fs.readFileSync(path.join(B.storage, 'sync.log'), 'utf8');
    assert.doesNotMatch(log, /LAN discovery is off/, 'LAN discovery started in the namespace');
  } finally {
    await cleanupDaemons([A, B]);
    for (const s of sandboxes) s.destroy();
    net?.destroy();
    fs.rmSync(root, { recursive: true, force: true });
  }
});

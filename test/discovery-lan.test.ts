import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { LanDiscovery } from '../engine/discovery/lan.js';
import type { PeerCandidate } from '../engine/discovery/types.js';
import { garbagePackets } from './fixtures/lan-node.js';
import { createNetwork, netnsUnavailableReason, spawnJson, type JsonChild, type TestNetwork } from './helpers/netns.js';

/**
 * Network safety: the loopback test pins every socket to 127.0.0.1 with multicast TTL 0
 * (the kernel then delivers only to this host, even if pinning failed); the namespace test
 * sends only inside namespaces it creates and deletes.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fixture = path.join(root, 'test', 'fixtures', 'lan-node.ts');

async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('LAN discovery over loopback multicast (127.0.0.1, ttl 0)', async (t) => {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const F = randomBytes(32);
  const G = randomBytes(32);
  const H = randomBytes(32);
  const common = { port, interfaceAddress: '127.0.0.1', loopback: true, ttl: 0, intervalMs: 100 };
  const a = new LanDiscovery({ ...common, deviceId: 'dev-a', listenPort: 4101 });
  const b = new LanDiscovery({ ...common, deviceId: 'dev-b', listenPort: 4102 });
  const c = new LanDiscovery({ ...common, deviceId: 'dev-c', listenPort: 4103 });
  a.setFolders([F]);
  b.setFolders([F, G]);
  c.setFolders([H]);
  const seen: Record<string, PeerCandidate[]> = { a: [], b: [], c: [] };
  a.on('peer', (p) => seen.a!.push(p));
  b.on('peer', (p) => seen.b!.push(p));
  c.on('peer', (p) => seen.c!.push(p));
  const junk = dgram.createSocket({ type: 'udp4' });
  try {
    try {
      await a.start();
    } catch (err) {
      t.skip(`multicast on loopback unavailable here: ${(err as Error).message}`);
      return;
    }
    await b.start();
    await c.start();
    await new Promise<void>((r) => junk.bind(0, '127.0.0.1', r));
    junk.setMulticastTTL(0);
    junk.setMulticastInterface('127.0.0.1');
    junk.setMulticastLoopback(true);
    for (const p of garbagePackets()) junk.send(p, port, '239.192.0.0');

    await until(() => seen.a!.length > 0 && seen.b!.length > 0 && a.stats().garbage >= garbagePackets().length, 3000, 'A and B to meet');
    const fromB = seen.a!.find((p) => p.deviceId === 'dev-b')!;
    assert.deepEqual({ ...fromB, folderId: fromB.folderId!.toString('hex') }, {
      host: '127.0.0.1', port: 4102, folderId: F.toString('hex'), source: 'lan', deviceId: 'dev-b',
    });
    assert.ok(seen.b!.some((p) => p.deviceId === 'dev-a' && p.port === 4101 && p.folderId!.equals(F)));
    // Nobody reports itself, C (a folder nobody else has), or a folder the receiver lacks.
    assert.ok(seen.a!.every((p) => p.deviceId === 'dev-b' && p.folderId!.equals(F)), 'A only hears B about F');
    assert.ok(seen.b!.every((p) => p.deviceId === 'dev-a'), 'B only hears A');
    assert.equal(seen.c!.length, 0);
    assert.ok(a.stats().own > 0, 'own packets come back through loopback and are dropped');
    assert.ok(c.stats().unshared > 0);
  } finally {
    junk.close();
    await Promise.all([a.close(), b.close(), c.close()]);
    await a.close(); // idempotent
  }
});

test('LanDiscovery: folders added later are announced at once', async (t) => {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const F = randomBytes(32);
  const common = { port, interfaceAddress: '127.0.0.1', loopback: true, ttl: 0, intervalMs: 60_000 };
  const a = new LanDiscovery({ ...common, deviceId: 'late-a', listenPort: 4201 });
  const b = new LanDiscovery({ ...common, deviceId: 'late-b', listenPort: 4202 });
  b.setFolders([F]);
  const got: PeerCandidate[] = [];
  b.on('peer', (p) => got.push(p));
  try {
    try {
      await b.start();
    } catch (err) {
      t.skip(`multicast on loopback unavailable here: ${(err as Error).message}`);
      return;
    }
    await a.start(); // nothing to announce yet; the 60 s timer will not fire during the test
    a.setFolders([F]);
    await until(() => got.length > 0, 2000, 'announce after setFolders');
    assert.equal(got[0]!.deviceId, 'late-a');
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

let net: TestNetwork | null = null;
const children: JsonChild[] = [];
after(async () => {
  await Promise.all(children.map((c) => c.stop(1000)));
  net?.destroy();
});

test('LAN discovery between network namespaces (veth + bridge)', { timeout: 60_000 }, async (t) => {
  const reason = netnsUnavailableReason();
  if (reason) {
    t.skip(reason);
    return;
  }
  const F = randomBytes(32).toString('hex');
  const H = randomBytes(32).toString('hex');
  try {
    net = createNetwork(3);
    const [n1, n2, n3] = net.nodes as [typeof net.nodes[0], typeof net.nodes[0], typeof net.nodes[0]];
    const node = (ns: string, args: string[]) => {
      const c = spawnJson(ns, process.execPath, ['--import', 'tsx', fixture, '--interval', '250', ...args], root);
      children.push(c);
      return c;
    };
    // Default group and port (239.192.0.0:3838): fine, these namespaces are private.
    const A = node(n1.ns, ['--device', 'dev-a', '--listen-port', '4001', '--folders', F, '--iface', n1.address]);
    const B = node(n2.ns, ['--device', 'dev-b', '--listen-port', '4002', '--folders', F, '--iface', n2.address]);
    const C = node(n3.ns, ['--device', 'dev-c', '--listen-port', '4003', '--folders', H, '--iface', n3.address]);
    // D uses another group nobody else joins: B can hear D only through the broadcast copy.
    const D = node(n3.ns, ['--device', 'dev-d', '--listen-port', '4004', '--folders', F, '--iface', n3.address,
      '--group', '239.192.0.99', '--broadcast', net.broadcast]);
    const J = node(n3.ns, ['--mode', 'garbage', '--iface', n3.address, '--broadcast', net.broadcast]);
    for (const [name, c] of Object.entries({ A, B, C, D, J })) {
      await c.waitFor((l) => l.event === 'ready' || l.event === 'error', 20_000, `${name} ready`);
      assert.ok(!c.lines.some((l) => l.event === 'error'), `${name} failed: ${JSON.stringify(c.lines)} ${c.stderr()}`);
    }
    const peerFrom = (c: JsonChild, dev: string) => (l: Record<string, unknown>) => l.event === 'peer' && l.deviceId === dev;
    await A.waitFor(peerFrom(A, 'dev-b'), 10_000, 'A to discover B');
    await B.waitFor(peerFrom(B, 'dev-a'), 10_000, 'B to discover A');
    await B.waitFor(peerFrom(B, 'dev-d'), 10_000, 'B to discover D by broadcast');
    // A few more rounds so C's and the garbage sender's packets have surely arrived too.
    await new Promise((r) => setTimeout(r, 1000));
    await Promise.all([A, B, C, D, J].map((c) => c.stop()));

    const peers = (c: JsonChild) => c.lines.filter((l) => l.event === 'peer');
    const stats = (c: JsonChild) => c.lines.find((l) => l.event === 'stats') as Record<string, number>;
    assert.deepEqual(peers(A).find((l) => l.deviceId === 'dev-b'), {
      event: 'peer', host: n2.address, port: 4002, folderId: F, source: 'lan', deviceId: 'dev-b',
    });
    assert.deepEqual(peers(B).find((l) => l.deviceId === 'dev-a'), {
      event: 'peer', host: n1.address, port: 4001, folderId: F, source: 'lan', deviceId: 'dev-a',
    });
    assert.ok(peers(B).some((l) => l.deviceId === 'dev-d' && l.host === n3.address && l.port === 4004));
    for (const [name, c] of Object.entries({ A, B, D })) {
      for (const p of peers(c)) {
        assert.equal(p.folderId, F, `${name} reported a folder it does not share`);
        assert.notEqual(p.deviceId, 'dev-c', `${name} reported C, which announces another folder`);
      }
    }
    assert.equal(peers(C).length, 0, 'C shares nothing with anyone');
    assert.ok(stats(C).unshared > 0, 'C did hear the others');
    assert.ok(stats(A).garbage > 0 && stats(B).garbage > 0, 'garbage arrived and was counted');
    assert.ok(stats(J).sent > 0);
  } finally {
    await Promise.all(children.splice(0).map((c) => c.stop(1000)));
    net?.destroy();
    net = null;
  }
});

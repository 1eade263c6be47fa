import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { ShoalError } from '../engine/errors.js';
import { decodeAnnounce, encodeAnnounces, MAX_IDS_PER_PACKET, MAX_PACKET_BYTES } from '../engine/discovery/lan-packet.js';
import { LanDiscovery } from '../engine/discovery/lan.js';
import { garbagePackets } from './fixtures/lan-node.js';

test('announce round-trips and splits into packets of at most 1200 bytes', () => {
  const ids = Array.from({ length: 70 }, () => randomBytes(32));
  const dev = 'D'.repeat(64);
  const packets = encodeAnnounces(dev, 65535, ids);
  assert.equal(packets.length, Math.ceil(70 / MAX_IDS_PER_PACKET));
  const back: Buffer[] = [];
  for (const p of packets) {
    assert.ok(p.length <= MAX_PACKET_BYTES, `packet of ${p.length} bytes`);
    const a = decodeAnnounce(p)!;
    assert.equal(a.deviceId, dev);
    assert.equal(a.port, 65535);
    back.push(...a.folderIds);
  }
  assert.deepEqual(back, ids);
  assert.deepEqual(encodeAnnounces('x', 1, []), []);
});

test('decoder rejects every malformed packet', () => {
  for (const [i, p] of garbagePackets().entries()) assert.equal(decodeAnnounce(p), null, `garbage #${i} accepted`);
});

test('decoder never throws on mutated or random input (bounded fuzz)', () => {
  const base = encodeAnnounces('fuzz-dev', 4000, [randomBytes(32), randomBytes(32)])[0]!;
  for (let i = 0; i < 5000; i++) {
    const m = Buffer.from(base);
    const flips = 1 + (i % 4);
    for (let k = 0; k < flips; k++) m[Math.floor(Math.random() * m.length)] = Math.floor(Math.random() * 256);
    const cut = i % 3 === 0 ? m.subarray(0, Math.floor(Math.random() * m.length)) : m;
    const r = decodeAnnounce(cut);
    if (r) {
      assert.ok(r.port >= 1 && r.folderIds.every((f) => f.length === 32));
      assert.equal(cut.length, 10 + r.deviceId.length + 32 * r.folderIds.length);
    }
    assert.doesNotThrow(() => decodeAnnounce(randomBytes(i % 1300)));
  }
});

test('LanDiscovery validates its options and folder ids', () => {
  const ok = { deviceId: 'dev', listenPort: 4000 };
  const code = (fn: () => unknown) => {
    try { fn(); } catch (e) { return e instanceof ShoalError ? e.code : 'other'; }
    return 'none';
  };
  assert.equal(code(() => new LanDiscovery({ ...ok, deviceId: 'bad id' })), 'BAD_CONFIG');
  assert.equal(code(() => new LanDiscovery({ ...ok, listenPort: 0 })), 'BAD_CONFIG');
  assert.equal(code(() => new LanDiscovery({ ...ok, group: '10.0.0.1' })), 'BAD_CONFIG');
  assert.equal(code(() => new LanDiscovery({ ...ok, interfaceAddress: 'eth0' })), 'BAD_CONFIG');
  assert.equal(code(() => new LanDiscovery({ ...ok, ttl: 256 })), 'BAD_CONFIG');
  assert.equal(code(() => new LanDiscovery({ ...ok, intervalMs: 1 })), 'BAD_CONFIG');
  assert.equal(code(() => new LanDiscovery(ok).setFolders([Buffer.alloc(31)])), 'BAD_REQUEST');
  assert.equal(code(() => new LanDiscovery(ok)), 'none'); // constructing opens nothing
});

test('LanDiscovery: close() before start() is fine, start() after close() rejects', async () => {
  const lan = new LanDiscovery({ deviceId: 'dev', listenPort: 4000, interfaceAddress: '127.0.0.1', ttl: 0 });
  await lan.close();
  await lan.close();
  await assert.rejects(lan.start(), (e: unknown) => e instanceof ShoalError && e.code === 'SHUTTING_DOWN');
});

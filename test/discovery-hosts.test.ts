import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { ShoalError } from '../engine/errors.js';
import { KnownHosts, parseHostPort } from '../engine/discovery/hosts.js';
import type { PeerCandidate } from '../engine/discovery/types.js';

test('parseHostPort accepts IPv4, bracketed IPv6 and host names', () => {
  assert.deepEqual(parseHostPort('192.168.1.10:3839'), { host: '192.168.1.10', port: 3839 });
  assert.deepEqual(parseHostPort(' [fe80::1%eth0]:1 '), { host: 'fe80::1%eth0', port: 1 });
  assert.deepEqual(parseHostPort('[::1]:65535'), { host: '::1', port: 65535 });
  assert.deepEqual(parseHostPort('nas.local:4000'), { host: 'nas.local', port: 4000 });
  assert.deepEqual(parseHostPort('my-box_1:80'), { host: 'my-box_1', port: 80 });
});

test('parseHostPort rejects bad input with the caller\'s error code', () => {
  const bad = ['', 'host', 'host:', ':80', 'host:0', 'host:65536', 'host:80x', 'host:-1', '1.2.3:80', '999.1.1.1:80',
    '::1:80', '[::1]', '[nope]:80', 'bad host:80', '-lead.example:80', 'a..b:80', 'x'.repeat(300) + ':80', 'host:123456'];
  for (const s of bad) {
    assert.throws(() => parseHostPort(s), (e: unknown) => e instanceof ShoalError && e.code === 'BAD_CONFIG', s);
  }
  assert.throws(() => parseHostPort('nope', 'BAD_REQUEST'), (e: unknown) => e instanceof ShoalError && e.code === 'BAD_REQUEST'
    && /expected e\.g\./.test(e.message));
});

test('KnownHosts reports global hosts and per-folder hosts only for shared folders', async () => {
  const F = randomBytes(32);
  const G = randomBytes(32);
  const kh = new KnownHosts({
    intervalMs: 50,
    hosts: [
      { host: 'nas.local', port: 4000, folderId: null },
      { host: '10.0.0.2', port: 4001, folderId: F },
      { host: '::1', port: 4002, folderId: G },
    ],
  });
  const got: PeerCandidate[] = [];
  kh.on('peer', (c) => got.push(c));
  await kh.start();
  assert.equal(got.length, 0, 'nothing to offer without folders');
  kh.setFolders([F]);
  assert.deepEqual(got.map((c) => [c.host, c.port, c.folderId && c.folderId.equals(F), c.source]), [
    ['nas.local', 4000, null, 'hosts'],
    ['10.0.0.2', 4001, true, 'hosts'],
  ]);
  await new Promise((r) => setTimeout(r, 130));
  assert.ok(got.length >= 4, 'reported again every interval');
  assert.ok(got.every((c) => c.port !== 4002), 'G is not shared');
  await kh.close();
  const n = got.length;
  await new Promise((r) => setTimeout(r, 80));
  assert.equal(got.length, n, 'silent after close');
  await kh.close();
  await assert.rejects(kh.start(), (e: unknown) => e instanceof ShoalError && e.code === 'SHUTTING_DOWN');
  assert.throws(() => new KnownHosts({ hosts: [{ host: 'x', port: 0, folderId: null }] }), ShoalError);
});

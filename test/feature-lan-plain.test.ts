import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { generateSecret } from '../engine/secrets/secret.js';
import { readIf, share, startEngine, stopAll, tempDir, waitFor, type TestEngine } from './helpers/engines.js';

/** The live session each engine holds with the other (exactly one per device pair). */
function sessionTo(t: TestEngine, other: TestEngine) {
  const s = t.engine.peers.sessions.get(other.engine.identity.id);
  assert.ok(s, `${t.name} has a session with ${other.name}`);
  return s;
}

/** A TCP relay on 127.0.0.1 that forwards to `port` and keeps every byte it carries. */
async function tapProxy(port: number): Promise<{ port: number; seen: () => Buffer; close: () => Promise<void> }> {
  const captured: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (d: Buffer) => {
      captured.push(d);
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      captured.push(d);
      client.write(d);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    seen: () => Buffer.concat(captured),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const MARKER = Buffer.from('<<shoal plaintext marker 7f3a>>');

/**
 * lan_encrypt_data: false lets two LAN peers skip encryption (frames stay authenticated);
 * it takes both sides opting in, otherwise the connection stays encrypted. Either way the
 * folder syncs, both ways.
 */
describe('lan_encrypt_data', () => {
  const started: TestEngine[] = [];
  const proxies: Array<{ close: () => Promise<void> }> = [];
  after(async () => {
    await stopAll(started);
    for (const p of proxies) await p.close();
  });

  /**
   * A and B sync a file each way. Only B dials, through a relay that records the wire, so
   * the test can also look at what actually travelled.
   */
  async function syncedPair(encryptA: boolean, encryptB: boolean): Promise<{ a: TestEngine; b: TestEngine; wire: Buffer }> {
    const secret = generateSecret();
    const dirA = tempDir('shoal-lan-A-data-');
    const dirB = tempDir('shoal-lan-B-data-');
    // Recognisable content, plus random bytes so it is not a trivially repeated file.
    const big = Buffer.concat([...Array.from({ length: 2000 }, () => MARKER), crypto.randomBytes(512 * 1024)]);
    fs.writeFileSync(path.join(dirA, 'big.bin'), big);
    const a = await startEngine({ name: 'A', config: { lan_encrypt_data: encryptA } });
    const b = await startEngine({ name: 'B', config: { lan_encrypt_data: encryptB } });
    started.push(a, b);
    assert.equal((await a.engine.call('getPrefs', {})).lan_encrypt_data, encryptA);
    assert.equal((await b.engine.call('getPrefs', {})).lan_encrypt_data, encryptB);
    const tap = await tapProxy(a.port);
    proxies.push(tap);
    await share(a, dirA, secret, []);
    await b.engine.call('addFolder', { dir: dirB, secret });
    await b.engine.call('setFolderHosts', { secret, hosts: [`127.0.0.1:${tap.port}`] });
    await waitFor('B has big.bin', () => readIf(path.join(dirB, 'big.bin'))?.equals(big) === true);
    const back = Buffer.concat([MARKER, Buffer.from(' from B')]);
    fs.writeFileSync(path.join(dirB, 'from-B.txt'), back);
    await waitFor('A has from-B.txt', () => readIf(path.join(dirA, 'from-B.txt'))?.equals(back) === true);
    return { a, b, wire: tap.seen() };
  }

  it('both false: syncs over a plain (unencrypted) connection', async () => {
    const { a, b, wire } = await syncedPair(false, false);
    const sa = sessionTo(a, b);
    const sb = sessionTo(b, a);
    assert.equal(sa.conn.isLan, true);
    assert.equal(sa.conn.plain, true, "A's side is plain");
    assert.equal(sb.conn.plain, true, "B's side is plain");
    assert.ok(wire.includes(MARKER), 'file content crossed the wire as is');
  });

  it('one true, one false: still syncs, and the connection stays encrypted', async () => {
    const { a, b, wire } = await syncedPair(true, false);
    assert.ok(wire.length > 512 * 1024, `the relay carried the transfer (${wire.length} bytes)`);
    assert.equal(wire.includes(MARKER), false, 'no file content visible on the wire');
    assert.equal(sessionTo(a, b).conn.plain, false, "A's side is encrypted");
    assert.equal(sessionTo(b, a).conn.plain, false, "B's side is encrypted");
  });

  it('the other way round (false, true): encrypted too', async () => {
    const { a, b, wire } = await syncedPair(false, true);
    assert.ok(wire.length > 512 * 1024, `the relay carried the transfer (${wire.length} bytes)`);
    assert.equal(wire.includes(MARKER), false, 'no file content visible on the wire');
    assert.equal(sessionTo(a, b).conn.plain, false);
    assert.equal(sessionTo(b, a).conn.plain, false);
  });

  it('default (both true): encrypted', async () => {
    const { a, b, wire } = await syncedPair(true, true);
    assert.ok(wire.length > 512 * 1024, `the relay carried the transfer (${wire.length} bytes)`);
    assert.equal(wire.includes(MARKER), false, 'no file content visible on the wire');
    assert.equal(sessionTo(a, b).conn.plain, false);
    assert.equal(sessionTo(b, a).conn.plain, false);
  });
});

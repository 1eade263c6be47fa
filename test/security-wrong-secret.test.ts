import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateIdentity } from '../engine/secrets/device.js';
import { PeerConnection } from '../engine/protocol/connection.js';
import { dataHeader, encodeMessage, type Message } from '../engine/protocol/messages.js';
import { generateSecret, membershipProof, parseSecret } from '../engine/secrets/secret.js';
import { listFiles, readIf, share, startEngine, stopAll, tempDir, waitFor, type TestEngine } from './helpers/engines.js';
import { SpyPeer, delay, walk } from './helpers/security.js';

/**
 * A device without a folder's secret gets nothing from it and learns nothing about it:
 * not a file, not a name, not a byte of content, not a place among the folder's peers.
 * Real engines on 127.0.0.1, then hand-made connections speaking the protocol.
 */

const NAMES = ['TOP-SECRET-payroll-q7zx.xlsx', 'zebra-quokka-merger-plans.txt', 'hidden-dir-kv9p', 'inner-wombat-notes.md'];
const CONTENT = 'the quokka merger closes on friday; tell nobody';

function containsAny(hay: Buffer | string, needles: string[]): string | null {
  const b = Buffer.isBuffer(hay) ? hay : Buffer.from(hay);
  for (const n of needles) if (b.includes(Buffer.from(n))) return n;
  return null;
}

/** The exact payload bytes a decoded message came from (the encoding is deterministic). */
function payloadOf(m: Message): Buffer {
  if (m.type === 'data') return Buffer.concat([dataHeader(m.id), m.bytes]);
  return encodeMessage(m);
}

/**
 * `t` offered the folder at `dir` to `peerId` and was refused: an AUTH_FAILED error event
 * from that peer, or the log line the engine writes for a refusal.
 */
function refused(t: TestEngine, peerId: string, dir: string): boolean {
  return (
    t.events.some((e) => e.event === 'error' && (e.payload as { code: string }).code === 'AUTH_FAILED' && (e.payload as { peerId?: string }).peerId === peerId) ||
    t.log.lines.some((l) => l.msg.includes(dir) && /does not share|refused/.test(l.msg))
  );
}

describe('a wrong secret gets nothing and learns nothing', () => {
  const root = tempDir('shoal-sec-wrong-');
  const S = generateSecret();
  const otherSecret = generateSecret();
  const keysS = parseSecret(S);
  const dirA = path.join(root, 'A');
  const dirB = path.join(root, 'B');
  const dirX = path.join(root, 'X');
  let a: TestEngine | undefined;
  let b: TestEngine | undefined;
  let x: TestEngine | undefined;

  before(async () => {
    for (const d of [dirA, dirB, dirX]) fs.mkdirSync(d);
    fs.writeFileSync(path.join(dirA, NAMES[0]!), crypto.randomBytes(5000));
    fs.writeFileSync(path.join(dirA, NAMES[1]!), CONTENT);
    fs.mkdirSync(path.join(dirA, NAMES[2]!));
    fs.writeFileSync(path.join(dirA, NAMES[2]!, NAMES[3]!), CONTENT + ' (copy)');
    a = await startEngine({ name: 'alpha', storage: path.join(root, 'storage-A') });
    b = await startEngine({ name: 'bravo', storage: path.join(root, 'storage-B') });
    x = await startEngine({ name: 'xray', storage: path.join(root, 'storage-X') });
    // A dials both B and X for S; X dials A for its own, different folder.
    await share(a, dirA, S, [b, x]);
    await share(b, dirB, S, [a]);
    await share(x, dirX, otherSecret, [a]);
  });

  after(async () => {
    await stopAll([a, b, x]);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('engine X with another secret, dialing A and dialed by A: no file, no entry, no peer, no name', async () => {
    await waitFor('B has every file of S', () => readIf(path.join(dirB, NAMES[2]!, NAMES[3]!))?.toString() === CONTENT + ' (copy)');
    const xId = x!.engine.identity.id;
    const aId = a!.engine.identity.id;
    // Positive barriers: both sides tried and were refused.
    await waitFor('X was refused by A (X offered its folder)', () => refused(x!, aId, dirX));
    await waitFor('A was refused by X (A offered S)', () => refused(a!, xId, dirA));
    // And A keeps working for members: a change after the refusals reaches B.
    fs.writeFileSync(path.join(dirA, 'after-refusal-ocelot.txt'), 'later');
    await waitFor('B has the later file', () => readIf(path.join(dirB, 'after-refusal-ocelot.txt'))?.toString() === 'later');
    await delay(300);

    assert.deepEqual(listFiles(dirX), [], "X's folder stays empty");
    const fx = [...x!.engine.folders.values()][0]!;
    assert.equal(fx.entries.size, 0, "X's index has no entries");
    assert.equal(fx.peers.size, 0);
    assert.deepEqual(await x!.engine.call('getFiles', { secret: otherSecret }), []);
    assert.deepEqual(await x!.engine.call('getFolderPeers', { secret: otherSecret }), [], 'X joined nobody');
    const peersA = await a!.engine.call('getFolderPeers', { secret: S });
    assert.deepEqual(peersA.map((p) => p.id), [b!.engine.identity.id], "A's peers for S are B only");
    for (const ev of ['fileAdded', 'fileUpdated', 'fileDeleted', 'fileRenamed', 'conflict', 'peerConnected', 'transferProgress']) {
      assert.equal(x!.events.filter((e) => e.event === ev).length, 0, `X never emits ${ev}`);
    }
    assert.ok(
      !a!.events.some((e) => e.event === 'peerConnected' && (e.payload as { peerId: string }).peerId === xId),
      'A never reports X as a connected peer of a folder',
    );
    assert.throws(() => x!.engine.folderBySecret(S), /No folder/);
    // A finds its folder by the master secret and by the read-only one derived from it; X
    // finds its own folder, never A's, and an unparseable secret is simply not found.
    const fa = a!.engine.folderBySecret(S);
    assert.equal(a!.engine.folderBySecret(parseSecret(S).readOnlySecret), fa);
    assert.equal(x!.engine.folderBySecret(otherSecret), fx);
    assert.throws(() => a!.engine.folderBySecret(otherSecret), /No folder/);
    assert.throws(() => a!.engine.folderBySecret('not a secret'), /No folder/);

    // Nothing X has — events, log lines, its storage on disk, its folder — holds a name or the content.
    const leak = containsAny(JSON.stringify(x!.events), [...NAMES, CONTENT]) ?? containsAny(JSON.stringify(x!.log.lines), [...NAMES, CONTENT]);
    assert.equal(leak, null, `X's events/log mention ${leak}`);
    await x!.engine.close(); // flush its store so the files on disk are complete
    for (const base of [path.join(root, 'storage-X'), dirX]) {
      for (const rel of walk(base)) {
        const abs = path.join(base, rel);
        assert.equal(containsAny(rel, NAMES), null, `X has a file named after S's content: ${abs}`);
        if (fs.statSync(abs).isFile()) assert.equal(containsAny(fs.readFileSync(abs), [...NAMES, CONTENT]), null, `${abs} holds S's data`);
      }
    }
  });

  it('a raw PeerConnection joining S with wrong proofs, or an unknown folder: refuse, never an index or a name', async () => {
    const intruder = generateIdentity();
    const conn = await PeerConnection.connect({
      host: '127.0.0.1',
      port: a!.port,
      identity: intruder,
      deviceName: 'intruder',
      listenPort: 0,
      plainLan: false,
      timeoutMs: 3000,
    });
    const got: Message[] = [];
    conn.onMessage((m) => got.push(m));
    try {
      const randomId = crypto.randomBytes(32);
      const otherSession = crypto.randomBytes(64);
      const attempts: Array<{ what: string; folderId: Buffer; proof: Buffer }> = [
        { what: 'garbage proof for S', folderId: keysS.folderId, proof: crypto.randomBytes(32) },
        { what: 'all-zero proof for S', folderId: keysS.folderId, proof: Buffer.alloc(32) },
        // Knows only the public folder id: the best it can do is key a MAC with it.
        { what: 'proof keyed with the public folder id', folderId: keysS.folderId, proof: membershipProof({ ...keysS, readKey: keysS.folderId }, conn.handshakeHash, true) },
        // A real proof from another session (as if captured) is bound to that session.
        { what: 'valid proof of another session (replay)', folderId: keysS.folderId, proof: membershipProof(keysS, otherSession, true) },
        { what: 'random folder id', folderId: randomId, proof: crypto.randomBytes(32) },
      ];
      for (const at of attempts) {
        conn.send({ type: 'join', folderId: at.folderId, proof: at.proof });
      }
      await waitFor(
        'a refuse for every join',
        () => got.filter((m) => m.type === 'refuse').length === attempts.length,
        5000,
      );
      const refuses = got.filter((m): m is Extract<Message, { type: 'refuse' }> => m.type === 'refuse');
      attempts.forEach((at, i) => {
        assert.equal(refuses[i]!.code, 'AUTH_FAILED', at.what);
        assert.ok(refuses[i]!.folderId.equals(at.folderId), at.what);
      });
      // Even knowing a real chunk (path, offset, size, hash), a request outside a joined folder fails.
      const entry = [...a!.engine.folders.get(keysS.folderIdHex)!.entries.values()].find((e) => e.record.path === NAMES[1])!;
      const chunk = entry.record.chunks[0]!;
      conn.send({ type: 'request', folderId: keysS.folderId, id: 7, path: NAMES[1]!, offset: 0, size: chunk.size, hash: chunk.hash });
      await waitFor('the request fails', () => got.some((m) => m.type === 'fail' && m.id === 7), 5000);
      assert.equal((got.find((m) => m.type === 'fail') as Extract<Message, { type: 'fail' }>).code, 'AUTH_FAILED');
      // Meanwhile A changes S: a member would hear about it, the intruder must not.
      fs.writeFileSync(path.join(dirA, 'while-intruder-connected-tapir.txt'), CONTENT);
      await waitFor('B has the change', () => readIf(path.join(dirB, 'while-intruder-connected-tapir.txt'))?.toString() === CONTENT);
      await delay(1000);

      assert.deepEqual(
        [...new Set(got.map((m) => m.type))].sort(),
        ['fail', 'refuse'],
        `only refusals and a failure came back, got ${got.map((m) => m.type).join(', ')}`,
      );
      const bytes = Buffer.concat(got.map(payloadOf));
      const leak = containsAny(bytes, [...NAMES, CONTENT, 'while-intruder-connected-tapir']);
      assert.equal(leak, null, `A sent the intruder ${leak}`);
      const peersA = await a!.engine.call('getFolderPeers', { secret: S });
      assert.deepEqual(peersA.map((p) => p.id), [b!.engine.identity.id], 'the intruder is not a peer of S');
      // An index for S on this connection is a protocol violation: A hangs up.
      conn.send({ type: 'index', folderId: keysS.folderId, records: [], complete: true });
      const reason = await Promise.race([conn.closed, delay(5000).then(() => null)]);
      assert.ok(reason, 'A closed the connection after an index for a folder it did not share');
    } finally {
      conn.close();
    }
  });

  it('the decrypted bytes A sends a raw peer that knows only the folder id contain nothing of S', async () => {
    const spy = await SpyPeer.connect(a!.port, { name: 'spy' });
    try {
      spy.send({ type: 'join', folderId: keysS.folderId, proof: crypto.randomBytes(32) });
      spy.send({ type: 'join', folderId: crypto.randomBytes(32), proof: crypto.randomBytes(32) });
      await waitFor('two refusals', () => spy.messages.filter((m) => m.type === 'refuse').length === 2, 5000);
      fs.writeFileSync(path.join(dirA, 'while-spy-connected-okapi.txt'), CONTENT);
      await waitFor('B has the change', () => readIf(path.join(dirB, 'while-spy-connected-okapi.txt'))?.toString() === CONTENT);
      await delay(1000);
      assert.equal(spy.readError, null);
      assert.deepEqual(spy.types(), ['hello', 'refuse', 'refuse'], 'hello and two refusals, nothing else');
      for (const m of spy.messages) if (m.type === 'refuse') assert.equal(m.code, 'AUTH_FAILED');
      const leak = containsAny(spy.allBytes(), [...NAMES, CONTENT, 'while-spy-connected-okapi']);
      assert.equal(leak, null, `A's payloads to the spy contain ${leak}`);
    } finally {
      spy.destroy();
    }
  });
});

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isSynced } from '../engine/model/entry.js';
import type { FileRecord } from '../engine/model/record.js';
import { encodeRecord } from '../engine/model/record.js';
import { MAX_QUEUED } from '../engine/model/index-intake.js';
import { recordVerifier } from '../engine/model/record-verifier.js';
import type { Message } from '../engine/protocol/messages.js';
import { generateSecret, parseSecret } from '../engine/secrets/secret.js';
import { listFiles, readIf, share, startEngine, stopAll, tempDir, waitFor, type TestEngine } from './helpers/engines.js';
import { SpyPeer, delay, forgedRecord, randomSigningKey, rawIndex, snapshot, walk } from './helpers/security.js';

/**
 * A read-only device (holding only the B… secret) can read everything and change nothing
 * anywhere else: neither through its own disk, nor by forging index records on the wire
 * (records are signed with the folder's Ed25519 key, which it does not have), nor by
 * smuggling a path out of the folder.
 */

type IndexMsg = Extract<Message, { type: 'index' }>;

describe('a read-only peer can never change anyone\u2019s files', () => {
  const root = tempDir('shoal-sec-ro-');
  const rw = generateSecret();
  let ro = '';
  const keys = parseSecret(rw);
  const dirA = path.join(root, 'peers', 'A');
  const dirR = path.join(root, 'peers', 'R');
  let a: TestEngine | undefined;
  let r: TestEngine | undefined;
  let original = new Map<string, string>();

  const text = (dir: string, rel: string): string | undefined => readIf(path.join(dir, rel))?.toString();
  const folderA = () => a!.engine.folders.get(keys.folderIdHex)!;
  const folderR = () => r!.engine.folders.get(keys.folderIdHex)!;
  /** R's model (not just its disk) holds every path of A's, each synced. */
  const rFullySynced = (): boolean =>
    [...folderA().entries.keys()].every((p) => {
      const e = folderR().entries.get(p);
      return !!e && isSynced(e);
    });
  const sigOnA = (rel: string): string | undefined => folderA().entries.get(rel)?.record.sig.toString('hex');

  /** Spy peer joined to A's folder with the read-only secret, after A's full index arrived. */
  async function joinedSpy(name: string): Promise<{ spy: SpyPeer; index: FileRecord[] }> {
    const spy = await SpyPeer.connect(a!.port, { name });
    spy.joinWith(parseSecret(ro));
    await spy.waitMessage('A accepts the read-only member (join back)', (m) => m.type === 'join');
    await spy.waitMessage('A sends its full index', (m) => m.type === 'index' && m.complete);
    const index = spy.messages.filter((m): m is IndexMsg => m.type === 'index').flatMap((m) => m.records);
    return { spy, index };
  }

  /** A positive barrier through both directions: A changes a file, R receives and re-announces it to A. */
  let barrierN = 0;
  async function barrier(): Promise<void> {
    const v = `barrier ${++barrierN}`;
    fs.writeFileSync(path.join(dirA, 'barrier.txt'), v);
    await waitFor(`R received ${v}`, () => text(dirR, 'barrier.txt') === v);
    const rId = r!.engine.identity.id;
    const mine = folderA().entries.get('barrier.txt')!.record;
    await waitFor(`R announced ${v} back to A`, () => {
      const theirs = folderA().peers.get(rId)?.index.get('barrier.txt');
      return !!theirs && theirs.sig.equals(mine.sig);
    });
  }

  before(async () => {
    fs.mkdirSync(path.join(dirA, 'sub'), { recursive: true });
    fs.mkdirSync(dirR, { recursive: true });
    for (const [rel, body] of [
      ['victim.txt', 'original victim'],
      ['doomed.txt', 'original doomed'],
      ['keep.txt', 'original keep'],
      ['sub/deep.txt', 'original deep'],
      ['barrier.txt', 'barrier 0'],
    ] as const) {
      fs.writeFileSync(path.join(dirA, rel), body);
    }
    a = await startEngine({ name: 'alpha', storage: path.join(root, 'storage-A') });
    r = await startEngine({ name: 'reader', storage: path.join(root, 'storage-R') });
    ro = (await a.engine.call('getSecrets', { secret: rw })).read_only;
    assert.match(ro, /^B/);
    await share(a, dirA, rw, [r]);
    await share(r, dirR, ro, [a]);
  });

  after(async () => {
    await stopAll([a, r]);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('R receives everything', async () => {
    await waitFor('R has every file', () => JSON.stringify(listFiles(dirR)) === JSON.stringify(listFiles(dirA)) && rFullySynced());
    original = snapshot(dirA);
    assert.deepEqual(snapshot(dirR), original);
    assert.equal((await r!.engine.call('getFolders', { secret: ro }))[0]!.type, 'read_only');
  });

  it('R edits, deletes and creates files locally: A never changes', async () => {
    const sigs = new Map([...original.keys()].map((rel) => [rel, sigOnA(rel.replace(/\/$/, ''))]));
    const eventsBefore = a!.events.length;
    fs.writeFileSync(path.join(dirR, 'victim.txt'), 'R was here');
    fs.unlinkSync(path.join(dirR, 'doomed.txt'));
    fs.writeFileSync(path.join(dirR, 'sub/deep.txt'), 'R edited deep');
    fs.writeFileSync(path.join(dirR, 'planted-by-R.txt'), 'R wants this everywhere');
    fs.mkdirSync(path.join(dirR, 'planted-dir'));
    fs.writeFileSync(path.join(dirR, 'planted-dir/inner.txt'), 'R again');
    // R has noticed its changes (they are local changes there, never announced) ...
    const stateOnR = async (rel: string) => (await r!.engine.call('getFiles', { secret: ro, path: rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : undefined })).find((f) => f.name === rel.slice(rel.lastIndexOf('/') + 1))?.state;
    await waitFor('R sees its edit and deletion as local changes', async () =>
      (await stateOnR('victim.txt')) === 'local_change' && (await stateOnR('doomed.txt')) === 'local_change' && (await stateOnR('sub/deep.txt')) === 'local_change',
    );
    await folderR().rescan(); // ... and has scanned the new ones too
    // ... then a change travels A -> R -> A, after anything R could have sent about them.
    await barrier();
    await delay(300);

    const now = snapshot(dirA);
    now.delete('barrier.txt');
    const before = new Map(original);
    before.delete('barrier.txt');
    assert.deepEqual(now, before, "A's files are exactly as they were");
    for (const [rel, sig] of sigs) {
      if (rel === 'barrier.txt') continue;
      assert.equal(sigOnA(rel.replace(/\/$/, '')), sig, `A's record of ${rel} is unchanged`);
    }
    assert.equal(folderA().entries.has('planted-by-R.txt'), false);
    assert.equal(folderA().entries.has('planted-dir'), false);
    const fileEvents = a!.events
      .slice(eventsBefore)
      .filter((e) => ['fileAdded', 'fileUpdated', 'fileDeleted', 'fileRenamed', 'conflict'].includes(e.event))
      .map((e) => `${e.event} ${(e.payload as { path: string }).path}`);
    assert.deepEqual(fileEvents, ['fileUpdated barrier.txt'], 'A saw no file change but its own');
    assert.equal(fs.existsSync(path.join(dirA, '.SyncArchive', 'victim.txt')), false, 'nothing of A was replaced');
  });

  it('an edit on R at the instant a download lands stays a local change (not recorded as the download)', async () => {
    // Regression: the download's stat used to be taken after the rename, so an edit in that
    // moment was recorded as the downloaded version and never looked at again.
    fs.writeFileSync(path.join(dirA, 'landing.txt'), 'from A, about to land on R');
    const deadline = Date.now() + 20_000;
    while (!fs.existsSync(path.join(dirR, 'landing.txt'))) {
      assert.ok(Date.now() < deadline, 'landing.txt reached R');
      await new Promise((res) => setImmediate(res));
    }
    fs.writeFileSync(path.join(dirR, 'landing.txt'), 'R edited it at once');
    await waitFor('R recorded the download', () => folderR().entries.get('landing.txt')?.disk?.path === 'landing.txt');
    await folderR().rescan();
    await barrier();
    const e = folderR().entries.get('landing.txt')!;
    assert.equal(e.localChanged, true, 'R knows its disk differs from the shared version');
    assert.equal(fs.readFileSync(path.join(dirA, 'landing.txt'), 'utf8'), 'from A, about to land on R', 'A is unchanged');
    const rId = r!.engine.identity.id;
    const announced = folderA().peers.get(rId)?.index.get('landing.txt');
    assert.ok(!announced || announced.sig.equals(folderA().entries.get('landing.txt')!.record.sig), 'R never claims another version');
  });

  it('forged index records (wrong key, garbage or zero signature) are rejected with BAD_SIGNATURE; A is untouched', async () => {
    const { spy, index } = await joinedSpy('forger');
    try {
      // The read-only member really reads: A's index lists the files with their signatures.
      const victim = index.find((x) => x.path === 'victim.txt');
      assert.ok(victim, 'a read-only member gets the index');
      const before = snapshot(dirA);
      const sigsBefore = ['victim.txt', 'keep.txt', 'sub/deep.txt'].map(sigOnA);
      const evil = Buffer.from('forged content');
      const wrongKey = randomSigningKey();
      const forged: FileRecord[] = [
        forgedRecord(keys.folderId, wrongKey, 'victim.txt', evil),
        forgedRecord(keys.folderId, wrongKey, 'keep.txt', null), // a deletion
        { ...forgedRecord(keys.folderId, wrongKey, 'sub/deep.txt', evil), sig: crypto.randomBytes(64) },
        { ...forgedRecord(keys.folderId, wrongKey, 'planted.txt', evil), sig: Buffer.alloc(64) },
        // A real signature of this folder, with one field changed after signing.
        { ...victim, size: victim.size, version: [...victim.version.map(([id, c]) => [id, c + 1000] as [string, number])] },
      ];
      const errorsBefore = a!.events.length;
      spy.frame(rawIndex(keys.folderId, forged.map(encodeRecord), false));
      await waitFor('A reports BAD_SIGNATURE for the forger', () =>
        a!.events.slice(errorsBefore).some((e) => e.event === 'error' && (e.payload as { code: string }).code === 'BAD_SIGNATURE'),
      );
      const err = a!.events.slice(errorsBefore).find((e) => e.event === 'error' && (e.payload as { code: string }).code === 'BAD_SIGNATURE')!.payload as {
        message: string;
        peerId?: string;
        folder?: string;
      };
      assert.equal(err.peerId, spy.identity.id);
      assert.equal(err.folder, keys.folderIdHex);
      assert.match(err.message, /forger/);
      assert.match(err.message, /5 change/);
      // Then a legit change from A still flows (the forgeries did not wedge anything).
      await barrier();
      await delay(300);
      assert.deepEqual(['victim.txt', 'keep.txt', 'sub/deep.txt'].map(sigOnA), sigsBefore, "A's records are A's");
      const now = snapshot(dirA);
      now.delete('barrier.txt');
      before.delete('barrier.txt');
      assert.deepEqual(now, before, "A's files are untouched");
      assert.equal(folderA().entries.has('planted.txt'), false);
      assert.equal(fs.existsSync(path.join(dirA, 'planted.txt')), false);
      assert.equal(text(dirR, 'keep.txt'), 'original keep', 'nor did anything reach R');
    } finally {
      spy.destroy();
    }
  });

  it('a big forged index (checked on the verifier worker) is rejected whole, in order with what follows it', async () => {
    const { spy } = await joinedSpy('mass-forger');
    try {
      const before = snapshot(dirA);
      const sigsBefore = ['victim.txt', 'keep.txt'].map(sigOnA);
      const wrongKey = randomSigningKey();
      const tag = crypto.randomBytes(3).toString('hex');
      const forged: FileRecord[] = [];
      for (let i = 0; i < 300; i++) forged.push(forgedRecord(keys.folderId, wrongKey, `mass-${tag}/planted ${i}.txt`, Buffer.from(`evil ${i}`)));
      forged.push(forgedRecord(keys.folderId, wrongKey, 'victim.txt', Buffer.from('evil')));
      const checkedBefore = recordVerifier.checkedOnWorker;
      const errorsBefore = a!.events.length;
      spy.frame(rawIndex(keys.folderId, forged.map(encodeRecord), false));
      // A small forged message right behind it is applied after it, not before.
      spy.frame(rawIndex(keys.folderId, [encodeRecord(forgedRecord(keys.folderId, wrongKey, 'keep.txt', null))], false));
      const badReports = (): string[] =>
        a!.events
          .slice(errorsBefore)
          .filter((e) => e.event === 'error' && (e.payload as { code: string }).code === 'BAD_SIGNATURE')
          .map((e) => (e.payload as { message: string }).message);
      await waitFor('A reports both forged messages', () => badReports().length >= 2);
      assert.match(badReports()[0]!, /301 change/, 'the big one first, every record refused');
      assert.match(badReports()[1]!, /1 change/);
      assert.ok(recordVerifier.checkedOnWorker >= checkedBefore + 301, 'the big index was checked on the worker');
      await barrier();
      assert.deepEqual(['victim.txt', 'keep.txt'].map(sigOnA), sigsBefore, "A's records are A's");
      const now = snapshot(dirA);
      now.delete('barrier.txt');
      before.delete('barrier.txt');
      assert.deepEqual(now, before, "A's files are untouched");
      assert.equal(fs.existsSync(path.join(dirA, `mass-${tag}`)), false, 'nothing was planted');
    } finally {
      spy.destroy();
    }
  });

  it('a flood of big forged index messages is checked in order while the sender is made to wait; nothing is lost or planted', async () => {
    const { spy } = await joinedSpy('flooder');
    try {
      const wrongKey = randomSigningKey();
      const tag = crypto.randomBytes(3).toString('hex');
      const MESSAGES = 3 * MAX_QUEUED;
      const errorsBefore = a!.events.length;
      for (let m = 0; m < MESSAGES; m++) {
        const forged: FileRecord[] = [];
        for (let i = 0; i < 40; i++) forged.push(forgedRecord(keys.folderId, wrongKey, `flood-${tag}/m${m}/f${i}.txt`, Buffer.from('x')));
        spy.frame(rawIndex(keys.folderId, forged.map(encodeRecord), false));
      }
      const reports = (): string[] =>
        a!.events
          .slice(errorsBefore)
          .filter((e) => e.event === 'error' && (e.payload as { code: string }).code === 'BAD_SIGNATURE')
          .map((e) => (e.payload as { message: string }).message);
      await waitFor('A reports every forged message', () => reports().length >= MESSAGES, 20_000);
      assert.equal(reports().length, MESSAGES);
      assert.ok(reports().every((m) => /40 change/.test(m)), 'each message refused whole');
      await barrier();
      assert.equal(fs.existsSync(path.join(dirA, `flood-${tag}`)), false, 'nothing was planted');
      assert.equal(spy.lastError(), undefined, 'the sender was slowed down, not cut off');
    } finally {
      spy.destroy();
    }
  });

  it('records with paths out of the folder or into Shoal\u2019s own files are refused by the decoder, even when validly signed', async () => {
    const before = snapshot(dirA);
    const marker = fs.readFileSync(path.join(dirA, '.sync', 'ID'), 'utf8');
    const tag = crypto.randomBytes(4).toString('hex');
    const cases = [`../evil-${tag}`, `../../evil-${tag}`, `sub/../../evil-${tag}`, `/tmp/evil-${tag}`, `.sync/ID`, `.SyncArchive/evil-${tag}`, `sub\\..\\..\\evil-${tag}`];
    for (const rel of cases) {
      const { spy } = await joinedSpy('smuggler');
      try {
        // Signed with the real folder key: only the path is wrong.
        const rec = forgedRecord(keys.folderId, keys.signingKey!, rel, Buffer.from('escaped!'));
        spy.frame(rawIndex(keys.folderId, [encodeRecord(rec)], false));
        assert.ok(await spy.ended(5000), `A closed the connection for ${rel}`);
        const why = spy.lastError();
        assert.ok(why, `A said why it closed (${rel})`);
        assert.ok(why.code === 'BAD_PATH' || why.code === 'PROTOCOL_ERROR', `${rel}: ${why.code} ${why.message}`);
      } finally {
        spy.destroy();
      }
    }
    await barrier();
    const now = snapshot(dirA);
    now.delete('barrier.txt');
    before.delete('barrier.txt');
    assert.deepEqual(now, before, "A's files are untouched");
    assert.equal(fs.readFileSync(path.join(dirA, '.sync', 'ID'), 'utf8'), marker, 'the root marker is untouched');
    const escaped = walk(root).filter((p) => p.includes('evil'));
    assert.deepEqual(escaped, [], 'nothing was written outside the folder');
    assert.equal(fs.existsSync(`/tmp/evil-${tag}`), false);
    assert.equal(fs.existsSync(path.resolve(process.cwd(), `../evil-${tag}`)), false);
    assert.equal(fs.existsSync(path.join(dirA, '.SyncArchive', `evil-${tag}`)), false);
  });
});

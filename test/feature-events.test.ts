import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { EngineEvents, EventName } from '../engine/api/contract.js';
import { generateSecret, parseSecret } from '../engine/secrets/secret.js';
import { exists, readIf, share, startEngine, stopAll, tempDir, waitFor, type TestEngine } from './helpers/engines.js';

/** Typed events recorded through the public `engine.on(...)`, one list per event name. */
class Recorder {
  readonly seen: { [E in EventName]?: Array<EngineEvents[E]> } = {};
  private readonly off: Array<() => void> = [];

  constructor(t: TestEngine, names: EventName[]) {
    for (const name of names) this.listen(t, name);
  }

  private listen<E extends EventName>(t: TestEngine, name: E): void {
    const list: Array<EngineEvents[E]> = [];
    (this.seen as Record<E, Array<EngineEvents[E]>>)[name] = list;
    this.off.push(t.engine.on(name, (p) => list.push(p)));
  }

  of<E extends EventName>(name: E): Array<EngineEvents[E]> {
    return (this.seen[name] ?? []) as Array<EngineEvents[E]>;
  }

  stop(): void {
    for (const off of this.off) off();
  }
}

/**
 * The engine's typed events for changes that arrive from a peer: which file, which folder,
 * and the name of the device that made the change; plus peerConnected and syncFinished.
 */
describe('engine events for remote changes', () => {
  const secret = generateSecret();
  const folderId = parseSecret(secret).folderIdHex;
  const dirA = tempDir('shoal-ev-A-data-');
  const dirB = tempDir('shoal-ev-B-data-');
  let a: TestEngine | undefined;
  let b: TestEngine | undefined;
  let rec: Recorder | undefined;
  after(() => {
    rec?.stop();
    return stopAll([a, b]);
  });

  const fileEvents = <E extends 'fileAdded' | 'fileUpdated' | 'fileDeleted' | 'fileRenamed'>(name: E, rel: string) =>
    rec!.of(name).filter((p) => p.path === rel);

  function checkBase(p: { folder: string; dir: string; device: string; at: number }, what: string): void {
    assert.equal(p.folder, folderId, `${what}: folder id`);
    assert.equal(p.dir, path.resolve(dirB), `${what}: folder dir`);
    assert.equal(p.device, 'A', `${what}: made by A`);
    assert.equal(typeof p.at, 'number');
    assert.ok(Math.abs(p.at - Date.now()) < 60_000, `${what}: at is a current time`);
  }

  it('peerConnected names the peer, its address and the shared folder', async () => {
    a = await startEngine({ name: 'A' });
    b = await startEngine({ name: 'B' });
    rec = new Recorder(b, ['fileAdded', 'fileUpdated', 'fileDeleted', 'fileRenamed', 'syncFinished', 'peerConnected', 'peerDisconnected', 'conflict']);
    await share(a, dirA, secret, [b]);
    await share(b, dirB, secret, [a]);
    await waitFor('B emitted peerConnected', () => rec!.of('peerConnected').length > 0);
    const pc = rec.of('peerConnected')[0]!;
    assert.equal(pc.peerId, a.engine.identity.id);
    assert.equal(pc.name, 'A');
    assert.match(pc.address, /127\.0\.0\.1/);
    assert.equal(pc.lan, true);
    assert.deepEqual(pc.folders, [folderId]);
  });

  it('remote add: fileAdded with path, size, folder and device, then syncFinished', async () => {
    const finishedBefore = rec!.of('syncFinished').length;
    const data = crypto.randomBytes(300_000);
    fs.mkdirSync(path.join(dirA, 'docs'));
    fs.writeFileSync(path.join(dirA, 'docs/report.bin'), data);
    await waitFor('fileAdded on B', () => fileEvents('fileAdded', 'docs/report.bin').length > 0);
    assert.ok(readIf(path.join(dirB, 'docs/report.bin'))?.equals(data), 'the event comes once the file is in place');
    const ev = fileEvents('fileAdded', 'docs/report.bin')[0]!;
    checkBase(ev, 'fileAdded');
    assert.equal(ev.size, data.length);
    await waitFor('syncFinished after the add', () => rec!.of('syncFinished').length > finishedBefore);
    const sf = rec!.of('syncFinished').at(-1)!;
    assert.equal(sf.folder, folderId);
    assert.equal(sf.dir, path.resolve(dirB));
    assert.equal(typeof sf.at, 'number');
    assert.equal(fileEvents('fileUpdated', 'docs/report.bin').length, 0, 'a new file is an add, not an update');
  });

  it('remote update: fileUpdated', async () => {
    const finishedBefore = rec!.of('syncFinished').length;
    fs.writeFileSync(path.join(dirA, 'docs/report.bin'), 'shorter now');
    await waitFor('fileUpdated on B', () => fileEvents('fileUpdated', 'docs/report.bin').length > 0);
    assert.equal(readIf(path.join(dirB, 'docs/report.bin'))?.toString(), 'shorter now');
    const ev = fileEvents('fileUpdated', 'docs/report.bin')[0]!;
    checkBase(ev, 'fileUpdated');
    assert.equal(ev.size, 'shorter now'.length);
    assert.equal(fileEvents('fileAdded', 'docs/report.bin').length, 1, 'no second add');
    await waitFor('syncFinished after the update', () => rec!.of('syncFinished').length > finishedBefore);
  });

  it('remote rename: fileRenamed with from and path', async () => {
    const data = crypto.randomBytes(200_000);
    fs.writeFileSync(path.join(dirA, 'before.bin'), data);
    await waitFor('B has before.bin', () => readIf(path.join(dirB, 'before.bin'))?.equals(data) === true);
    fs.renameSync(path.join(dirA, 'before.bin'), path.join(dirA, 'docs/after.bin'));
    await waitFor('fileRenamed on B', () => fileEvents('fileRenamed', 'docs/after.bin').length > 0).catch((err: Error) => {
      // Which events B did emit tells a missed pairing from a sync that never happened.
      const seen = b!.events.filter((e) => e.event.startsWith('file')).map((e) => `${e.event} ${JSON.stringify(e.payload)}`);
      throw new Error(`${err.message}\nB's file events:\n${seen.join('\n')}`);
    });
    assert.ok(readIf(path.join(dirB, 'docs/after.bin'))?.equals(data));
    await waitFor('old name gone on B', () => !exists(path.join(dirB, 'before.bin')));
    const ev = fileEvents('fileRenamed', 'docs/after.bin')[0]!;
    checkBase(ev, 'fileRenamed');
    assert.equal(ev.from, 'before.bin');
    assert.equal(fileEvents('fileAdded', 'docs/after.bin').length, 0, 'a rename is not reported as an add');
  });

  it('remote delete: fileDeleted', async () => {
    const finishedBefore = rec!.of('syncFinished').length;
    fs.unlinkSync(path.join(dirA, 'docs/report.bin'));
    await waitFor('fileDeleted on B', () => fileEvents('fileDeleted', 'docs/report.bin').length > 0);
    assert.equal(exists(path.join(dirB, 'docs/report.bin')), false);
    checkBase(fileEvents('fileDeleted', 'docs/report.bin')[0]!, 'fileDeleted');
    await waitFor('syncFinished after the delete', () => rec!.of('syncFinished').length > finishedBefore);
  });

  it('every file event was about this folder and no conflict was reported', () => {
    for (const name of ['fileAdded', 'fileUpdated', 'fileDeleted', 'fileRenamed'] as const) {
      for (const p of rec!.of(name)) assert.equal(p.folder, folderId, `${name} ${p.path}`);
    }
    assert.equal(rec!.of('conflict').length, 0);
    // (Both sides dial each other; when the duplicate connection replaces the first one, B
    // may report the peer connected a second time, so this checks content, not a count.)
    for (const pc of rec!.of('peerConnected')) {
      assert.equal(pc.peerId, a!.engine.identity.id);
      assert.equal(pc.name, 'A');
    }
  });

  it('peerDisconnected when the peer shuts down', async () => {
    await a!.engine.close();
    await waitFor('B emitted peerDisconnected', () => rec!.of('peerDisconnected').some((p) => p.peerId === a!.engine.identity.id));
    const pd = rec!.of('peerDisconnected').find((p) => p.peerId === a!.engine.identity.id)!;
    assert.equal(pd.name, 'A');
    assert.equal(typeof pd.reason, 'string');
    assert.deepEqual(await b!.engine.call('getFolderPeers', { secret }), []);
  });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FileEvents } from '../engine/model/file-events.js';
import type { FolderHost } from '../engine/model/host.js';
import type { FileRecord } from '../engine/model/record.js';

/** A FolderHost that records emitted events, with a clock the test moves. */
function recordingHost() {
  const events: Array<{ event: string; path: string; from?: string }> = [];
  let now = 1_000_000;
  const host = {
    deviceId: 'ME',
    now: () => now,
    emit: (event: string, payload: { path: string; from?: string }) => events.push({ event, path: payload.path, from: payload.from }),
    deviceName: (id: string) => id,
  } as unknown as FolderHost;
  return { host, events, advance: (ms: number) => (now += ms) };
}

function fileRecord(path: string, size: number, hashByte: number): FileRecord {
  const hash = Buffer.alloc(32, hashByte);
  return { path, size, kind: 'file', deleted: false, chunks: [{ hash, size }] } as unknown as FileRecord;
}

test("a peer's rename reads as one rename whichever half lands first", async () => {
  const folder = { id: 'F', root: '/data' };
  const old = fileRecord('before.bin', 200_000, 7);

  // The deletion first (held), then the renamed copy: one fileRenamed.
  const a = recordingHost();
  const first = new FileEvents(a.host, folder);
  first.deleted('before.bin', old, 'A');
  first.renamed('after.bin', 'before.bin', 'A');
  first.flush();
  assert.deepEqual(a.events, [{ event: 'fileRenamed', path: 'after.bin', from: 'before.bin' }]);

  // The copy first (its data came from the old file before that was archived), then the
  // deletion: the deletion was part of the rename, not a second event.
  const b = recordingHost();
  const second = new FileEvents(b.host, folder);
  second.renamed('after.bin', 'before.bin', 'A');
  b.advance(500);
  second.deleted('before.bin', old, 'A');
  second.flush();
  assert.deepEqual(b.events, [{ event: 'fileRenamed', path: 'after.bin', from: 'before.bin' }]);

  // A later, real deletion of a file of that name is reported.
  b.advance(60_000);
  second.deleted('before.bin', old, 'A');
  second.flush();
  assert.deepEqual(b.events.at(-1), { event: 'fileDeleted', path: 'before.bin', from: undefined });
});

test('a deletion with nothing to pair is reported once its hold ends', async () => {
  const { host, events } = recordingHost();
  const fe = new FileEvents(host, { id: 'F', root: '/data' });
  fe.deleted('gone.txt', fileRecord('gone.txt', 10, 1), 'A');
  assert.deepEqual(events, [], 'held back for a possible rename');
  await new Promise((r) => setTimeout(r, 2100));
  assert.deepEqual(events, [{ event: 'fileDeleted', path: 'gone.txt', from: undefined }]);
});

test("a peer's rename whose copy landed before its deletion even arrived is one rename", async () => {
  const { host, events } = recordingHost();
  const fe = new FileEvents(host, { id: 'F', root: '/data' });
  const content = fileRecord('new name.bin', 300_000, 9);
  fe.peerAdded(content, 'A', true); // made of local chunks only: held a moment
  assert.deepEqual(events, []);
  fe.deleted('old name.bin', { ...content, path: 'old name.bin' } as FileRecord, 'A');
  fe.flush();
  assert.deepEqual(events, [{ event: 'fileRenamed', path: 'new name.bin', from: 'old name.bin' }]);
});

test('a copied-in file with no deletion to pair is reported as added once its hold ends', async () => {
  const { host, events } = recordingHost();
  const fe = new FileEvents(host, { id: 'F', root: '/data' });
  fe.peerAdded(fileRecord('dup.bin', 5000, 3), 'A', true);
  fe.deleted('other.bin', fileRecord('other.bin', 5000, 4), 'A'); // other content: no pairing
  await new Promise((r) => setTimeout(r, 1100));
  assert.deepEqual(events.filter((e) => e.event === 'fileAdded'), [{ event: 'fileAdded', path: 'dup.bin', from: undefined }]);
});

test("a peer's deletion then its addition of the same content is one rename, even when the content was downloaded", () => {
  const { host, events } = recordingHost();
  const fe = new FileEvents(host, { id: 'F', root: '/data' });
  const content = fileRecord('docs/after.bin', 200_000, 4);
  // The copy's source was archived by this very deletion while the copy ran, so the bytes
  // came from the peer; the peer still renamed the file.
  fe.deleted('before.bin', { ...content, path: 'before.bin' } as FileRecord, 'A');
  fe.peerAdded(content, 'A', false);
  fe.flush();
  assert.deepEqual(events, [{ event: 'fileRenamed', path: 'docs/after.bin', from: 'before.bin' }]);
});

test("another device's deletion of the same content does not make a peer's addition a rename", () => {
  const { host, events } = recordingHost();
  const fe = new FileEvents(host, { id: 'F', root: '/data' });
  const content = fileRecord('copy.bin', 200_000, 4);
  fe.deleted('orig.bin', { ...content, path: 'orig.bin' } as FileRecord, 'C');
  fe.peerAdded(content, 'A', false);
  fe.flush();
  assert.deepEqual(events, [
    { event: 'fileAdded', path: 'copy.bin', from: undefined },
    { event: 'fileDeleted', path: 'orig.bin', from: undefined },
  ]);
});

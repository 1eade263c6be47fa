import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Announcer } from '../engine/model/announcer.js';
import type { PeerLink } from '../engine/model/peer-link.js';
import type { FileRecord } from '../engine/model/record.js';

function rec(path: string, preview = false): FileRecord {
  return { path, kind: 'file', size: 1, mtimeMs: 1, mode: 0o644, chunks: [], deleted: false, version: [], changedAt: 1, origin: 'A', sig: Buffer.alloc(64), ...(preview ? { preview: true } : {}) } as FileRecord;
}

test('announcer: batches per path; a preview never displaces a record waiting to be sent', async () => {
  const sent: FileRecord[][] = [];
  const prepared: string[] = [];
  const peer = { sendIndex: (records: FileRecord[]) => void sent.push(records) } as unknown as PeerLink;
  const a = new Announcer(() => [peer], (r) => void prepared.push(r.path), 1);
  const final = rec('big.bin');
  a.announce(rec('big.bin', true));
  a.announce(final); // the final record replaces the preview before it left
  a.announce(rec('big.bin', true)); // a later preview (another hash of the file) must not replace it
  a.announce(rec('other.txt'));
  a.flush();
  assert.equal(sent.length, 1);
  assert.deepEqual(sent[0]!.map((r) => [r.path, !!r.preview]), [['big.bin', false], ['other.txt', false]]);
  assert.equal(sent[0]![0], final);
  assert.deepEqual(prepared, ['big.bin', 'other.txt'], 'records are prepared (signed) only when sent');
  // With no peer, nothing is prepared or sent (a peer joining later gets everything).
  const lonely = new Announcer(() => [], () => assert.fail('nothing to prepare without a peer'), 1);
  lonely.announce(rec('x'));
  lonely.flush();
});

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, it } from 'node:test';
import { ShoalError } from '../engine/errors.js';
import { ChunkLists, SPLICE_MIN_CHUNKS, applySplice, planSplice } from '../engine/protocol/chunk-splice.js';
import { decodeMessage, encodeIndex, type IndexMsg } from '../engine/protocol/messages.js';
import { decodeRecord, encodeWireRecord, sameRecord, type ChunkRef, type FileRecord } from '../engine/model/record.js';

/**
 * Big files' chunk lists travel as changes to the last list sent for the same path on the
 * same connection. These tests drive both ends (ChunkLists) through the real wire encoding
 * and check that the receiver ends up with exactly the records the sender sent, that the
 * change is what travels, and that every malformed change is a PROTOCOL_ERROR.
 */

const folderId = crypto.randomBytes(32);

function chunks(n: number): ChunkRef[] {
  return Array.from({ length: n }, (_, i) => ({ hash: crypto.randomBytes(32), size: 100_000 + i }));
}

function fileRecord(path: string, list: ChunkRef[], extra: Partial<FileRecord> = {}): FileRecord {
  return {
    path,
    kind: 'file',
    size: list.reduce((n, c) => n + c.size, 0),
    mtimeMs: 1_700_000_000_000,
    mode: 0o644,
    chunks: list,
    deleted: false,
    version: [['DEVICEA', list.length]],
    changedAt: 1_700_000_000_000,
    origin: 'DEVICEA',
    sig: crypto.randomBytes(64),
    ...extra,
  };
}

/** Send `records` from one end to the other through encodeIndex / decodeMessage; returns what arrived and the bytes. */
function carry(sent: ChunkLists, received: ChunkLists, records: FileRecord[]): { got: FileRecord[]; bytes: number } {
  const splices = records.map((r) => sent.outgoing(r));
  const frames = encodeIndex(folderId, records, false, splices);
  const got: FileRecord[] = [];
  for (const f of frames) {
    const m = decodeMessage(f) as IndexMsg;
    received.incomingAll(m.records, m.splices);
    got.push(...m.records);
  }
  return { got, bytes: frames.reduce((n, f) => n + f.length, 0) };
}

function expectProtocolError(fn: () => unknown, what: string): void {
  assert.throws(fn, (e: unknown) => e instanceof ShoalError && e.code === 'PROTOCOL_ERROR', what);
}

describe('chunk list splices', () => {
  it('planSplice keeps the shared head and tail; applySplice rebuilds the list', () => {
    const old = chunks(200);
    const next = [...old.slice(0, 90), ...chunks(5), ...old.slice(93)];
    const s = planSplice(old, next)!;
    assert.equal(s.head, 90);
    assert.equal(s.tail, 107);
    assert.equal(s.mid.length, 5);
    assert.deepEqual(applySplice(old, s), next);
    assert.equal(planSplice(old, chunks(200)), null, 'nothing shared: sent whole');
  });

  it('an edit, previews growing into a final record, a delete and a small file: the receiver gets every record exactly', () => {
    const sent = new ChunkLists();
    const received = new ChunkLists();
    const v1 = chunks(300);
    const first = carry(sent, received, [fileRecord('big.bin', v1)]);
    assert.ok(sameRecord(first.got[0]!, fileRecord('big.bin', v1, { sig: first.got[0]!.sig })));

    // An insert in the middle: only the changed chunks travel.
    const v2 = [...v1.slice(0, 150), ...chunks(9), ...v1.slice(152)];
    const edit = fileRecord('big.bin', v2, { version: [['DEVICEA', 2]] });
    const second = carry(sent, received, [edit]);
    assert.ok(sameRecord(second.got[0]!, edit), 'the rebuilt record is the one sent (signature bytes included)');
    assert.ok(second.bytes < first.bytes / 10, `the edit cost ${second.bytes} bytes, the whole list ${first.bytes}`);

    // A new file's previews, then its final record: each only adds the chunks after the last.
    const all = chunks(400);
    for (const n of [100, 200]) {
      const p = fileRecord('new.bin', all.slice(0, n), { preview: true });
      assert.ok(sameRecord(carry(sent, received, [p]).got[0]!, p));
    }
    const final = fileRecord('new.bin', all);
    const last = carry(sent, received, [final, fileRecord('small.txt', chunks(2))]);
    assert.ok(sameRecord(last.got[0]!, final));
    assert.equal(last.got[1]!.chunks.length, 2);

    // Deleted, then created again: the new list goes whole (there is none to change).
    const gone = fileRecord('big.bin', [], { deleted: true, size: 0 });
    carry(sent, received, [gone]);
    assert.equal(sent.outgoing(fileRecord('big.bin', v2)), null);
  });

  it('a splice before any list, past the end of the list, or not adding up is a PROTOCOL_ERROR', () => {
    const base = fileRecord('big.bin', chunks(SPLICE_MIN_CHUNKS));
    const fresh = new ChunkLists();
    expectProtocolError(() => fresh.incoming(fileRecord('big.bin', []), { head: 1, tail: 0, mid: [] }), 'no list to change');

    const lists = new ChunkLists();
    lists.incoming(base, null);
    const r = (): FileRecord => ({ ...base, chunks: [] });
    expectProtocolError(() => lists.incoming(r(), { head: SPLICE_MIN_CHUNKS + 1, tail: 0, mid: [] }), 'head past the end');
    expectProtocolError(() => lists.incoming(r(), { head: 10, tail: SPLICE_MIN_CHUNKS - 9, mid: [] }), 'head and tail overlap');
    expectProtocolError(() => lists.incoming(r(), { head: 10, tail: 10, mid: [] }), 'sizes do not add up to the size');
    expectProtocolError(() => lists.incoming(r(), { head: 2 ** 40, tail: 0, mid: [] }), 'absurd head');
  });

  it('the decoder refuses a splice of a directory or a deletion, and a stored record never holds one', () => {
    const dir = fileRecord('d', [], { kind: 'dir', size: 0 });
    expectProtocolError(() => decodeMessage(encodeIndex(folderId, [dir], false, [{ head: 0, tail: 0, mid: [] }])[0]!), 'a directory');
    const del = fileRecord('x', [], { deleted: true, size: 0 });
    expectProtocolError(() => decodeMessage(encodeIndex(folderId, [del], false, [{ head: 0, tail: 0, mid: [] }])[0]!), 'a deletion');
    const spliced = encodeWireRecord(fileRecord('f', chunks(3)), { head: 1, tail: 1, mid: [] });
    expectProtocolError(() => decodeRecord(spliced), 'decodeRecord (the index store) reads whole records only');
  });
});

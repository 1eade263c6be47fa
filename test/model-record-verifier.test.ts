/**
 * Signatures of a big index are checked on the verifier's worker thread: the verdicts are
 * exactly those of verifyRecord on this thread, for good records and every kind of bad one.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { test } from 'node:test';
import { signRecord, verifyRecord, type FileRecord } from '../engine/model/record.js';
import { WORKER_FROM, recordVerifier } from '../engine/model/record-verifier.js';
import { generateSecret, parseSecret } from '../engine/secrets/secret.js';
import { randomSigningKey } from './helpers/security.js';

function record(folderId: Buffer, key: Buffer, i: number): FileRecord {
  return signRecord(folderId, key, {
    path: `d${i % 7}/file ${i}.txt`,
    kind: 'file',
    size: 10 + i,
    mtimeMs: 1_700_000_000_000 + i,
    mode: 0o644,
    chunks: [{ hash: crypto.randomBytes(32), size: 10 + i }],
    deleted: false,
    version: [['DEVICE', i + 1]],
    changedAt: 1_700_000_000_000 + i,
    origin: 'DEVICE',
  });
}

test('a big batch of records is verified on the worker, with the same verdicts as on this thread', async () => {
  const keys = parseSecret(generateSecret());
  const other = randomSigningKey();
  const records: FileRecord[] = [];
  for (let i = 0; i < 700; i++) {
    const good = record(keys.folderId, keys.signingKey!, i);
    switch (i % 6) {
      case 1: // signed with another key
        records.push(record(keys.folderId, other, i));
        break;
      case 2: // a field changed after signing
        records.push({ ...good, size: good.size + 1 });
        break;
      case 3: {
        // zero, short and garbage signatures
        const kind = Math.floor(i / 6) % 3;
        records.push({ ...good, sig: kind === 0 ? Buffer.alloc(64) : kind === 1 ? Buffer.alloc(10) : crypto.randomBytes(64) });
        break;
      }
      case 4: // signed for another folder
        records.push(record(crypto.randomBytes(32), keys.signingKey!, i));
        break;
      default:
        records.push(good);
    }
  }
  assert.ok(records.length >= WORKER_FROM);
  const before = recordVerifier.checkedOnWorker;
  const verdicts = await recordVerifier.verify(keys.folderId, keys.publicKey, records);
  assert.ok(recordVerifier.checkedOnWorker > before, 'the worker checked them');
  assert.deepEqual(
    verdicts,
    records.map((r) => verifyRecord(keys.folderId, keys.publicKey, r)),
  );
  assert.equal(verdicts.filter(Boolean).length, records.filter((_, i) => i % 6 === 0 || i % 6 === 5).length);
  // A few records are checked right here, with the same answers.
  const few = records.slice(0, 5);
  const mark = recordVerifier.checkedOnWorker;
  assert.deepEqual(await recordVerifier.verify(keys.folderId, keys.publicKey, few), few.map((r) => verifyRecord(keys.folderId, keys.publicKey, r)));
  assert.equal(recordVerifier.checkedOnWorker, mark);
});

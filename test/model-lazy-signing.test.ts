/**
 * This device's records are signed when first sent: a folder indexed while no peer is
 * connected holds unsigned records (no signing cost), and a peer that joins later gets
 * them signed, verifies them and syncs. Real engines on loopback, real files.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { isSigned, verifyRecord } from '../engine/model/record.js';
import { generateSecret, parseSecret } from '../engine/secrets/secret.js';
import { readIf, share, startEngine, stopAll, tempDir, waitFor, type TestEngine } from './helpers/engines.js';

const engines: TestEngine[] = [];
after(() => stopAll(engines));

test('records of a folder indexed alone are unsigned; a peer joining later receives them signed and syncs', async () => {
  const secret = generateSecret();
  const keys = parseSecret(secret);
  const dirA = tempDir('shoal-lazy-a-');
  const dirB = tempDir('shoal-lazy-b-');
  for (let i = 0; i < 20; i++) fs.writeFileSync(path.join(dirA, `f${i}.txt`), `file ${i}`);
  const a = await startEngine({ name: 'A' });
  engines.push(a);
  await a.engine.call('addFolder', { dir: dirA, secret });
  const folder = [...a.engine.folders.values()][0]!;
  await waitFor('A indexed its files', () => folder.entries.size >= 20 && !folder.indexing);
  const records = () => [...folder.entries.values()].map((e) => e.record).filter((r) => r.kind === 'file');
  assert.ok(records().every((r) => !isSigned(r)), 'nothing signed while no peer is there');

  const b = await startEngine({ name: 'B' });
  engines.push(b);
  await share(b, dirB, secret, [a]);
  await a.engine.call('setFolderHosts', { secret, hosts: [`127.0.0.1:${b.port}`] });
  await waitFor('B has every file', () => Array.from({ length: 20 }, (_, i) => readIf(path.join(dirB, `f${i}.txt`))?.toString() === `file ${i}`).every(Boolean));
  for (const r of records()) {
    assert.ok(isSigned(r), `${r.path} was signed when sent`);
    assert.ok(verifyRecord(keys.folderId, keys.publicKey, r), `${r.path}: a valid signature`);
  }
  assert.ok(!b.events.some((e) => e.event === 'error' && JSON.stringify(e.payload).includes('BAD_SIGNATURE')), 'B accepted every record');
});

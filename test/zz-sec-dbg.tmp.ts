import fs from 'node:fs';
import path from 'node:path';
import { generateSecret } from '../engine/secrets/secret.js';
import { readIf, share, startEngine, stopAll, tempDir, waitFor } from './helpers/engines.js';
const root = tempDir('dbg-race-');
const S = generateSecret();
const dA = path.join(root, 'A'), dB = path.join(root, 'B');
fs.mkdirSync(dA); fs.mkdirSync(dB);
const a = await startEngine({ name: 'a' }); const b = await startEngine({ name: 'b' });
await share(a, dA, S, [b]); await share(b, dB, S, [a]);
const fb = () => [...b.engine.folders.values()][0]!;
let lost = 0, hitWindow = 0;
const N = 20;
for (let i = 0; i < N; i++) {
  const name = `f${i}.txt`;
  fs.writeFileSync(path.join(dA, name), `from A ${i} `.repeat(50));
  // Edit on B the instant the download is visible on B's disk.
  const deadline = Date.now() + 10000;
  while (Date.now() < deadline) {
    if (fs.existsSync(path.join(dB, name))) break;
    await new Promise((r) => setImmediate(r));
  }
  const inModel = fb().entries.get(name)?.disk?.path === name;
  if (!inModel) hitWindow++;
  fs.writeFileSync(path.join(dB, name), `edited on B ${i}`);
  try {
    await waitFor('A gets B edit', () => readIf(path.join(dA, name))?.toString() === `edited on B ${i}`, 5000);
  } catch {
    lost++;
    console.log(`LOST edit of ${name}; edit happened before the model recorded the download: ${!inModel}`);
  }
}
console.log({ N, hitWindow, lost });
await stopAll([a, b]);
fs.rmSync(root, { recursive: true, force: true });

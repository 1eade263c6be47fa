import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ENGINE_ENV, ENGINE_NODE_FLAGS } from '../engine/process-tuning.js';

const repo = path.resolve(import.meta.dirname, '..');

test("the shoal command's shebang starts the engine the way the desktop app does", () => {
  const first = fs.readFileSync(path.join(repo, 'engine/cli.ts'), 'utf8').split('\n')[0]!;
  const env = Object.entries(ENGINE_ENV).map(([k, v]) => `${k}=${v}`);
  assert.equal(first, `#!/usr/bin/env -S ${[...env, 'node', ...ENGINE_NODE_FLAGS].join(' ')}`);
});
// The desktop side is checked where it runs: test/main-electron-wiring.test.ts records the fork options.

test('an engine on at most two cores optimizes its JavaScript later; with more cores V8 keeps its default', async () => {
  const { FEW_CORES_FLAGS, runtimeV8Flags } = await import('../engine/process-tuning.js');
  for (const cores of [1, 2]) assert.deepEqual(runtimeV8Flags(cores), [...ENGINE_NODE_FLAGS, ...FEW_CORES_FLAGS]);
  for (const cores of [3, 4, 16]) assert.deepEqual(runtimeV8Flags(cores), [...ENGINE_NODE_FLAGS]);
  assert.ok(FEW_CORES_FLAGS.every((f) => /^--[a-z-]+=\d+$/.test(f)), 'flags V8 takes as they are');
});

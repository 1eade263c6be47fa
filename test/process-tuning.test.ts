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

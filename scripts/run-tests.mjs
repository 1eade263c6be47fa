#!/usr/bin/env node
// Runs every test file under test/ with Node's test runner (through tsx), after a type
// check. Node 20's `--test` has no glob and exits 0 when given no files, so this lists the
// files itself and fails when there are none or when the runner reports zero tests.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const only = process.argv.slice(2);

function listTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const abs = path.join(dir, name);
    if (statSync(abs).isDirectory()) {
      if (name === 'fixtures' || name === 'helpers') continue;
      out.push(...listTests(abs));
    } else if (name.endsWith('.test.ts')) out.push(path.relative(root, abs));
  }
  return out.sort();
}

const files = only.length > 0 ? only : listTests(path.join(root, 'test'));
if (files.length === 0) {
  console.error('run-tests: no test files found');
  process.exit(1);
}

// Each layer has its own tsconfig (renderer: DOM, no Node; main: Node + electron.d.ts).
const projects = ['.', 'main', 'renderer'].filter((p) => existsSync(path.join(root, p, 'tsconfig.json')));
if (!process.env.SKIP_TYPECHECK) {
  for (const project of projects) {
    const tsc = spawnSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', path.join(root, project)], { stdio: 'inherit' });
    if (tsc.status !== 0) {
      console.error(`run-tests: type check failed (${project}/tsconfig.json)`);
      process.exit(tsc.status ?? 1);
    }
  }
}

// The Web UI tests serve the built renderer and the desktop tests load the built preload:
// build both first so the tests see exactly what ships.
if (!process.env.SKIP_BUILD && existsSync(path.join(root, 'scripts/build-ui.mjs'))) {
  const build = spawnSync(process.execPath, [path.join(root, 'scripts/build-ui.mjs')], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) {
    console.error('run-tests: building the renderer / desktop bundles failed');
    process.exit(build.status ?? 1);
  }
}

const args = ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=1', ...files];
const run = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 256 * 1024 * 1024 });
process.stdout.write(run.stdout ?? '');
const tests = /ℹ tests (\d+)/.exec(run.stdout ?? '');
const passed = /ℹ pass (\d+)/.exec(run.stdout ?? '');
const failed = /ℹ fail (\d+)/.exec(run.stdout ?? '');
const skipped = /ℹ skipped (\d+)/.exec(run.stdout ?? '');
if (!tests || Number(tests[1]) === 0) {
  console.error('run-tests: the test runner reported no tests: failing the run');
  process.exit(1);
}
console.log(`${passed ? passed[1] : 0} passed, ${failed ? failed[1] : 0} failed, ${skipped ? skipped[1] : 0} skipped`);
process.exit(run.status ?? 1);

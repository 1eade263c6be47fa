import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { importSpecifiers } from './helpers/imports.js';

/**
 * Layers import downwards only (ARCHITECTURE.md):
 *   engine/   plain Node: never `electron`, nothing under main/ or renderer/.
 *   renderer/ browser code: no Node built-ins, no electron, and engine/ only through engine/api/.
 * A regex scan, not a compiler pass: cheap, and it also catches require() and import().
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE_EXT = /\.(?:ts|tsx|mts|cts|js|jsx|mjs|cjs)$/;
const NODE_BUILTINS_FOR_RENDERER = /^(?:node:.*|fs|fs\/.*|path|path\/.*|child_process|os|net|dgram|worker_threads)$/;

export interface Violation {
  file: string;
  specifier: string;
  rule: string;
}

function isInside(dir: string, p: string): boolean {
  const rel = path.relative(dir, p);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

function topDir(root: string, abs: string): string {
  const rel = path.relative(root, abs);
  return rel.startsWith('..') ? '' : rel.split(path.sep)[0]!;
}

/** Layering violations of one file, given its absolute path and content. */
export function checkFile(root: string, file: string, content: string): Violation[] {
  const layer = topDir(root, file);
  const out: Violation[] = [];
  for (const spec of importSpecifiers(content)) {
    const relative = spec.startsWith('.') || spec.startsWith('/');
    const target = relative ? path.resolve(path.dirname(file), spec) : null;
    const targetLayer = target ? topDir(root, target) : '';
    const rel = path.relative(root, file);
    const hit = (rule: string) => out.push({ file: rel, specifier: spec, rule });
    if (spec === 'electron' || spec.startsWith('electron/')) {
      if (layer === 'engine' || layer === 'renderer') hit(`${layer}/ must not import electron`);
    }
    if (layer === 'engine' && (targetLayer === 'main' || targetLayer === 'renderer')) {
      hit(`engine/ must not import from ${targetLayer}/`);
    }
    if (layer === 'renderer') {
      if (NODE_BUILTINS_FOR_RENDERER.test(spec)) hit('renderer/ must not import Node built-ins');
      if (targetLayer === 'main') hit('renderer/ must not import from main/');
      if (targetLayer === 'engine' && !isInside(path.join(root, 'engine', 'api'), target!)) {
        hit('renderer/ may use engine/ only through engine/api/');
      }
    }
  }
  return out;
}

function walk(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else if (SOURCE_EXT.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

function checkTree(layer: string): { files: number; violations: Violation[] } {
  const files = walk(path.join(ROOT, layer));
  return { files: files.length, violations: files.flatMap((f) => checkFile(ROOT, f, fs.readFileSync(f, 'utf8'))) };
}

test('the checker catches violations (self-check on synthetic files)', () => {
  const eng = path.join(ROOT, 'engine', 'net', 'x.ts');
  const bad = [
    "import { app } from 'electron';",
    "import type { Win } from '../../main/window.js';",
    "export * from '../../renderer/store.js';",
    "const m = await import('../../main/tray.js');",
    "const e = require(\"electron\");",
    "import '../../renderer/side-effect.js';",
    "import { ipcMain } from 'electron/main';",
  ];
  for (const line of bad) assert.equal(checkFile(ROOT, eng, line).length, 1, `missed: ${line}`);
  const good = [
    "import net from 'node:net';",
    "import { ShoalError } from '../errors.js';",
    "import { x } from './main.js';", // engine/net/main.js, not the main/ layer
    "/** never import from 'electron' here */",
    "// import { app } from 'electron';",
  ].join('\n');
  assert.deepEqual(checkFile(ROOT, eng, good), []);

  const ui = path.join(ROOT, 'renderer', 'src', 'App.tsx');
  for (const line of ["import fs from 'fs';", "import p from 'node:path';", "import cp from 'child_process';",
    "import { shell } from 'electron';", "import { Engine } from '../../engine/engine.js';", "import w from '../../main/w.js';"]) {
    assert.equal(checkFile(ROOT, ui, line).length, 1, `missed: ${line}`);
  }
  assert.deepEqual(checkFile(ROOT, ui, "import type { Api } from '../../engine/api/contract.js';\nimport React from 'react';"), []);
});

test('engine/ imports no electron, main/ or renderer/', () => {
  const { files, violations } = checkTree('engine');
  assert.ok(files > 0, 'no engine sources found: is the walker broken?');
  assert.deepEqual(violations, []);
});

test('renderer/ imports no Node built-ins or electron, and engine/ only via engine/api/', (t) => {
  const { files, violations } = checkTree('renderer');
  if (files === 0) {
    t.diagnostic('renderer/ has no sources yet');
  }
  assert.deepEqual(violations, []);
});

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import { PNG } from 'pngjs';
import { trayIconFiles } from '../main/tray-icons.js';

/**
 * electron-builder.yml checked with electron-builder's own schema (the same check
 * `electron-builder` runs before building), plus what the schema cannot know: the icons it
 * names exist and are what each platform wants, package.json "main" is the built Electron
 * main, and the bundles only load packages that ship (dependencies, not devDependencies).
 */
const ROOT = path.resolve(import.meta.dirname, '..');
const require = createRequire(import.meta.url);

type Config = Record<string, unknown> & {
  mac: { icon: string; extendInfo: Record<string, unknown>; target: unknown };
  win: { icon: string; target: unknown };
  linux: { icon: string; target: unknown };
  files: string[];
  asarUnpack: string[];
  directories: { buildResources: string };
};

function loadConfig(): Config {
  const yaml = require('js-yaml') as { load(text: string): unknown };
  return yaml.load(fs.readFileSync(path.join(ROOT, 'electron-builder.yml'), 'utf8')) as Config;
}

async function validate(config: unknown): Promise<void> {
  const { validateConfiguration } = require('app-builder-lib/out/util/config/config') as {
    validateConfiguration(config: unknown, debugLogger: unknown): Promise<void>;
  };
  const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled?: boolean) => unknown };
  await validateConfiguration(config, new DebugLogger(false));
}

function ensureBuilt(): void {
  if (fs.existsSync(path.join(ROOT, 'dist-electron', 'main.js')) && fs.existsSync(path.join(ROOT, 'dist-electron', 'preload.cjs'))) return;
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build-desktop.mjs')], { cwd: ROOT, stdio: 'inherit' });
  assert.equal(r.status, 0, 'scripts/build-desktop.mjs failed');
}

test('electron-builder.yml passes electron-builder\'s schema; unknown keys are rejected', async () => {
  const config = loadConfig();
  await validate(config);
  await assert.rejects(validate({ ...config, bogusKey: true }), /unknown property 'bogusKey'/);
  await assert.rejects(validate({ ...config, mac: { ...config.mac, notAMacOption: 1 } }), /configuration\.mac/);
});

test('electron-builder.yml: targets, menu-bar app, native modules unpacked, shipped files', () => {
  const c = loadConfig();
  assert.equal(c.appId, 'org.shoal.app');
  assert.equal(c.productName, 'Shoal');
  assert.equal(c.mac.target, 'dmg');
  assert.equal(c.mac.extendInfo.LSUIElement, true, 'menu-bar app: no Dock icon');
  assert.equal(c.win.target, 'nsis');
  assert.deepEqual(c.linux.target, ['AppImage', 'deb']);
  for (const mod of ['sodium-native', 'classic-level']) assert.ok(c.asarUnpack.includes(`node_modules/${mod}/**`), `${mod} unpacked from asar`);
  for (const pattern of ['package.json', 'dist-electron/**/*', 'renderer/dist/**/*', 'assets/tray/**/*']) assert.ok(c.files.includes(pattern), `files: ${pattern}`);
});

function readPng(buf: Buffer): PNG {
  return PNG.sync.read(buf);
}

/** Frames of an ICO file (PNG-compressed entries, as scripts/make-icons.mjs writes them). */
function icoFrames(file: string): { size: number; png: PNG }[] {
  const buf = fs.readFileSync(file);
  assert.equal(buf.readUInt16LE(0), 0);
  assert.equal(buf.readUInt16LE(2), 1, 'type 1 = icon');
  const count = buf.readUInt16LE(4);
  const frames = [];
  for (let i = 0; i < count; i++) {
    const e = 6 + 16 * i;
    const size = buf.readUInt8(e) || 256;
    const len = buf.readUInt32LE(e + 8);
    const off = buf.readUInt32LE(e + 12);
    assert.ok(off + len <= buf.length, 'frame inside the file');
    const png = readPng(buf.subarray(off, off + len));
    assert.equal(png.width, size);
    assert.equal(png.height, size);
    frames.push({ size, png });
  }
  return frames;
}

test('icons named in the config exist and are what each platform wants', () => {
  const c = loadConfig();
  const mac = readPng(fs.readFileSync(path.join(ROOT, c.mac.icon)));
  assert.ok(mac.width >= 512 && mac.width === mac.height, 'macOS icon: square, at least 512 px (icns is made from it)');
  const win = icoFrames(path.join(ROOT, c.win.icon));
  assert.ok(win.some((f) => f.size === 256), 'Windows icon has a 256 px frame');
  assert.ok(win.some((f) => f.size === 16), 'and a 16 px one');
  const linuxDir = path.join(ROOT, c.linux.icon);
  for (const size of [16, 32, 48, 64, 128, 256, 512]) {
    const png = readPng(fs.readFileSync(path.join(linuxDir, `${size}x${size}.png`)));
    assert.equal(png.width, size);
  }
  // Not a blank square: the mark is there (opaque background and white fish).
  const px = (x: number, y: number) => mac.data.readUInt32BE((y * mac.width + x) * 4);
  assert.equal(px(0, 0) & 0xff, 0, 'transparent corner');
  const colours = new Set<number>();
  for (let y = 0; y < mac.height; y += 16) for (let x = 0; x < mac.width; x += 16) colours.add(px(x, y));
  assert.ok(colours.size > 20, 'a real picture');
});

test('tray icons: macOS templates are black + alpha at 1x/2x, Windows .ico and Linux PNGs for every state', () => {
  for (const f of trayIconFiles('darwin')) {
    const png = readPng(fs.readFileSync(path.join(ROOT, 'assets', f)));
    assert.equal(png.width, f.includes('@2x') ? 32 : 16, f);
    let opaque = 0;
    for (let i = 0; i < png.data.length; i += 4) {
      if (png.data[i + 3]! > 0) {
        assert.deepEqual([png.data[i], png.data[i + 1], png.data[i + 2]], [0, 0, 0], `${f}: template images are black`);
        opaque++;
      }
    }
    assert.ok(opaque > png.width * 2, `${f}: has a shape`);
  }
  for (const f of trayIconFiles('win32')) {
    const sizes = icoFrames(path.join(ROOT, 'assets', f)).map((x) => x.size);
    for (const s of [16, 24, 32, 48]) assert.ok(sizes.includes(s), `${f} has ${s} px`);
  }
  for (const f of trayIconFiles('linux')) assert.equal(readPng(fs.readFileSync(path.join(ROOT, 'assets', f))).width, 32, f);
});

test('package.json "main" is the bundled Electron main, which exists after the build; "bin" is kept', () => {
  ensureBuilt();
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { main: string; bin: Record<string, string> };
  assert.equal(pkg.main, 'dist-electron/main.js');
  assert.ok(fs.existsSync(path.join(ROOT, pkg.main)), 'main entry built');
  assert.equal(pkg.bin.shoal, 'dist/engine/cli.js');
  for (const f of ['engine-host.js', 'hash-worker.js', 'write-worker.js', 'verify-worker.js', 'preload.cjs']) assert.ok(fs.existsSync(path.join(ROOT, 'dist-electron', f)), f);
});

test('the bundles load only Node built-ins, electron and shipped dependencies', () => {
  ensureBuilt();
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const shipped = new Set(Object.keys(pkg.dependencies));
  const builtins = new Set(builtinModules);
  const specifiers = (text: string) =>
    [...text.matchAll(/(?:^|\n)\s*import\s+(?:[^'"\n]*?\s+from\s+)?["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)|\brequire\(\s*["']([^"']+)["']\s*\)/g)].map(
      (m) => (m[1] ?? m[2] ?? m[3])!,
    );
  const pkgName = (s: string) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!);
  for (const file of ['main.js', 'engine-host.js', 'hash-worker.js', 'write-worker.js', 'verify-worker.js']) {
    const text = fs.readFileSync(path.join(ROOT, 'dist-electron', file), 'utf8');
    for (const spec of specifiers(text)) {
      // hash-pool's branch for running from TypeScript sources (never taken in a bundle,
      // where import.meta.url ends in .js) names tsx inside the worker's eval'd source.
      if (spec === 'tsx/esm/api' && text.split('\n').filter((l) => l.includes(spec)).every((l) => l.includes("new Worker(`import('tsx/esm/api')"))) continue;
      if (spec.startsWith('node:') || builtins.has(spec) || spec.startsWith('.')) continue;
      if (spec === 'electron') {
        assert.equal(file, 'main.js', `${file} must not load electron (it runs in the utility process / a worker)`);
        continue;
      }
      assert.ok(shipped.has(pkgName(spec)), `${file} loads "${spec}", which is not in package.json dependencies`);
    }
  }
  const preload = fs.readFileSync(path.join(ROOT, 'dist-electron', 'preload.cjs'), 'utf8');
  assert.deepEqual([...new Set(specifiers(preload))], ['electron'], 'the sandboxed preload loads nothing but electron');
});

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { _electron as electron } from 'playwright-core';
import { tempDir, waitFor } from './helpers/engines.js';

/**
 * The real desktop app under Playwright's Electron driver: window, preload, engine utility
 * process, CSP, hide-on-close, quit. Needs an Electron binary (ELECTRON_PATH, or the one
 * `npm install` downloads into node_modules/electron/dist) and, on Linux, a display
 * (xvfb-run). Without them the test reports itself skipped, with the reason.
 */
const ROOT = path.resolve(import.meta.dirname, '..');

function electronBinary(): { bin: string } | { skip: string } {
  if (process.env.ELECTRON_PATH) {
    return fs.existsSync(process.env.ELECTRON_PATH) ? { bin: process.env.ELECTRON_PATH } : { skip: `ELECTRON_PATH=${process.env.ELECTRON_PATH} does not exist` };
  }
  const pkg = path.join(ROOT, 'node_modules', 'electron');
  let rel = '';
  try {
    rel = fs.readFileSync(path.join(pkg, 'path.txt'), 'utf8').trim();
  } catch {
    // never downloaded
  }
  const bin = rel ? path.join(pkg, 'dist', rel) : '';
  if (!bin || !fs.existsSync(bin)) {
    return { skip: 'no Electron binary (node_modules/electron/dist is missing: its download failed; with network access run `npm rebuild electron`, or set ELECTRON_PATH)' };
  }
  return { bin };
}

function skipReason(): string | null {
  const found = electronBinary();
  if ('skip' in found) return found.skip;
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return 'no display for Electron (run under xvfb-run)';
  return null;
}

const reason = skipReason();

test('desktop app: window with window.shoal, engine in a utility process, CSP, hide on close, clean quit', { skip: reason ?? false, timeout: 180_000 }, async () => {
  const bin = (electronBinary() as { bin: string }).bin;
  const build = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build-ui.mjs')], { cwd: ROOT, stdio: 'inherit' });
  assert.equal(build.status, 0, 'building the renderer and desktop bundles failed');
  assert.ok(fs.existsSync(path.join(ROOT, 'renderer', 'dist', 'index.html')), 'renderer/dist/index.html built');

  const userData = tempDir('shoal-electron-');
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'ELECTRON_RUN_AS_NODE') env[k] = v;
  const app = await electron.launch({
    executablePath: bin,
    args: [ROOT],
    cwd: ROOT,
    env: { ...env, SHOAL_USER_DATA: userData, SHOAL_LISTEN_HOST: '127.0.0.1', SHOAL_NO_LAN: '1' },
    timeout: 60_000,
  });
  let closed = false;
  try {
    const page = await app.firstWindow();
    await page.waitForLoadState('domcontentloaded');
    assert.match(page.url(), /^shoal:\/\/app\//);

    // Page scripts as strings: this file is type-checked without the DOM library.
    const inPage = <T>(expr: string) => page.evaluate(expr) as Promise<T>;
    const surface = await inPage<{ keys: string[]; require: string; process: string }>(
      '({ keys: Object.keys(window.shoal).sort(), require: typeof window.require, process: typeof window.process })',
    );
    assert.deepEqual(surface.keys, ['call', 'native', 'on', 'onConnection', 'platform', 'shell']);
    assert.equal(surface.require, 'undefined', 'no Node in the page');
    assert.equal(surface.process, 'undefined');

    const version = await inPage<{ ok: boolean }>("window.shoal.call('getVersion', {})");
    assert.equal(version.ok, true);
    const denied = await inPage<{ ok: boolean; error: { code: string } }>("window.shoal.call('shutdown', {})");
    assert.equal(denied.error.code, 'UNAUTHORIZED');

    // CSP: inline scripts do not run; window.open does not open a window.
    const inlineRan = await inPage<boolean>(
      "(() => { const s = document.createElement('script'); s.textContent = 'window.__inline = 1'; document.head.appendChild(s); return window.__inline === 1; })()",
    );
    assert.equal(inlineRan, false, 'the CSP blocks inline script');
    assert.equal(await inPage<boolean>("window.open('shoal://app/index.html') === null"), true);

    // Native actions validate their arguments in main.
    const refused = await inPage<{ ok: boolean }>("window.shoal.native.openPath('/etc')");
    assert.equal(refused.ok, false);

    // Closing the window hides it; the app stays in the tray.
    await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]!.close());
    await waitFor('the window to hide', async () => !(await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]?.isVisible() ?? true)), 10_000);
    assert.equal(await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length), 1, 'hidden, not destroyed');

    // Quit: the engine is asked to stop and the app exits.
    const exited = new Promise<void>((resolve) => app.on('close', () => resolve()));
    await app.evaluate(({ app: a }) => a.quit());
    await exited;
    closed = true;
    const log = fs.readFileSync(path.join(userData, 'engine', 'sync.log'), 'utf8');
    assert.match(log, /Shoal engine host stopped/, 'the engine stopped cleanly');
  } finally {
    if (!closed) await app.close().catch(() => {});
  }
});

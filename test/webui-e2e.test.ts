import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import jsqrModule from 'jsqr';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { chromiumUnavailableReason, launchChromium } from './helpers/browser.js';
import { repoRoot, tempDir, until, writeRandomFile } from './helpers/daemons.js';
import { GUI_LOGIN, GUI_PASSWORD, startGuiDaemon, type GuiDaemon } from './helpers/gui-daemons.js';

/**
 * The Web UI end to end: Debian's Chromium (playwright-core) drives the built renderer served
 * by two real daemon processes on 127.0.0.1. The steps run in order and share the daemons,
 * as a user's session would. Screenshots of every tab land in SCREENSHOT_DIR (default
 * test-output/screenshots; README's come from a run with SCREENSHOT_DIR=docs/screenshots).
 */

// jsqr ships a UMD bundle: under NodeNext types its default import is the module object,
// while at run time it may be the function itself.
type Decode = typeof jsqrModule.default;
const jsQR: Decode = typeof jsqrModule === 'function' ? (jsqrModule as unknown as Decode) : jsqrModule.default;

const SHOTS = path.resolve(repoRoot, process.env.SCREENSHOT_DIR ?? 'test-output/screenshots');
const WAIT = 30_000;

interface FolderRow {
  dir: string;
  secret: string;
  size: number;
  files: number;
  indexing: number;
}

describe('Web UI end to end (Chromium, two daemons)', () => {
  let a: GuiDaemon;
  let b: GuiDaemon;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const home = tempDir('shoal-e2e-');
  const dirA = path.join(home, 'Photos A');
  const dirB = path.join(home, 'Photos B');
  let secret = '';

  const shot = async (name: string, opts: { clearNotices?: boolean } = {}) => {
    if (opts.clearNotices) {
      // A tab's picture without the confirmations of earlier steps (their Dismiss buttons work).
      const infos = page.locator('[data-testid="notice"][data-code="INFO"]');
      // (One may also time out by itself meanwhile: then its click finds nothing, which is fine.)
      for (let i = 0; i < 20 && (await infos.count()) > 0; i++) {
        await infos.first().getByRole('button', { name: 'Dismiss' }).click({ timeout: 2000 }).catch(() => undefined);
      }
      assert.equal(await infos.count(), 0, 'every confirmation dismissed');
    }
    fs.mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
  };
  const openTab = async (id: string) => {
    await page.getByTestId(`tab-${id}`).click();
    await page.getByTestId(`panel-${id}`).waitFor({ timeout: WAIT });
  };
  const foldersOf = async (d: GuiDaemon) => (await d.api('get_folders')) as FolderRow[];

  before(async () => {
    const missing = chromiumUnavailableReason();
    // .ci/run installs Chromium, so a missing browser is a failure here, not a skip.
    assert.equal(missing, null, `${missing}`);
    assert.ok(fs.existsSync(path.join(repoRoot, 'renderer/dist/index.html')), 'renderer not built (npm run build:ui)');
    fs.mkdirSync(path.join(dirA, 'trip'), { recursive: true });
    fs.mkdirSync(dirB, { recursive: true });
    fs.writeFileSync(path.join(dirA, 'notes.txt'), 'x'.repeat(1500));
    fs.writeFileSync(path.join(dirA, 'trip', 'beach.jpg'), Buffer.alloc(200_000, 7));
    fs.writeFileSync(path.join(dirA, 'trip', 'sunset.jpg'), Buffer.alloc(300_000, 9));
    [a, b] = await Promise.all([startGuiDaemon('Laptop A', path.join(home, 'a')), startGuiDaemon('Desktop B', path.join(home, 'b'))]);
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1100, height: 720 }, colorScheme: 'light' });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: a.base });
    page = await context.newPage();
  });

  after(async () => {
    await context?.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await Promise.all([a?.stop(), b?.stop()]);
    fs.rmSync(home, { recursive: true, force: true });
  });

  test('a wrong password is refused and the right one logs in', async () => {
    await page.goto(`${a.base}/gui/`);
    assert.match(new URL(page.url()).pathname, /^\/gui\/login/);
    await page.fill('#login', GUI_LOGIN);
    await page.fill('#password', 'not the password');
    await page.click('button[type=submit]');
    await page.getByText('Wrong login or password.').waitFor({ timeout: WAIT });
    assert.match(new URL(page.url()).pathname, /^\/gui\/login/);
    assert.equal(await page.getByTestId('tab-mysync').count(), 0, 'no app after a wrong password');

    await page.fill('#login', GUI_LOGIN);
    await page.fill('#password', GUI_PASSWORD);
    await page.click('button[type=submit]');
    await page.getByTestId('tab-mysync').waitFor({ timeout: WAIT });
    const cookie = (await context.cookies(`${a.base}/gui/`)).find((c) => c.name === 'shoal_session');
    assert.ok(cookie, 'session cookie set');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
  });

  test('empty states, then add a folder with a generated secret and see its size and file count', async () => {
    await openTab('mysync');
    await page.getByTestId('folders-empty').waitFor({ timeout: WAIT });
    await page.getByTestId('add-folder').click();
    await page.getByTestId('add-folder-dialog').waitFor();
    // A bad path is answered inline, not with a crash.
    await page.getByTestId('add-folder-path').fill(path.join(home, 'does-not-exist'));
    await page.getByTestId('add-folder-submit').click();
    await page.getByTestId('add-folder-path-error').waitFor({ timeout: WAIT });

    await page.getByTestId('add-folder-generate').click();
    await until('generated secret filled in', async () => (await page.getByTestId('add-folder-secret').inputValue()).startsWith('A'), WAIT);
    secret = await page.getByTestId('add-folder-secret').inputValue();
    await page.getByTestId('add-folder-path').fill(dirA);
    await shot('add-folder');
    await page.getByTestId('add-folder-submit').click();
    await page.getByTestId('add-folder-dialog').waitFor({ state: 'detached', timeout: WAIT });

    const indexed = await until(
      'folder indexed on A',
      async () => (await foldersOf(a)).find((f) => f.dir === dirA && f.indexing === 0 && f.files === 3),
      WAIT,
    );
    assert.equal(indexed.secret, secret, 'the engine keeps the secret the UI generated');
    assert.equal(indexed.size, 501_500);
    const row = page.locator(`[data-testid="folder-row"][data-dir="${dirA}"]`);
    await until('row shows size and file count', async () => /3 files/.test(await row.innerText()) && /490 kB|489.7 kB|490\.?\d* KB|kB/i.test(await row.innerText()), WAIT);
    const text = await row.innerText();
    assert.match(text, /Photos A/);
    assert.match(text, /3 files/);
    await shot('my-sync', { clearNotices: true });
  });

  test('right-click: Copy Secret puts the full-access secret on the clipboard', async () => {
    await page.evaluate("navigator.clipboard.writeText('-')");
    await page.locator(`[data-testid="folder-row"][data-dir="${dirA}"]`).click({ button: 'right' });
    await page.getByTestId('context-menu').waitFor();
    await shot('folder-menu');
    await page.getByTestId('menu-copy-secret').click();
    await until('clipboard holds the secret', async () => (await page.evaluate('navigator.clipboard.readText()')) === secret, WAIT);
  });

  test('right-click: Connect Mobile shows a QR code that decodes to the btsync:// link', async () => {
    await page.locator(`[data-testid="folder-row"][data-dir="${dirA}"]`).click({ button: 'right' });
    await page.getByTestId('menu-connect-mobile').click();
    await page.getByTestId('connect-mobile-dialog').waitFor();
    const decode = async (): Promise<string | null> => {
      await page.getByTestId('qr').waitFor({ timeout: WAIT });
      const png = PNG.sync.read(await page.getByTestId('qr').screenshot());
      return jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data ?? null;
    };
    const full = await decode();
    assert.equal(full, `btsync://${secret}?n=${encodeURIComponent('Photos A')}`);
    assert.equal(await page.getByTestId('secret-text').innerText(), secret);
    await shot('connect-mobile');

    const ro = ((await a.api('get_secrets', { secret })) as { read_only: string }).read_only;
    await page.getByTestId('qr-access-readonly').click();
    await until('QR switched to read-only', async () => (await decode()) === `btsync://${ro}?n=${encodeURIComponent('Photos A')}`, WAIT);
    assert.equal(await page.getByTestId('secret-text').innerText(), ro);
    await page.keyboard.press('Escape');
    await page.getByTestId('connect-mobile-dialog').waitFor({ state: 'detached' });
  });

  test('Folder Info shows both secrets', async () => {
    await page.locator(`[data-testid="folder-row"][data-dir="${dirA}"]`).click({ button: 'right' });
    await page.getByTestId('menu-folder-info').click();
    await page.getByTestId('folder-info-dialog').waitFor();
    const ro = ((await a.api('get_secrets', { secret })) as { read_only: string }).read_only;
    assert.match(await page.getByTestId('secret-read-write').innerText(), new RegExp(secret));
    assert.match(await page.getByTestId('secret-read-only').innerText(), new RegExp(ro));
    await shot('folder-info');
    await page.keyboard.press('Escape');
  });

  test('a second daemon joins and the Devices tab shows it', async () => {
    await openTab('devices');
    await page.getByTestId('devices-empty').waitFor({ timeout: WAIT });
    await b.api('add_folder', { dir: dirB, secret });
    await b.api('set_folder_hosts', { secret, hosts: `127.0.0.1:${a.peerPort}` });
    const device = page.getByTestId('device-row').filter({ hasText: 'Desktop B' });
    await device.waitFor({ timeout: WAIT });
    await until('B has A\'s files', () => fs.existsSync(path.join(dirB, 'trip', 'sunset.jpg')), WAIT);
    await until('device shows the folder synced', async () => /synced/i.test(await device.innerText()), WAIT);
    await shot('devices', { clearNotices: true });
  });

  test('a preference changed in the UI is applied (seen through the API)', async () => {
    await openTab('preferences');
    await page.getByTestId('pref-download_limit').fill('2000');
    await page.getByTestId('prefs-advanced').locator('summary').click();
    const rateLocal = page.getByTestId('pref-rate_limit_local_peers');
    // Keyboard, as a user without a mouse would: focus the switch and press Space.
    if (!(await rateLocal.isChecked())) {
      await rateLocal.focus();
      await page.keyboard.press('Space');
    }
    assert.equal(await rateLocal.isChecked(), true);
    await page.getByTestId('prefs-save').click();
    const prefs = await until(
      'prefs applied on A',
      async () => {
        const p = (await a.api('get_prefs')) as { download_limit: number; rate_limit_local_peers: number };
        return p.download_limit === 2000 && p.rate_limit_local_peers === 1 ? p : null;
      },
      WAIT,
    );
    assert.equal(prefs.download_limit, 2000);
    await page.getByTestId('pref-download_limit').scrollIntoViewIfNeeded();
    await shot('preferences', { clearNotices: true });
  });

  test('a file added on the other device shows in Transfers, then in History', async () => {
    await openTab('transfers');
    await page.getByTestId('transfers-empty').waitFor({ timeout: WAIT });
    // 2000 kB/s (set above, LAN peers included) makes 12 MiB take several seconds.
    const file = path.join(dirB, 'trip', 'video.mp4');
    writeRandomFile(file, 12 * 1024 * 1024);
    const row = page.locator('[data-testid="transfer-row"][data-path="trip/video.mp4"]');
    await row.waitFor({ timeout: WAIT });
    assert.equal(await row.getAttribute('data-direction'), 'down');
    assert.match(await row.innerText(), /Desktop B/);
    await shot('transfers', { clearNotices: true });

    await until('A has the new file', () => fs.existsSync(path.join(dirA, 'trip', 'video.mp4')), 60_000, 200);
    await a.api('set_prefs', { download_limit: '0', rate_limit_local_peers: '0' });
    await openTab('history');
    const added = page.locator('[data-testid="history-row"][data-kind="added"]').filter({ hasText: 'video.mp4' });
    await added.waitFor({ timeout: WAIT });
    assert.match(await added.innerText(), /Desktop B/);
    await page.locator('[data-testid="history-row"][data-kind="sync_finished"]').first().waitFor({ timeout: WAIT });
    // Newest first: the added line of video.mp4 comes before the older lines of the first sync.
    const kinds = await page.getByTestId('history-row').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-seq'))));
    assert.deepEqual(kinds, [...kinds].sort((x, y) => y - x), 'history is newest first');
    await shot('history', { clearNotices: true });
  });

  test('dark theme renders (screenshot)', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await openTab('mysync');
    const bg = await page.evaluate('getComputedStyle(document.body).backgroundColor');
    await shot('my-sync-dark', { clearNotices: true });
    await page.emulateMedia({ colorScheme: 'light' });
    const light = await page.evaluate('getComputedStyle(document.body).backgroundColor');
    assert.notEqual(bg, light, 'dark and light themes differ');
  });
});

import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import {
  APP_ENTRY_URL,
  appResponseHeaders,
  closeBehaviour,
  CONTENT_SECURITY_POLICY,
  isAppUrl,
  mainWindowOptions,
  navigationDecision,
  resolveAppRequest,
} from '../main/window-options.js';

test('window: sandboxed, isolated, no Node, web security on, our preload', () => {
  const o = mainWindowOptions({ preload: '/app/dist-electron/preload.cjs' });
  assert.equal(o.webPreferences.sandbox, true);
  assert.equal(o.webPreferences.contextIsolation, true);
  assert.equal(o.webPreferences.nodeIntegration, false);
  assert.equal(o.webPreferences.nodeIntegrationInWorker, false);
  assert.equal(o.webPreferences.webSecurity, true);
  assert.equal(o.webPreferences.webviewTag, false);
  assert.equal(o.webPreferences.allowRunningInsecureContent, false);
  assert.equal(o.webPreferences.devTools, false);
  assert.equal(o.webPreferences.preload, '/app/dist-electron/preload.cjs');
  assert.equal(o.show, false, 'shown once ready, not blank');
  assert.throws(() => mainWindowOptions({ preload: 'preload.cjs' }), /absolute/);
});

test('CSP: exactly the strict policy, on every app response', () => {
  assert.equal(
    CONTENT_SECURITY_POLICY,
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
  );
  const h = appResponseHeaders('text/html; charset=utf-8');
  assert.equal(h['Content-Security-Policy'], CONTENT_SECURITY_POLICY);
  assert.equal(h['X-Content-Type-Options'], 'nosniff');
});

test('navigation: the app stays, https goes to the browser, everything else is refused', () => {
  assert.equal(navigationDecision(APP_ENTRY_URL, 'navigate'), 'allow');
  assert.equal(navigationDecision('shoal://app/index.html#/devices', 'navigate'), 'allow');
  assert.equal(navigationDecision(APP_ENTRY_URL, 'window-open'), 'deny', 'no second app windows from window.open');
  assert.equal(navigationDecision('https://example.org/help', 'navigate'), 'open-external');
  assert.equal(navigationDecision('https://example.org/help', 'window-open'), 'open-external');
  for (const url of ['http://example.org', 'file:///etc/passwd', 'javascript:alert(1)', 'shoal://evil/index.html', 'data:text/html,hi', 'https://user:pw@example.org', 'not a url']) {
    assert.equal(navigationDecision(url, 'navigate'), 'deny', url);
    assert.equal(navigationDecision(url, 'window-open'), 'deny', url);
  }
  assert.equal(isAppUrl('shoal://app/x'), true);
  assert.equal(isAppUrl('shoal://app.evil/x'), false);
  assert.equal(isAppUrl(undefined), false);
});

test('shoal://app/ serves only files under renderer/dist', () => {
  const root = path.resolve('/srv/shoal/renderer/dist');
  const ok = resolveAppRequest('shoal://app/index.html', root);
  assert.deepEqual(ok, { ok: true, file: path.join(root, 'index.html'), contentType: 'text/html; charset=utf-8' });
  assert.deepEqual(resolveAppRequest('shoal://app/', root), ok);
  const js = resolveAppRequest('shoal://app/assets/index-abc.js?v=1', root);
  assert.ok(js.ok && js.file === path.join(root, 'assets', 'index-abc.js') && js.contentType.startsWith('text/javascript'));
  for (const url of ['shoal://app/../../etc/passwd.txt', 'shoal://app/%2e%2e/%2e%2e/etc/passwd.txt', 'shoal://app/assets/..%2f..%2f..%2fsecret.json']) {
    const r = resolveAppRequest(url, root);
    assert.ok(!r.ok || r.file.startsWith(root + path.sep), `escaped the root: ${url}`);
  }
  assert.deepEqual(resolveAppRequest('shoal://app/a%5c..%5csecret.json', root), { ok: false, status: 400 });
  assert.deepEqual(resolveAppRequest('shoal://app/x%00.html', root), { ok: false, status: 400 });
  assert.deepEqual(resolveAppRequest('shoal://other/index.html', root), { ok: false, status: 403 });
  assert.deepEqual(resolveAppRequest('shoal://app/index.html', root, 'POST'), { ok: false, status: 400 });
  assert.deepEqual(resolveAppRequest('shoal://app/run.exe', root), { ok: false, status: 404 });
});

test('closing the window hides it unless the app is quitting', () => {
  assert.equal(closeBehaviour(false), 'hide');
  assert.equal(closeBehaviour(true), 'close');
});

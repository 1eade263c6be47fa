import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SESSION_IDLE_MS, SessionStore, sessionCookie, sessionTokens } from '../engine/daemon/webui/sessions.js';
import { contentTypeOf, safeSegments } from '../engine/daemon/webui/static-files.js';

/** The Web UI's pure pieces: session expiry and cap, cookie parsing, the path check. */

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

const cookieOf = (token: string) => ({ cookie: sessionCookie(token).split(';')[0] });

describe('SessionStore', () => {
  it('a session expires after the idle time, and use keeps it alive', () => {
    const c = clock();
    const store = new SessionStore(SESSION_IDLE_MS, 10, c.now);
    const token = store.create();
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    c.advance(SESSION_IDLE_MS - 1000);
    assert.ok(store.find(cookieOf(token)), 'used just before expiry');
    c.advance(SESSION_IDLE_MS - 1000);
    assert.ok(store.find(cookieOf(token)), 'the last use restarted the clock');
    c.advance(SESSION_IDLE_MS + 1);
    assert.equal(store.find(cookieOf(token)), null, 'idle too long');
    assert.equal(store.size, 0, 'an expired session is forgotten');
  });

  it('is capped: the least recently used session goes first', () => {
    const c = clock();
    const store = new SessionStore(SESSION_IDLE_MS, 3, c.now);
    const [a, b, cc] = [store.create(), store.create(), store.create()];
    c.advance(10);
    assert.ok(store.find(cookieOf(a))); // a is now the most recent
    const d = store.create();
    assert.equal(store.size, 3);
    assert.equal(store.find(cookieOf(b)), null, 'b was the least recently used');
    for (const t of [a, cc, d]) assert.ok(store.find(cookieOf(t)));
  });

  it('remove ends a session; unknown tokens find nothing', () => {
    const store = new SessionStore();
    const token = store.create();
    const key = store.find(cookieOf(token))!;
    store.remove(key);
    assert.equal(store.find(cookieOf(token)), null);
    assert.equal(store.find({ cookie: `shoal_session=${'a'.repeat(43)}` }), null);
    assert.equal(store.find({}), null);
  });

  it('cookie parsing takes only well-formed shoal_session values', () => {
    const t = 'b'.repeat(43);
    assert.deepEqual(sessionTokens({ cookie: `x=1; shoal_session=${t}; y=2` }), [t]);
    assert.deepEqual(sessionTokens({ cookie: `shoal_session=${t}x` }), []);
    assert.deepEqual(sessionTokens({ cookie: `shoal_session = ${t}` }), [t]);
    assert.deepEqual(sessionTokens({ cookie: `xshoal_session=${t}` }), []);
    assert.deepEqual(sessionTokens({ cookie: 'shoal_session=' + t + '; '.repeat(5000) }), [], 'an oversized header is ignored');
    assert.equal(sessionCookie(t), `shoal_session=${t}; HttpOnly; SameSite=Strict; Path=/gui`);
  });
});

describe('static file paths', () => {
  it('accepts plain relative paths, maps directories to index.html', () => {
    assert.deepEqual(safeSegments(''), ['index.html']);
    assert.deepEqual(safeSegments('assets/app-1.js'), ['assets', 'app-1.js']);
    assert.deepEqual(safeSegments('assets/'), ['assets', 'index.html']);
    assert.deepEqual(safeSegments('my%20file.css'), ['my file.css']);
  });

  it('refuses anything that could leave the directory or reach hidden files', () => {
    for (const p of ['..', '../x', 'a/../../x', '%2e%2e/x', '..%2fx', 'a%5c..%5cx', 'a\\b', '.env', 'a/.git/config', 'a//b', '%00', 'x%00.js', '%ff', 'C:%5cx', 'a:b', '%E0%A4%A']) {
      assert.equal(safeSegments(p), null, p);
    }
  });

  it('content types', () => {
    assert.equal(contentTypeOf('a.js'), 'text/javascript; charset=utf-8');
    assert.equal(contentTypeOf('A.CSS'), 'text/css; charset=utf-8');
    assert.equal(contentTypeOf('x.woff2'), 'font/woff2');
    assert.equal(contentTypeOf('x.exe'), 'application/octet-stream');
    assert.equal(contentTypeOf('noext'), 'application/octet-stream');
  });
});

import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { isLoopbackHost, parseHostPort } from '../address.js';
import type { WebuiConfig } from '../config.js';
import { refuseUpgrade, type Mount } from '../http.js';
import { safeEqual, type FailureLimiter } from '../http-guard.js';
import type { Logger } from '../log.js';
import type { ApiTarget } from '../types.js';
import { messagePage, redirect, sendHtml, sendLoginPage } from './responses.js';
import { SessionStore, clearedSessionCookie, sessionCookie } from './sessions.js';
import { StaticFiles, defaultRendererDir } from './static-files.js';
import { WebUiSockets } from './websocket.js';

/**
 * The Web UI the daemon serves at /gui (mounted on http.ts, which has already checked the
 * Host and Origin of every request):
 *   /gui/login   GET the form, POST login+password -> session cookie, 303 to /gui/
 *   /gui/logout  end the session, 303 to /gui/login
 *   /gui/ws      the WebSocket carrying the RPC contract (createEngineClient on the page)
 *   /gui/...     the built renderer (static files)
 * With webui.login/password set, everything but the login page needs a session. Without a
 * password (allowed only on a loopback listen) the UI is open, as BitTorrent Sync's was on
 * localhost.
 */

export const MAX_LOGIN_FORM_BYTES = 4096;

export interface WebUiOptions {
  target: ApiTarget;
  webui: WebuiConfig;
  log: Logger;
  /** The one limiter of the HTTP server, so Basic-auth and form guesses count together. */
  limiter: FailureLimiter;
  /** The built renderer; default `<package root>/renderer/dist`. */
  rendererDir?: string;
  sessions?: SessionStore;
  /** WebSocket keepalive and session-expiry check period (default 30 s; tests shorten it). */
  pingEveryMs?: number;
}

export interface WebUi {
  /** Mount at '/gui' on the HTTP server. */
  readonly mount: Mount;
  /** True when the request carries a valid session cookie (http.ts accepts it for /api too). */
  sessionAuth(req: http.IncomingMessage): boolean;
  readonly sessions: SessionStore;
  readonly sockets: WebUiSockets;
}

type Mode = 'password' | 'open' | 'closed';

/**
 * 'closed' when the UI could be reached with less than /api demands: an api_key but no
 * password (there is no login to check), or a non-loopback listen without a password (which
 * loadConfig already refuses; this keeps the UI safe on its own).
 */
function modeOf(webui: WebuiConfig): Mode {
  if (webui.login && webui.password) return 'password';
  const listen = parseHostPort(webui.listen, 0);
  if (!webui.api_key && listen && isLoopbackHost(listen.host)) return 'open';
  return 'closed';
}

export function createWebUi(opts: WebUiOptions): WebUi {
  const mode = modeOf(opts.webui);
  const sessions = opts.sessions ?? new SessionStore();
  const files = new StaticFiles(opts.rendererDir ?? defaultRendererDir());
  const sockets = new WebUiSockets({
    target: opts.target,
    log: opts.log,
    onActivity: (key) => void sessions.touch(key),
    sessionAlive: (key) => sessions.alive(key),
    pingEveryMs: opts.pingEveryMs,
  });

  /** The session key, '' in open mode, null without access. */
  const access = (req: http.IncomingMessage): string | null => {
    if (mode === 'open') return '';
    if (mode === 'closed') return null;
    return sessions.find(req.headers);
  };

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const pathname = new URL(req.url ?? '/', 'http://shoal.invalid').pathname;
    if (mode === 'closed') return closedPage(res);
    if (pathname === '/gui/login') return handleLogin(req, res);
    if (pathname === '/gui/logout') return handleLogout(req, res);

    const session = access(req);
    if (session === null) {
      if (req.method === 'GET' || req.method === 'HEAD') return redirect(res, '/gui/login');
      return sendHtml(res, 401, messagePage('Sign in first', '<p><a href="/gui/login">Sign in</a> to use Shoal.</p>'));
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return sendHtml(res, 405, messagePage('Not allowed', '<p>This page only answers GET.</p>'), { Allow: 'GET, HEAD' });
    }
    if (pathname === '/gui/ws') return sendHtml(res, 426, messagePage('WebSocket only', '<p>This address takes WebSocket connections.</p>'), { Upgrade: 'websocket' });
    // Relative asset URLs in index.html resolve against the directory: /gui must become /gui/.
    if (pathname === '/gui') return redirect(res, '/gui/');
    return files.serve(req, res, pathname.slice('/gui/'.length));
  }

  async function handleLogin(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (access(req) !== null) {
      await drain(req);
      return redirect(res, '/gui/');
    }
    if (req.method === 'GET' || req.method === 'HEAD') return sendLoginPage(res, 200, null);
    if (req.method !== 'POST') return sendLoginPage(res, 405, null, '', { Allow: 'GET, HEAD, POST' });

    const addr = req.socket.remoteAddress ?? '?';
    if (opts.limiter.blocked(addr)) {
      await drain(req);
      return sendLoginPage(res, 429, 'Too many failed logins; try again in a minute.');
    }
    const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/x-www-form-urlencoded') {
      await drain(req);
      return sendLoginPage(res, 415, 'The login form was not sent as a form.');
    }
    const body = await readBody(req, MAX_LOGIN_FORM_BYTES);
    if (body === null) return sendLoginPage(res, 413, 'The login form is too large.', '', { Connection: 'close' });
    const form = new URLSearchParams(body);
    const login = form.get('login') ?? '';
    const password = form.get('password') ?? '';
    // Both comparisons always run (constant time, and no hint which of the two was wrong).
    const loginOk = safeEqual(login, opts.webui.login ?? '');
    const passwordOk = safeEqual(password, opts.webui.password ?? '');
    if (!(loginOk && passwordOk)) {
      opts.limiter.fail(addr);
      opts.log.warn('Web UI login failed', { from: addr });
      return sendLoginPage(res, 401, 'Wrong login or password.', login.slice(0, 256));
    }
    const token = sessions.create();
    opts.log.info('Web UI login', { from: addr });
    return redirect(res, '/gui/', { 'Set-Cookie': sessionCookie(token) });
  }

  async function handleLogout(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    await drain(req);
    if (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'POST') {
      return sendHtml(res, 405, messagePage('Not allowed', '<p>Use GET or POST.</p>'), { Allow: 'GET, HEAD, POST' });
    }
    const session = mode === 'password' ? sessions.find(req.headers) : null;
    if (session) {
      sessions.remove(session);
      sockets.closeSession(session);
    }
    return redirect(res, mode === 'password' ? '/gui/login' : '/gui/', { 'Set-Cookie': clearedSessionCookie() });
  }

  function upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const pathname = new URL(req.url ?? '/', 'http://shoal.invalid').pathname;
    if (pathname !== '/gui/ws') return refuseUpgrade(socket, 404, 'No WebSocket here.');
    if (mode === 'closed') return refuseUpgrade(socket, 403, 'The Web UI needs webui.login and webui.password in the config.');
    const session = access(req);
    if (session === null) return refuseUpgrade(socket, 401, 'Sign in at /gui/login first.');
    sockets.upgrade(req, socket, head, session || null);
  }

  return {
    mount: { handle, upgrade, auth: 'own', close: () => sockets.close() },
    sessionAuth: (req) => mode === 'password' && sessions.find(req.headers) !== null,
    sessions,
    sockets,
  };
}

function closedPage(res: http.ServerResponse): void {
  sendHtml(
    res,
    403,
    messagePage(
      'The Web UI is off',
      `<p>This daemon's API requires an <code>api_key</code>, but no <code>webui.login</code> and <code>webui.password</code> are set, so there is no way to sign in to the Web UI.</p>
<p>Set both in the config file and restart Shoal to use it.</p>`,
    ),
  );
}

/** The body as text, or null once it exceeds `max` bytes (the rest is not read). */
function readBody(req: http.IncomingMessage, max: number): Promise<string | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        req.removeAllListeners('data');
        req.pause();
        resolve(null);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(null));
  });
}

/** Discard a body we do not read (http.ts has capped its declared size). */
function drain(req: http.IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    if (req.readableEnded) return resolve();
    req.on('data', () => {});
    req.on('end', () => resolve());
    req.on('error', () => resolve());
    req.on('close', () => resolve());
  });
}

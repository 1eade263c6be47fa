import path from 'node:path';

/**
 * The desktop window's security settings and the `shoal://app/` protocol that serves the
 * renderer, as plain data and functions (main/electron/window.ts applies them).
 *
 * The renderer (renderer/dist, built with relative asset URLs) is served from the custom,
 * privileged scheme `shoal://app/…` rather than file://, so that the page has a real origin
 * ('self' in the CSP means shoal://app and nothing else on disk) and every response carries
 * the Content-Security-Policy header below.
 */

export const APP_SCHEME = 'shoal';
export const APP_HOST = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/** The subset of BrowserWindowConstructorOptions Shoal sets (electron/window.ts passes it on, type-checked). */
export interface MainWindowOptions {
  width: number;
  height: number;
  minWidth: number;
  minHeight: number;
  show: boolean;
  title: string;
  backgroundColor: string;
  autoHideMenuBar: boolean;
  icon?: string;
  webPreferences: {
    preload: string;
    sandbox: true;
    contextIsolation: true;
    nodeIntegration: false;
    nodeIntegrationInWorker: false;
    nodeIntegrationInSubFrames: false;
    webSecurity: true;
    allowRunningInsecureContent: false;
    webviewTag: false;
    navigateOnDragDrop: false;
    spellcheck: false;
    devTools: boolean;
  };
}

export function mainWindowOptions(o: { preload: string; icon?: string; devTools?: boolean }): MainWindowOptions {
  if (!path.isAbsolute(o.preload)) throw new Error(`preload must be an absolute path (got ${o.preload})`);
  return {
    width: 980,
    height: 680,
    minWidth: 720,
    minHeight: 480,
    show: false,
    title: 'Shoal',
    backgroundColor: '#0f2a3a',
    autoHideMenuBar: true,
    ...(o.icon ? { icon: o.icon } : {}),
    webPreferences: {
      preload: o.preload,
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      devTools: o.devTools ?? false,
    },
  };
}

/** True for a URL of the app itself (shoal://app/…). */
export function isAppUrl(url: unknown): boolean {
  if (typeof url !== 'string' || url.length > 8192) return false;
  try {
    const u = new URL(url);
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST;
  } catch {
    return false;
  }
}

/**
 * What to do when the page tries to navigate or open a window: stay for the app's own
 * pages (navigation only), hand https links to the user's browser, refuse the rest.
 */
export function navigationDecision(url: string, kind: 'navigate' | 'window-open'): 'allow' | 'open-external' | 'deny' {
  if (isAppUrl(url)) return kind === 'navigate' ? 'allow' : 'deny';
  try {
    const u = new URL(url);
    if (u.protocol === 'https:' && !u.username && !u.password) return 'open-external';
  } catch {
    // not a URL
  }
  return 'deny';
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

export type AppRequest = { ok: true; file: string; contentType: string } | { ok: false; status: 400 | 403 | 404 };

/**
 * Map a `shoal://app/<path>` request to a file under the renderer's dist directory. Only
 * GET of the app host, no escaping the root (`..`, encoded slashes, NUL), known types only.
 */
export function resolveAppRequest(url: string, rendererRoot: string, method = 'GET'): AppRequest {
  if (method !== 'GET' && method !== 'HEAD') return { ok: false, status: 400 };
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { ok: false, status: 400 };
  }
  if (u.protocol !== `${APP_SCHEME}:` || u.host !== APP_HOST) return { ok: false, status: 403 };
  let rel: string;
  try {
    rel = decodeURIComponent(u.pathname);
  } catch {
    return { ok: false, status: 400 };
  }
  if (rel.includes('\0') || rel.includes('\\') || rel.length > 1024) return { ok: false, status: 400 };
  if (rel === '' || rel === '/') rel = '/index.html';
  const root = path.resolve(rendererRoot);
  const file = path.resolve(root, '.' + path.posix.normalize(rel));
  if (file !== root && !file.startsWith(root + path.sep)) return { ok: false, status: 403 };
  const contentType = CONTENT_TYPES[path.extname(file).toLowerCase()];
  if (!contentType) return { ok: false, status: 404 };
  return { ok: true, file, contentType };
}

/** Headers on every shoal://app response. */
export function appResponseHeaders(contentType: string): Record<string, string> {
  return {
    'Content-Type': contentType,
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-cache',
  };
}

/** Closing the window hides it (the app lives in the tray) unless the app is quitting. */
export function closeBehaviour(quitting: boolean): 'hide' | 'close' {
  return quitting ? 'close' : 'hide';
}

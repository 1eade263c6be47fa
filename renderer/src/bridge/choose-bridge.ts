import type { ShoalBridge } from '../../../engine/api/bridge.js';
import { createBrowserBridge } from './browser-bridge.js';
import { APP_PATH, LOGIN_PATH, webSocketUrl } from './gui-urls.js';

/**
 * The desktop preload sets `window.shoal`; in a browser there is none and the Web UI
 * connects to the daemon that served the page, over a WebSocket on the same origin.
 */
export function chooseBridge(): ShoalBridge {
  if (window.shoal) return window.shoal;
  return createBrowserBridge({
    url: webSocketUrl(window.location),
    makeSocket: (url) => new WebSocket(url),
    sessionExpired,
    goToLogin: () => window.location.assign(LOGIN_PATH),
    platform: browserPlatform(),
  });
}

/**
 * After a socket was refused: ask for the app page without following redirects. Signed out,
 * the daemon answers it with a redirect or 401/403 (or the sign-in form itself); a network
 * error means the daemon is down, which is a reason to keep retrying, not to sign in.
 */
async function sessionExpired(): Promise<boolean> {
  try {
    const res = await fetch(APP_PATH, { redirect: 'manual', cache: 'no-store', credentials: 'same-origin' });
    if (res.type === 'opaqueredirect' || res.status === 401 || res.status === 403) return true;
    if (!res.ok) return false;
    const text = await res.text();
    return text.includes(`action="${LOGIN_PATH}"`);
  } catch {
    return false;
  }
}

function browserPlatform(): ShoalBridge['platform'] {
  const p = `${navigator.platform} ${navigator.userAgent}`.toLowerCase();
  if (p.includes('mac')) return 'darwin';
  if (p.includes('win')) return 'win32';
  if (p.includes('linux')) return 'linux';
  return 'other';
}

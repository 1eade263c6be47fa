/**
 * Where the Web UI's pieces live on the daemon: the page is served at /gui/, the engine's
 * WebSocket at /gui/ws on the same origin (the session cookie goes along), and the
 * server-side sign-in page at /gui/login.
 */
export interface LocationLike {
  protocol: string;
  host: string;
}

export function webSocketUrl(loc: LocationLike): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/gui/ws`;
}

export const LOGIN_PATH = '/gui/login';
export const APP_PATH = '/gui/';

/** The daemon closes a session's sockets with this code when it signs out or expires. */
export const CLOSE_SIGNED_OUT = 4001;

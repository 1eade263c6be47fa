import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { MethodName } from '../../api/contract.js';
import { MAX_MESSAGE_BYTES } from '../../api/rpc/channel.js';
import { serveEngine } from '../../api/rpc/server.js';
import { webSocketChannel } from '../../api/rpc/websocket-channel.js';
import { refuseUpgrade } from '../http.js';
import type { Logger } from '../log.js';
import type { ApiTarget } from '../types.js';

/**
 * The Web UI's connection to the engine: `/gui/ws`, one RPC channel per socket served by the
 * generic RPC server. Whoever upgrades has already passed the Host, Origin and session checks
 * (http.ts and webui.ts); this file owns the sockets: limits, keepalive, and closing them
 * all (on logout of their session, on daemon shutdown).
 */

/**
 * What a browser may not call. The Web UI gets what /api offers except `shutdown`: a headless
 * daemon has nobody to start it again, and a stolen session should not be able to stop
 * syncing for good (stop the daemon with a signal or /api?method=shutdown).
 */
export const BROWSER_DENY: readonly MethodName[] = ['shutdown'];

export const MAX_SOCKETS = 64;
const PING_EVERY_MS = 30_000;
/** Close code telling the page its session ended (signed out, expired): go to the login page. */
export const CLOSE_SIGNED_OUT = 4001;

interface Tracked {
  ws: WebSocket;
  session: string | null;
  alive: boolean;
}

export interface WebUiSocketsOptions {
  target: ApiTarget;
  log: Logger;
  /** Called for every message on a socket of this session (keeps an open tab's session alive). */
  onActivity?(session: string): void;
  /** Checked at every keepalive round: a socket whose session ended is closed with CLOSE_SIGNED_OUT. */
  sessionAlive?(session: string): boolean;
  deny?: readonly MethodName[];
  maxSockets?: number;
  /** Keepalive period (tests shorten it). */
  pingEveryMs?: number;
}

export class WebUiSockets {
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE_BYTES,
    perMessageDeflate: false, // compression bombs and CPU: not worth it on a LAN
    clientTracking: false,
  });
  private readonly sockets = new Set<Tracked>();
  private readonly pinger: NodeJS.Timeout;
  private closing = false;

  constructor(private readonly opts: WebUiSocketsOptions) {
    this.pinger = setInterval(() => this.ping(), opts.pingEveryMs ?? PING_EVERY_MS).unref();
  }

  get count(): number {
    return this.sockets.size;
  }

  /** Complete the upgrade (or refuse it when stopping or full) and serve the engine on the socket. */
  upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, session: string | null): void {
    if (this.closing) return refuseUpgrade(socket, 503, 'Shoal is stopping.');
    if (this.sockets.size >= (this.opts.maxSockets ?? MAX_SOCKETS)) return refuseUpgrade(socket, 503, 'Too many Web UI connections.');
    // ws answers a malformed handshake (missing key, wrong version) with 400 itself.
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, session));
  }

  private accept(ws: WebSocket, session: string | null): void {
    if (this.closing) return void ws.close(1001, 'Shoal is stopping');
    const tracked: Tracked = { ws, session, alive: true };
    this.sockets.add(tracked);
    ws.on('pong', () => (tracked.alive = true));
    ws.on('error', () => {}); // a broken peer is a closed socket, nothing more
    ws.on('close', () => this.sockets.delete(tracked));
    if (session && this.opts.onActivity) {
      const touch = this.opts.onActivity.bind(this.opts, session);
      ws.on('message', () => touch());
    }
    const channel = webSocketChannel(ws);
    serveEngine(this.opts.target, channel, {
      deny: this.opts.deny ?? BROWSER_DENY,
      onInternalError: (err, method) => this.opts.log.error('Web UI call failed', { method: method.slice(0, 64), error: err }),
    });
  }

  /** Close the sockets of one session (it logged out or expired). */
  closeSession(session: string): void {
    for (const t of this.sockets) if (t.session === session) t.ws.close(CLOSE_SIGNED_OUT, 'Signed out');
  }

  /** Close every socket; resolves once all are gone (bounded: stragglers are terminated). */
  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.pinger);
    const gone = [...this.sockets].map(
      (t) =>
        new Promise<void>((resolve) => {
          if (t.ws.readyState === t.ws.CLOSED) return resolve();
          t.ws.once('close', () => resolve());
          t.ws.close(1001, 'Shoal is stopping');
          setTimeout(() => {
            t.ws.terminate();
            resolve();
          }, 1000).unref();
        }),
    );
    await Promise.all(gone);
    this.sockets.clear();
    this.wss.close();
  }

  /** A socket that did not answer the last ping within a period is dead: drop it. */
  private ping(): void {
    for (const t of this.sockets) {
      if (t.session && this.opts.sessionAlive && !this.opts.sessionAlive(t.session)) {
        t.ws.close(CLOSE_SIGNED_OUT, 'Session expired');
        continue;
      }
      if (!t.alive) {
        t.ws.terminate();
        continue;
      }
      t.alive = false;
      try {
        t.ws.ping();
      } catch {
        t.ws.terminate();
      }
    }
  }
}

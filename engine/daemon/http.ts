import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { ShoalError, isProgrammerError, toErrorData, type ErrorCode } from '../errors.js';
import { isLoopbackHost, parseHostPort, formatHostPort } from './address.js';
import { runApiMethod } from './api-methods.js';
import type { WebuiConfig } from './config.js';
import { errorNumber } from './error-numbers.js';
import { AuthCheck, FailureLimiter, allowedHostNames, checkHost, checkOrigin, type Refusal } from './http-guard.js';
import type { Logger } from './log.js';
import type { ApiTarget } from './types.js';

/**
 * The daemon's HTTP server: BitTorrent Sync 1.x's `GET /api?method=...` (JSON out), behind
 * the Host / Origin / credential checks of http-guard.ts. Failures are HTTP 200 with
 * `{ error: N, message, code }` as BTSync did; transport-level refusals use real statuses.
 */

export const MAX_URL_LENGTH = 8192;
export const MAX_BODY_BYTES = 64 * 1024;

/** A handler mounted under a path prefix; it runs after every security check passed. */
export type MountHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void>;

/** A mount that needs more than a handler: its own login, WebSocket upgrades, cleanup (the Web UI). */
export interface Mount {
  handle: MountHandler;
  /**
   * 'api' (default): the same credentials as /api are required before `handle` runs.
   * 'own': the mount checks credentials itself (a login page must be reachable without
   * them); the Host and Origin checks still run first.
   */
  auth?: 'api' | 'own';
  /**
   * A WebSocket upgrade under the prefix. Runs only after the Host check and with an Origin
   * header equal to this server's own origin; the mount checks credentials and completes or
   * refuses (see refuseUpgrade) the upgrade.
   */
  upgrade?(req: http.IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Called when the server closes, before it waits for connections (close upgraded sockets here). */
  close?(): Promise<void>;
}

export interface HttpServerOptions {
  target: ApiTarget;
  webui: WebuiConfig;
  log: Logger;
  /**
   * Extra handlers by path prefix, behind the same checks as /api. The Web UI (issue 3)
   * mounts itself here as `{ '/gui': handler }`.
   */
  mounts?: Record<string, MountHandler | Mount>;
  /** Counts failed logins; shared with mounts that check passwords themselves, so all guesses add up. */
  limiter?: FailureLimiter;
  /** A further credential /api accepts besides Basic and api_key (the Web UI's session cookie). */
  sessionAuth?(req: http.IncomingMessage): boolean;
}

export interface ApiServer {
  /** e.g. "http://127.0.0.1:8888" (the real port when listen asked for 0). */
  readonly url: string;
  readonly port: number;
  /** Stop accepting, let in-flight responses (e.g. to `shutdown`) finish, then drop idle keep-alives. */
  close(): Promise<void>;
}

export async function startHttpServer(opts: HttpServerOptions): Promise<ApiServer> {
  const listen = parseHostPort(opts.webui.listen, 0);
  if (!listen) throw new ShoalError('BAD_CONFIG', `webui.listen: must be "host:port" (got "${opts.webui.listen}")`);
  const auth = new AuthCheck(opts.webui, isLoopbackHost(listen.host));
  const limiter = opts.limiter ?? new FailureLimiter();
  const hostAllowed = allowedHostNames(listen);
  const mounts = Object.entries(opts.mounts ?? {}).map(([prefix, m]) => ({ prefix, ...(typeof m === 'function' ? { handle: m } : m) }));
  const findMount = (pathname: string) => mounts.find((m) => pathname === m.prefix || pathname.startsWith(m.prefix + '/'));
  let port = listen.port;

  const server = http.createServer({ maxHeaderSize: 16 * 1024, requestTimeout: 30_000 }, (req, res) => {
    handle(req, res).catch((err) => {
      opts.log.error('HTTP request failed', { error: err, url: req.url?.slice(0, 200) });
      if (!res.headersSent) sendError(res, 500, 'INTERNAL', 'Internal error');
      else res.destroy();
    });
  });
  server.headersTimeout = 20_000;
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy()); // a peer resetting mid-handshake is not our error
    try {
      handleUpgrade(req, socket, head);
    } catch (err) {
      opts.log.error('WebSocket upgrade failed', { error: err, url: req.url?.slice(0, 200) });
      socket.destroy();
    }
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    if (url.length > MAX_URL_LENGTH) return sendError(res, 414, 'BAD_REQUEST', 'The request URL is too long.');
    const declared = Number(req.headers['content-length'] ?? 0);
    if (!(declared >= 0) || declared > MAX_BODY_BYTES) {
      return sendError(res, 413, 'BAD_REQUEST', 'The request body is too large.', true);
    }
    const refusal = checkHost(req.headers, port, hostAllowed) ?? checkOrigin(req.headers);
    if (refusal) return sendRefusal(res, refusal);

    let parsed: URL;
    try {
      parsed = new URL(url, 'http://shoal.invalid');
    } catch {
      return sendError(res, 400, 'BAD_REQUEST', 'Malformed request URL.');
    }
    // Typing the daemon's address into a browser lands on the Web UI, as with BitTorrent Sync.
    if (parsed.pathname === '/' && (req.method === 'GET' || req.method === 'HEAD') && findMount('/gui')?.auth === 'own') {
      res.writeHead(303, { Location: '/gui/', 'Content-Length': '0', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', 'X-Frame-Options': 'DENY', 'Referrer-Policy': 'no-referrer' });
      return void res.end();
    }
    const mount = parsed.pathname === '/api' ? undefined : findMount(parsed.pathname);
    // The Web UI shows its own login page (and counts its own failures in the same limiter).
    if (mount?.auth === 'own') return mount.handle(req, res);
    // Nothing lives here (e.g. a browser's /favicon.ico): a 401 would only pop up a login dialog.
    if (parsed.pathname !== '/api' && !mount) return sendError(res, 404, 'BAD_REQUEST', 'Not found.');

    const addr = req.socket.remoteAddress ?? '?';
    if (limiter.blocked(addr)) return sendError(res, 429, 'UNAUTHORIZED', 'Too many failed logins; try again in a minute.');
    const apiKey = parsed.searchParams.get('api_key');
    const denied = auth.check(req.headers, apiKey);
    if (denied && !opts.sessionAuth?.(req)) {
      // Only wrong credentials count as guesses; a request without any is the normal first step.
      if (req.headers.authorization !== undefined || apiKey !== null) limiter.fail(addr);
      return sendRefusal(res, denied);
    }

    if (mount) return mount.handle(req, res);
    return handleApi(req, res, parsed.searchParams);
  }

  /** WebSocket upgrades: the same Host check as every request, and a same-origin Origin is required. */
  function handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = req.url ?? '/';
    if (url.length > MAX_URL_LENGTH) return refuseUpgrade(socket, 414, 'The request URL is too long.');
    const refusal =
      checkHost(req.headers, port, hostAllowed) ??
      (req.headers.origin === undefined
        ? { status: 403, message: 'A WebSocket needs the Origin header of a page served by Shoal itself.' }
        : checkOrigin(req.headers));
    if (refusal) return refuseUpgrade(socket, refusal.status, refusal.message);
    let pathname: string;
    try {
      pathname = new URL(url, 'http://shoal.invalid').pathname;
    } catch {
      return refuseUpgrade(socket, 400, 'Malformed request URL.');
    }
    const mount = findMount(pathname);
    if (!mount?.upgrade) return refuseUpgrade(socket, 404, 'No WebSocket here.');
    mount.upgrade(req, socket, head);
  }

  async function handleApi(req: http.IncomingMessage, res: http.ServerResponse, query: URLSearchParams): Promise<void> {
    // GET only: BTSync's API changes state through GET, so HEAD would run methods too.
    if (req.method !== 'GET') {
      res.setHeader('Allow', 'GET');
      return sendError(res, 405, 'BAD_REQUEST', 'The API takes GET requests.');
    }
    if (!(await drainBody(req))) return sendError(res, 413, 'BAD_REQUEST', 'The request body is too large.', true);
    let body: unknown;
    try {
      body = await runApiMethod(opts.target, query);
    } catch (err) {
      if (isProgrammerError(err) || !(err instanceof ShoalError)) {
        opts.log.error('API method failed', { method: query.get('method')?.slice(0, 64), error: err });
      }
      const data = toErrorData(err);
      return sendJson(res, 200, { error: errorNumber(data.code), message: data.message, code: data.code });
    }
    sendJson(res, 200, body ?? { error: 0 });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((err: NodeJS.ErrnoException) => {
    const why = err.code === 'EADDRINUSE' ? 'the address is already in use' : err.code === 'EACCES' ? 'permission denied' : err.message;
    throw new ShoalError('BAD_CONFIG', `webui.listen: cannot listen on ${opts.webui.listen}: ${why}`, { cause: err });
  });
  port = (server.address() as AddressInfo).port;
  server.on('error', (err) => opts.log.error('HTTP server error', { error: err }));
  const url = `http://${formatHostPort({ host: listen.host, port })}`;

  return {
    url,
    port,
    close: async () => {
      // Upgraded sockets keep the server open: their owners close them first.
      await Promise.all(mounts.map((m) => m.close?.().catch((err: unknown) => opts.log.error('Closing a mount failed', { mount: m.prefix, error: err }))));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // A client holding a connection open must not keep the daemon from exiting.
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      });
    },
  };
}

/** Answer an upgrade request with a plain HTTP refusal and drop the connection. */
export function refuseUpgrade(socket: Duplex, status: number, message: string): void {
  const reasons: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 414: 'URI Too Long', 503: 'Service Unavailable' };
  const body = message + '\n';
  const head = [
    `HTTP/1.1 ${status} ${reasons[status] ?? 'Error'}`,
    'Connection: close',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Cache-Control: no-store',
    'X-Content-Type-Options: nosniff',
  ].join('\r\n');
  if (socket.writable) socket.end(`${head}\r\n\r\n${body}`);
  // Whatever the client does next, the connection goes away.
  setTimeout(() => socket.destroy(), 1000).unref();
}

/** Read and discard a body, enforcing MAX_BODY_BYTES even for chunked uploads. */
function drainBody(req: http.IncomingMessage): Promise<boolean> {
  return new Promise((resolve) => {
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners('data');
        req.pause();
        resolve(false);
      }
    });
    req.on('end', () => resolve(true));
    req.on('error', () => resolve(false));
  });
}

function sendRefusal(res: http.ServerResponse, r: Refusal): void {
  for (const [k, v] of Object.entries(r.headers ?? {})) res.setHeader(k, v);
  sendError(res, r.status, r.code, r.message);
}

function sendError(res: http.ServerResponse, status: number, code: ErrorCode, message: string, closeAfter = false): void {
  if (closeAfter) res.setHeader('Connection', 'close');
  sendJson(res, status, { error: errorNumber(code), message, code });
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
  });
  res.end(res.req?.method === 'HEAD' ? undefined : text);
}

import crypto from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import net from 'node:net';
import os from 'node:os';
import type { ErrorCode } from '../errors.js';
import { isLoopbackHost, type HostPort } from './address.js';
import type { WebuiConfig } from './config.js';

/**
 * The checks every request passes before it reaches /api (or a mounted /gui):
 *   1. Host header names this server   — defeats DNS rebinding (evil.example resolving to 127.0.0.1)
 *   2. the request is not cross-origin — a page on another site must never command the daemon
 *   3. credentials                     — HTTP Basic (login/password) or the api_key parameter
 */

export interface Refusal {
  status: number;
  code: ErrorCode;
  message: string;
  headers?: Record<string, string>;
}

/** Host names (lowercase, IPv6 bracketed) a request may address this server by. */
export function allowedHostNames(listen: HostPort): (name: string) => boolean {
  const fixed = new Set(['localhost', '[::1]']);
  const listenHost = listen.host.toLowerCase();
  const wildcard = listenHost === '0.0.0.0' || listenHost === '::';
  if (!wildcard) fixed.add(net.isIPv6(listenHost) ? `[${listenHost}]` : listenHost);
  if (wildcard) {
    const h = os.hostname().toLowerCase();
    if (h) fixed.add(h).add(`${h}.local`);
  }
  return (name) => {
    if (fixed.has(name)) return true;
    const bare = name.startsWith('[') && name.endsWith(']') ? name.slice(1, -1) : name;
    if (net.isIP(bare) === 0) return false;
    // An IP literal cannot be rebound by DNS; loopback always reaches us, and on a wildcard
    // listen so does every address of this machine.
    return isLoopbackHost(bare) || wildcard;
  };
}

export function checkHost(headers: IncomingHttpHeaders, port: number, allowed: (name: string) => boolean): Refusal | null {
  const host = headers.host?.toLowerCase();
  const m = host ? /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(host) : null;
  if (!m || Number(m[2] ?? 80) !== port || !allowed(m[1])) {
    return { status: 403, code: 'FORBIDDEN_ORIGIN', message: 'This server does not answer to that Host name.' };
  }
  return null;
}

/** Refuses anything a browser marks as coming from another origin than http://<Host>. */
export function checkOrigin(headers: IncomingHttpHeaders): Refusal | null {
  const own = `http://${headers.host ?? ''}`.toLowerCase();
  const refused: Refusal = {
    status: 403,
    code: 'FORBIDDEN_ORIGIN',
    message: 'Cross-origin requests are not allowed: only pages served by Shoal itself may use this API.',
  };
  const origin = headers.origin;
  if (origin !== undefined && origin.toLowerCase() !== own) return refused;
  // Sent by browsers even on plain GETs (<img src>, links) that carry no Origin header.
  const site = headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return refused;
  const referer = headers.referer;
  if (referer !== undefined) {
    let refOrigin = 'null';
    try {
      refOrigin = new URL(referer).origin.toLowerCase();
    } catch {
      // unparsable referer: treat as foreign
    }
    if (refOrigin !== own) return refused;
  }
  return null;
}

export class AuthCheck {
  private readonly needCredentials: boolean;

  constructor(
    private readonly webui: WebuiConfig,
    listenIsLoopback: boolean,
  ) {
    // With nothing configured, only a loopback listener may go without credentials
    // (loadConfig refuses the other case; this keeps the server safe on its own too).
    this.needCredentials = !!(webui.password || webui.api_key) || !listenIsLoopback;
  }

  check(headers: IncomingHttpHeaders, apiKey: string | null): Refusal | null {
    if (!this.needCredentials) return null;
    if (this.basicOk(headers.authorization) || this.apiKeyOk(apiKey)) return null;
    return {
      status: 401,
      code: 'UNAUTHORIZED',
      message: 'Login required.',
      headers: { 'WWW-Authenticate': 'Basic realm="Shoal", charset="UTF-8"' },
    };
  }

  private basicOk(header: string | undefined): boolean {
    const { login, password } = this.webui;
    if (!login || !password || !header) return false;
    const m = /^Basic\s+([A-Za-z0-9+/=]{1,1024})$/i.exec(header.trim());
    if (!m) return false;
    const decoded = Buffer.from(m[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    // Evaluate both comparisons always, so timing reveals neither which part was wrong.
    const userOk = safeEqual(decoded.slice(0, colon), login);
    const passOk = safeEqual(decoded.slice(colon + 1), password);
    return userOk && passOk;
  }

  private apiKeyOk(given: string | null): boolean {
    return !!this.webui.api_key && given !== null && safeEqual(given, this.webui.api_key);
  }
}

/** Constant-time string comparison; hashing first makes lengths equal so length leaks nothing. */
export function safeEqual(a: string, b: string): boolean {
  const ha = crypto.createHash('sha256').update(a).digest();
  const hb = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(ha, hb);
}

/** Slows password guessing: after `max` failures from one address within `windowMs`, refuse for the rest of it. */
export class FailureLimiter {
  private readonly failures = new Map<string, { count: number; until: number }>();

  constructor(
    private readonly max = 20,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  blocked(addr: string): boolean {
    const f = this.failures.get(addr);
    if (!f) return false;
    if (this.now() > f.until) {
      this.failures.delete(addr);
      return false;
    }
    return f.count >= this.max;
  }

  fail(addr: string): void {
    const t = this.now();
    const f = this.failures.get(addr);
    if (!f || t > f.until) this.failures.set(addr, { count: 1, until: t + this.windowMs });
    else f.count++;
    if (this.failures.size > 10_000) this.failures.clear(); // bound memory under a flood
  }
}

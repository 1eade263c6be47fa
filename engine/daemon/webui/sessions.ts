import crypto from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * Web UI login sessions, in memory only (a restart signs everyone out). A session is a
 * random 32-byte token in an HttpOnly, SameSite=Strict cookie; the store keeps only its
 * SHA-256, so the token is compared as a hash lookup and never sits in memory in the clear.
 */

export const SESSION_COOKIE = 'shoal_session';
export const SESSION_IDLE_MS = 12 * 60 * 60 * 1000;
export const MAX_SESSIONS = 64;

/** base64url of 32 bytes: exactly 43 characters. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** The Set-Cookie value for a new session. No `Secure`: the daemon speaks plain http. */
export function sessionCookie(token: string): string {
  return `${SESSION_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/gui`;
}

export function clearedSessionCookie(): string {
  return `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/gui; Max-Age=0`;
}

/** Every well-formed shoal_session value in a Cookie header (a browser may send several). */
export function sessionTokens(headers: IncomingHttpHeaders): string[] {
  const raw = headers.cookie;
  if (!raw || raw.length > 8192) return [];
  const out: string[] = [];
  for (const part of raw.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    if (TOKEN.test(value)) out.push(value);
    if (out.length >= 4) break;
  }
  return out;
}

export class SessionStore {
  /** sha256(token) hex -> last use (ms). Map order is least recently used first. */
  private readonly byHash = new Map<string, number>();

  constructor(
    private readonly idleMs = SESSION_IDLE_MS,
    private readonly max = MAX_SESSIONS,
    private readonly now: () => number = Date.now,
  ) {}

  /** A new session; the least recently used one goes when the store is full. */
  create(): string {
    this.sweep();
    while (this.byHash.size >= this.max) {
      const oldest = this.byHash.keys().next().value as string;
      this.byHash.delete(oldest);
    }
    const token = crypto.randomBytes(32).toString('base64url');
    this.byHash.set(hash(token), this.now());
    return token;
  }

  /** The session key (hash) of the first valid token among the request's cookies, touched; null if none. */
  find(headers: IncomingHttpHeaders): string | null {
    for (const token of sessionTokens(headers)) {
      const key = hash(token);
      if (this.touch(key)) return key;
    }
    return null;
  }

  /** Mark a session used now; false when it does not exist or has expired. */
  touch(key: string): boolean {
    const last = this.byHash.get(key);
    if (last === undefined) return false;
    this.byHash.delete(key);
    if (this.now() - last > this.idleMs) return false;
    this.byHash.set(key, this.now());
    return true;
  }

  /** Whether a session still exists and has not expired, without counting this as a use. */
  alive(key: string): boolean {
    const last = this.byHash.get(key);
    return last !== undefined && this.now() - last <= this.idleMs;
  }

  remove(key: string): void {
    this.byHash.delete(key);
  }

  get size(): number {
    return this.byHash.size;
  }

  private sweep(): void {
    const t = this.now();
    for (const [key, last] of this.byHash) if (t - last > this.idleMs) this.byHash.delete(key);
  }
}

function hash(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex');
}

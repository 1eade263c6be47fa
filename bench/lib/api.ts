/**
 * Client for the daemon's BitTorrent Sync 1.x style HTTP API:
 * `GET http://127.0.0.1:PORT/api?method=NAME&k=v...` with HTTP Basic auth, JSON replies,
 * errors as `{ error: N (non-zero), message }`. Loopback only, keep-alive, no proxies.
 */
import http from 'node:http';
import type { FolderInfo, PeerInfo } from '../../engine/api/contract.js';
import { sleep } from './log.js';

const LOOPBACK = '127.0.0.1';

/** The get_folders fields the benchmark relies on (a subset of the contract's FolderInfo). */
export type FolderStatus = Pick<FolderInfo, 'dir' | 'secret' | 'size' | 'files' | 'error' | 'indexing' | 'down_bytes' | 'up_bytes'>;

/** get_folder_peers entry; bytes_in/bytes_out = cumulative wire bytes on that peer connection. */
export type PeerStatus = Pick<PeerInfo, 'id' | 'name' | 'connection' | 'synced' | 'download' | 'upload'> & {
  bytes_in?: number;
  bytes_out?: number;
};

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly method: string,
    readonly code: number | string,
    message: string,
  ) {
    super(`${method}: ${message}`);
  }
}

function isErrorReply(v: unknown): v is { error: number | string; message?: unknown } {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  // A FolderInfo also has `error` (a folder state code), but never `message` and always `dir`.
  return 'error' in o && o.error !== 0 && 'message' in o && !('dir' in o);
}

const NUMERIC_FOLDER_FIELDS = ['size', 'files', 'indexing', 'down_bytes'] as const;

export class ShoalApi {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  private readonly auth: string;

  constructor(
    readonly port: number,
    login: string,
    password: string,
    private readonly timeoutMs = 30_000,
  ) {
    this.auth = 'Basic ' + Buffer.from(`${login}:${password}`).toString('base64');
  }

  close(): void {
    this.agent.destroy();
  }

  /** One API call; retried (3 attempts, like the anchor's client) on connection errors only. */
  async call<T = unknown>(method: string, params: Record<string, string> = {}): Promise<T> {
    const q = new URLSearchParams({ method, ...params }).toString();
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.once(method, `/api?${q}`)) as T;
      } catch (e) {
        if (e instanceof ApiError || attempt >= 3) throw e;
        await sleep(50);
      }
    }
  }

  private once(method: string, path: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: LOOPBACK, port: this.port, path, method: 'GET', agent: this.agent, headers: { Authorization: this.auth } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const raw = Buffer.concat(chunks).toString();
            let body: unknown = raw;
            try {
              body = raw.trim() ? JSON.parse(raw) : null;
            } catch {
              /* keep the text */
            }
            if (isErrorReply(body)) {
              const code = (body as { code?: unknown }).code;
              reject(new ApiError(method, body.error, `${String(body.message)}${typeof code === 'string' ? ` [${code}]` : ''}`));
            } else if ((res.statusCode ?? 0) >= 300) {
              reject(new ApiError(method, res.statusCode ?? 0, `HTTP ${res.statusCode}: ${raw.slice(0, 300)}`));
            } else {
              resolve(body);
            }
          });
        },
      );
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`${method}: no reply within ${this.timeoutMs} ms`)));
      req.on('error', reject);
      req.end();
    });
  }

  async getSecrets(): Promise<{ read_write: string; read_only: string }> {
    const s = await this.call<Record<string, unknown>>('get_secrets');
    if (typeof s?.read_write !== 'string' || typeof s.read_only !== 'string') {
      throw new ApiError('get_secrets', 'shape', `expected {read_write, read_only}, got ${JSON.stringify(s)}`);
    }
    return { read_write: s.read_write, read_only: s.read_only };
  }

  async addFolder(dir: string, secret: string): Promise<unknown> {
    return this.call('add_folder', { dir, secret });
  }

  async setFolderHosts(secret: string, hosts: string[]): Promise<unknown> {
    return this.call('set_folder_hosts', { secret, hosts: hosts.join(',') });
  }

  async getFolders(secret?: string): Promise<FolderStatus[]> {
    const r = await this.call<unknown>('get_folders', secret ? { secret } : {});
    if (!Array.isArray(r)) throw new ApiError('get_folders', 'shape', `expected an array, got ${JSON.stringify(r).slice(0, 300)}`);
    for (const f of r as Record<string, unknown>[]) {
      for (const k of NUMERIC_FOLDER_FIELDS) {
        if (typeof f[k] !== 'number') {
          throw new ApiError('get_folders', 'shape', `entry lacks numeric '${k}': ${JSON.stringify(f).slice(0, 300)}`);
        }
      }
    }
    return r as FolderStatus[];
  }

  /** The one folder with this secret (get_folders secret=S; falls back to matching `secret`). */
  async getFolder(secret: string): Promise<FolderStatus> {
    const all = await this.getFolders(secret);
    const f = all.find((x) => x.secret === secret) ?? (all.length === 1 ? all[0] : undefined);
    if (!f) throw new ApiError('get_folders', 'missing', `no folder with the given secret (got ${all.length} entries)`);
    return f;
  }

  async getFolderPeers(secret: string): Promise<PeerStatus[]> {
    const r = await this.call<unknown>('get_folder_peers', { secret });
    if (!Array.isArray(r)) throw new ApiError('get_folder_peers', 'shape', `expected an array, got ${JSON.stringify(r).slice(0, 300)}`);
    return r as PeerStatus[];
  }

  /** Ask for a rescan. `rescan_folder` is optional: resolves to null when it worked, else to
   * the daemon's error message (e.g. unknown method). */
  async rescanFolder(secret: string): Promise<string | null> {
    try {
      await this.call('rescan_folder', { secret });
      return null;
    } catch (e) {
      if (e instanceof ApiError) return e.message;
      throw e;
    }
  }

  async shutdown(): Promise<void> {
    await this.call('shutdown');
  }
}

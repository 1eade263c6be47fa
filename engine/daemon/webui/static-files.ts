import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { messagePage, securityHeaders, sendHtml } from './responses.js';

/**
 * The built renderer (`npm run build:ui` -> renderer/dist) served under /gui/. Only regular
 * files inside that directory are ever read: the path is decoded once, checked segment by
 * segment (no `..`, no backslashes, no dotfiles), and the real path (symlinks resolved) must
 * still lie inside the real directory.
 */

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
};

export function contentTypeOf(file: string): string {
  return TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * `<package root>/renderer/dist`: the package root is the nearest directory above this module
 * holding package.json, which is the repo both when run from source (tsx, engine/daemon/webui)
 * and when built (dist/engine/daemon/webui).
 */
export function defaultRendererDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return path.join(dir, 'renderer', 'dist');
    const up = path.dirname(dir);
    if (up === dir) return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'renderer', 'dist');
    dir = up;
  }
}

/** The path below /gui/ as a list of safe segments, or null when it could leave the directory. */
export function safeSegments(encodedRel: string): string[] | null {
  let rel: string;
  try {
    rel = decodeURIComponent(encodedRel);
  } catch {
    return null;
  }
  if (rel === '') return ['index.html'];
  if (rel.includes('\0') || rel.includes('\\') || rel.length > 1024) return null;
  const segs = rel.split('/');
  if (segs.at(-1) === '') segs[segs.length - 1] = 'index.html'; // a directory URL
  for (const s of segs) {
    // '' (a//b), '.', '..' and every dotfile; ':' keeps Windows drive and stream names out.
    if (s === '' || s.startsWith('.') || s.includes(':')) return null;
  }
  return segs;
}

export class StaticFiles {
  private realRoot: string | null = null;

  constructor(readonly root: string) {}

  /** Serve `/gui/<encodedRel>`; answers 404 for anything that is not a file inside root. */
  async serve(req: http.IncomingMessage, res: http.ServerResponse, encodedRel: string): Promise<void> {
    const root = await this.resolveRoot();
    if (!root) return this.notBuilt(res);
    const segs = safeSegments(encodedRel);
    if (!segs) return notFound(res);
    const wanted = path.join(root, ...segs);
    if (!wanted.startsWith(root + path.sep)) return notFound(res);
    let real: string;
    let st: fs.Stats;
    try {
      real = await fs.promises.realpath(wanted);
      st = await fs.promises.stat(real);
    } catch {
      return notFound(res);
    }
    // A symlink inside the directory must not lead outside it.
    if (!real.startsWith(root + path.sep) || !st.isFile()) return notFound(res);

    const hashedAsset = segs[0] === 'assets' && segs.length > 1;
    res.writeHead(200, {
      ...securityHeaders(hashedAsset ? 'private, max-age=31536000, immutable' : 'no-cache'),
      'Content-Type': contentTypeOf(real),
      'Content-Length': String(st.size),
    });
    if (req.method === 'HEAD') return void res.end();
    await new Promise<void>((resolve) => {
      const stream = fs.createReadStream(real);
      stream.on('error', () => {
        res.destroy();
        resolve();
      });
      res.on('close', () => {
        stream.destroy();
        resolve();
      });
      stream.pipe(res);
    });
  }

  /** The real path of root once it holds index.html; null while the renderer is not built. */
  private async resolveRoot(): Promise<string | null> {
    if (this.realRoot) return this.realRoot;
    try {
      const real = await fs.promises.realpath(this.root);
      if (!(await fs.promises.stat(path.join(real, 'index.html'))).isFile()) return null;
      this.realRoot = real;
      return real;
    } catch {
      return null;
    }
  }

  private notBuilt(res: http.ServerResponse): void {
    sendHtml(
      res,
      503,
      messagePage(
        'The Shoal Web UI is not built',
        // The directory is not named: this page may be shown to anyone who can reach the port.
        `<p>This daemon serves the Web UI from <code>renderer/dist</code>, which holds no <code>index.html</code> yet.</p>
<p>Build it with <code>npm run build:ui</code> in the Shoal directory, then reload this page. The HTTP API at <code>/api</code> works meanwhile.</p>`,
      ),
    );
  }
}

function notFound(res: http.ServerResponse): void {
  sendHtml(res, 404, messagePage('Not found', '<p>There is no such page in the Shoal Web UI.</p>'));
}

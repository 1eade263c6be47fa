/**
 * Tree hash, identical to the Syncthing helper's `tree-hash`: sha256 over the sorted list of
 * `relpath \0 sha256hex(file) \n`, skipping each product's own bookkeeping names. The same
 * tree gives the same digest here and in syncthing-pair-helper.py.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { now } from './log.js';

/** Syncthing's names (as in the helper) plus Shoal's (engine/model/paths.ts). */
const SKIP_NAMES = new Set(['.stfolder', '.stversions', '.stignore', '.sync', '.SyncArchive', '.SyncIgnore']);

function skipFile(name: string): boolean {
  return SKIP_NAMES.has(name) || name.startsWith('.syncthing.') || name.startsWith('~syncthing~') || name.endsWith('.!sync');
}

export interface TreeHash {
  digest: string;
  files: number;
  bytes: number;
  dirs: number;
  secs: number;
  /** relpath -> size, for cheap on-disk checks. */
  sizes: Map<string, number>;
}

/** Regular files under dir (relative '/' paths), with the skip rules above; also counts dirs. */
export function listTree(dir: string): { files: string[]; dirs: number } {
  const files: string[] = [];
  let dirs = 0;
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (SKIP_NAMES.has(e.name)) continue;
        dirs++;
        walk(r);
      } else if (!skipFile(e.name)) {
        files.push(r);
      }
    }
  };
  walk('');
  return { files, dirs };
}

const CHUNK = 1 << 20;

async function hashFile(file: string, buf: Buffer): Promise<{ hex: string; size: number }> {
  const h = crypto.createHash('sha256');
  const fh = await fs.promises.open(file, 'r');
  let size = 0;
  try {
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, CHUNK, null);
      if (bytesRead === 0) break;
      h.update(buf.subarray(0, bytesRead));
      size += bytesRead;
    }
  } finally {
    await fh.close();
  }
  return { hex: h.digest('hex'), size };
}

const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export async function treeHash(dir: string): Promise<TreeHash> {
  const t0 = now();
  const { files, dirs } = listTree(dir);
  const buf = Buffer.allocUnsafe(CHUNK);
  const entries: [string, string][] = [];
  const sizes = new Map<string, number>();
  let bytes = 0;
  for (const rel of files) {
    const { hex, size } = await hashFile(path.join(dir, rel), buf);
    entries.push([rel, hex]);
    sizes.set(rel, size);
    bytes += size;
  }
  // Python sorts (relpath, hex) tuples; relpaths are unique, so sorting by relpath is the same.
  entries.sort((a, b) => byCodePoint(a[0], b[0]));
  const top = crypto.createHash('sha256');
  for (const [p, h] of entries) top.update(`${p}\0${h}\n`);
  return { digest: top.digest('hex'), files: entries.length, bytes, dirs, secs: now() - t0, sizes };
}

/** True when every expected file exists on disk with the expected size (cheap: stat only). */
export function sizesMatch(dir: string, expected: Map<string, number>): boolean {
  for (const [rel, size] of expected) {
    try {
      if (fs.statSync(path.join(dir, rel)).size !== size) return false;
    } catch {
      return false;
    }
  }
  return true;
}

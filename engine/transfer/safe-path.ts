import { lstatSync, mkdirSync, type Stats } from 'node:fs';
import { lstat, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ShoalError } from '../errors.js';
import { checkRelPath } from '../model/paths.js';
import { LocalChangeError, errnoOf, fsError } from './errors.js';

/**
 * The single gate between a folder-relative path (often chosen by a peer) and the disk.
 * Nothing in transfer/ or archive/ touches a path that did not come through here.
 *
 * Refused with BAD_PATH: `..`, absolute paths, drive letters, NUL, and any parent
 * component that is a symbolic link (or Windows junction) - otherwise a peer that knows
 * the user keeps `docs -> /etc` could write outside the folder. The root itself may be a
 * symlink: that is where the user chose to put the folder.
 *
 * Remaining race: a local process could swap a checked parent for a symlink between this
 * check and the write. That needs local write access to the folder already, which is
 * outside what a remote peer can do.
 */

export interface ResolveOptions {
  /** Create missing parent directories (never the root itself). */
  createParents?: boolean;
  /** Name rules to enforce; defaults to the running OS (tests pass 'win32'). */
  platform?: NodeJS.Platform;
}

/** Absolute path of `rel` (wire form, validated by checkRelPath) inside `root`. */
export async function resolveInRoot(root: string, rel: string, opts: ResolveOptions = {}): Promise<string> {
  return resolveSegments(root, checkRelPath(rel).split('/'), opts);
}

/**
 * Same checks for paths the engine builds itself (e.g. `.SyncArchive/<rel>`), which
 * checkRelPath would refuse as reserved. Each segment is still validated.
 */
export async function resolveSegments(root: string, segments: readonly string[], opts: ResolveOptions = {}): Promise<string> {
  const { rootAbs, abs } = checkedPath(root, segments, opts);
  let dir = rootAbs;
  for (let i = 0; i < segments.length - 1; i++) {
    dir = path.join(dir, segments[i]!);
    let st = await lstatOrNull(dir);
    if (!st) {
      // Nothing exists from here down, so no symlink can be in the way.
      if (!opts.createParents) return abs;
      st = await mkdirOne(dir, rootAbs);
    }
    checkParent(dir, st);
  }
  return abs;
}

/**
 * resolveInRootSync's `checkedDirs`: parent folders found to be real folders by the calls
 * of one short burst (a write worker's batch of files, a few milliseconds), which need not
 * be looked at again in it. The burst is the window in which a local process could swap
 * one for a symlink unnoticed, as it could between any check and the write (see above).
 */
export type CheckedDirs = Set<string>;

/**
 * resolveInRoot with synchronous calls, for hot paths on fast storage (util/sync-io.ts):
 * the same checks, in the same order.
 */
export function resolveInRootSync(root: string, rel: string, opts: ResolveOptions & { checkedDirs?: CheckedDirs } = {}): string {
  const segments = checkRelPath(rel).split('/');
  const { rootAbs, abs } = checkedPath(root, segments, opts);
  const checked = opts.checkedDirs;
  let dir = rootAbs;
  for (let i = 0; i < segments.length - 1; i++) {
    dir = path.join(dir, segments[i]!);
    if (checked?.has(dir)) continue;
    let st = lstatOrNullSync(dir);
    if (!st) {
      if (!opts.createParents) return abs;
      st = mkdirOneSync(dir, rootAbs);
    }
    checkParent(dir, st);
    checked?.add(dir);
  }
  return abs;
}

/** Validate every segment and join them under the root. */
function checkedPath(root: string, segments: readonly string[], opts: ResolveOptions): { rootAbs: string; abs: string } {
  const platform = opts.platform ?? process.platform;
  if (segments.length === 0) throw bad('Path is empty');
  for (const seg of segments) checkSegment(seg, platform);
  const rootAbs = path.resolve(root);
  const abs = path.join(rootAbs, ...segments);
  assertInside(rootAbs, abs);
  return { rootAbs, abs };
}

/** A parent on the way must be a real folder: never a symlink (or junction), never a file. */
function checkParent(dir: string, st: Stats): void {
  if (st.isSymbolicLink()) {
    throw bad(`A folder in the path is a symbolic link, refusing to follow it: ${dir}`);
  }
  if (!st.isDirectory()) {
    throw new LocalChangeError(dir, `${dir} is a file, but a folder is needed there.`);
  }
}

/** Defence in depth: after joining validated segments the result must still be under root. */
export function assertInside(rootAbs: string, abs: string): void {
  const rel = path.relative(rootAbs, abs);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
    throw bad(`Path escapes the folder: ${abs}`);
  }
}

const WIN_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;
// eslint-disable-next-line no-control-regex
const WIN_BAD_CHARS = /[<>:"|?*\x00-\x1f]/;

function checkSegment(seg: string, platform: NodeJS.Platform): void {
  if (seg === '' || seg === '.' || seg === '..') throw bad(`Path has an empty, '.' or '..' segment`);
  if (seg.includes('/') || seg.includes('\\') || seg.includes('\0')) throw bad(`Bad path segment: ${seg}`);
  if (platform === 'win32') {
    // `a:b` would write an NTFS alternate data stream; `CON` opens the console.
    if (WIN_BAD_CHARS.test(seg)) throw bad(`Name is not allowed on Windows: ${seg}`);
    if (WIN_RESERVED.test(seg)) throw bad(`Name is reserved on Windows: ${seg}`);
    if (seg.endsWith('.') || seg.endsWith(' ')) throw bad(`Windows drops a trailing dot or space: ${seg}`);
  }
}

async function lstatOrNull(p: string): Promise<Stats | null> {
  try {
    return await lstat(p);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return null;
    throw fsError(err, p, 'inspect');
  }
}

/** One level of mkdir -p. Losing a race to a concurrent mkdir is fine; a missing root is not. */
async function mkdirOne(dir: string, rootAbs: string): Promise<Stats> {
  try {
    await mkdir(dir);
  } catch (err) {
    mkdirFailed(err, dir, rootAbs);
  }
  try {
    return await lstat(dir);
  } catch (err) {
    throw fsError(err, dir, 'inspect');
  }
}

function mkdirOneSync(dir: string, rootAbs: string): Stats {
  try {
    mkdirSync(dir);
  } catch (err) {
    mkdirFailed(err, dir, rootAbs);
  }
  try {
    return lstatSync(dir);
  } catch (err) {
    throw fsError(err, dir, 'inspect');
  }
}

/** An mkdir error that matters (EEXIST is someone else's mkdir winning the race). */
function mkdirFailed(err: unknown, dir: string, rootAbs: string): void {
  const code = errnoOf(err);
  if (code === 'ENOENT' && path.dirname(dir) === rootAbs) {
    // Never recreate the root: it may be an unmounted drive, and writing onto the
    // mount point would "sync" an empty folder over the user's data.
    throw new ShoalError('FOLDER_PATH_MISSING', `The folder ${rootAbs} does not exist (is the drive connected?).`);
  }
  if (code !== 'EEXIST') throw fsError(err, dir, 'create the folder');
}

function lstatOrNullSync(p: string): Stats | null {
  try {
    return lstatSync(p, { throwIfNoEntry: false }) ?? null;
  } catch (err) {
    throw fsError(err, p, 'inspect');
  }
}

function bad(message: string): ShoalError {
  return new ShoalError('BAD_PATH', message);
}

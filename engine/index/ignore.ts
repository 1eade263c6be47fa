import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { ShoalError } from '../errors.js';
import { IGNORE_FILE, isInternalPath } from '../model/paths.js';

/**
 * `.SyncIgnore`: which paths of a folder are neither indexed nor synced.
 *
 * Format (BitTorrent Sync compatible, UTF-8, one pattern per line):
 * - blank lines are skipped; CR (Windows line ends), a BOM and surrounding spaces are tolerated;
 * - lines starting with `#` are comments (BTSync had none, but nobody names a file `#...`
 *   on purpose and users expect them);
 * - `*` matches any run of characters within one name, `?` exactly one character;
 * - a pattern without `/` matches any file or folder with that name at any depth, and
 *   everything below a matched folder (`build`, `*.tmp`);
 * - a pattern with `/` matches the path from the folder root (`docs/*.pdf`,
 *   `/Thumbs.db`: a leading `/` only anchors), again with everything below it;
 * - a trailing `/` limits the pattern to folders (`cache/`).
 *
 * As in BTSync, `.SyncIgnore` itself is a per-device file: it is never synced, so each
 * device chooses what it leaves out. Shoal's own files (`.SyncArchive`, `.sync`,
 * `*.!sync`) are always ignored; the BTSync default names below are ignored unless the
 * caller turns the defaults off.
 */
export const DEFAULT_IGNORES: readonly string[] = [
  '.DS_Store',
  '.DS_Store?',
  '._*',
  '.Spotlight-V100',
  '.Trashes',
  'Thumbs.db',
  'ehthumbs.db',
  'desktop.ini',
  '.SyncID',
];

/** Never synced whatever the rules say: per-device files at the folder root. */
const ROOT_PRIVATE = new Set([IGNORE_FILE]);

/** Ignore files are tiny; refuse something absurd rather than read it whole. */
const MAX_IGNORE_FILE = 1024 * 1024;

export interface IgnoreOptions {
  /** Also ignore DEFAULT_IGNORES (default true). */
  defaults?: boolean;
  /** Match case-insensitively; defaults to the platforms whose disks usually are (macOS, Windows). */
  caseInsensitive?: boolean;
}

interface Anchored {
  re: RegExp;
  /** Number of path segments the pattern spans. */
  depth: number;
  dirOnly: boolean;
}

export class IgnoreRules {
  /** Any name pattern (one alternation: one regex run per path segment). */
  private readonly name: RegExp | null;
  private readonly nameDirOnly: RegExp | null;
  private readonly anchored: Anchored[] = [];
  /** The user's patterns, as read (for display). */
  readonly patterns: readonly string[];
  /** Everything that decides matching; equal signatures match the same paths. */
  private readonly signature: string;

  private constructor(patterns: string[], opts: IgnoreOptions) {
    this.patterns = patterns;
    const insensitive = opts.caseInsensitive ?? (process.platform === 'darwin' || process.platform === 'win32');
    const flags = insensitive ? 'i' : '';
    const all = opts.defaults === false ? patterns : [...DEFAULT_IGNORES, ...patterns];
    this.signature = JSON.stringify([flags, all]);
    const names: string[] = [];
    const dirNames: string[] = [];
    for (let p of all) {
      const dirOnly = p.endsWith('/');
      p = p.replace(/\/+$/, '');
      const anchored = p.includes('/');
      p = p.replace(/^\/+/, '');
      if (p === '') continue;
      if (anchored) {
        const segs = p.split('/').filter((s) => s !== '');
        this.anchored.push({ re: new RegExp(`^${segs.map(globToRegex).join('/')}$`, flags), depth: segs.length, dirOnly });
      } else {
        (dirOnly ? dirNames : names).push(globToRegex(p));
      }
    }
    this.name = names.length ? new RegExp(`^(?:${names.join('|')})$`, flags) : null;
    this.nameDirOnly = dirNames.length ? new RegExp(`^(?:${dirNames.join('|')})$`, flags) : null;
  }

  /** Rules from the text of a `.SyncIgnore` file. */
  static parse(text: string, opts: IgnoreOptions = {}): IgnoreRules {
    const patterns: string[] = [];
    for (const raw of text.replace(/^\uFEFF/, '').split('\n')) {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      patterns.push(line.normalize('NFC'));
    }
    return new IgnoreRules(patterns, opts);
  }

  /** Read `<root>/.SyncIgnore`; a missing file means only the built-in rules. */
  static async load(root: string, opts: IgnoreOptions = {}): Promise<IgnoreRules> {
    const file = path.join(root, IGNORE_FILE);
    let text = '';
    try {
      const st = await fsp.stat(file);
      if (st.size > MAX_IGNORE_FILE) throw new ShoalError('BAD_CONFIG', `${file} is larger than 1 MiB`);
      text = await fsp.readFile(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') {
        if (err instanceof ShoalError) throw err;
        throw new ShoalError('IO_ERROR', `Cannot read ${file}: ${code ?? String(err)}`, { cause: err });
      }
    }
    return IgnoreRules.parse(text, opts);
  }

  /** Same rules (e.g. a reload that found the file unchanged)? */
  sameAs(other: IgnoreRules): boolean {
    return this.signature === other.signature;
  }

  /**
   * Is this folder-relative wire path (`a/b/c`, NFC) ignored? True also for anything below
   * an ignored folder, so callers may ask about any path without walking its parents.
   */
  matches(relPath: string, isDir: boolean): boolean {
    if (isInternalPath(relPath)) return true;
    const segs = relPath.split('/');
    if (ROOT_PRIVATE.has(segs[0]!)) return true;
    const last = segs.length - 1;
    for (let i = 0; i <= last; i++) {
      const segIsDir = i < last || isDir;
      if (this.name?.test(segs[i]!)) return true;
      if (segIsDir && this.nameDirOnly?.test(segs[i]!)) return true;
    }
    for (const a of this.anchored) {
      if (a.depth > segs.length) continue;
      if (a.dirOnly && !(a.depth < segs.length || isDir)) continue;
      const prefix = a.depth === segs.length ? relPath : segs.slice(0, a.depth).join('/');
      if (a.re.test(prefix)) return true;
    }
    return false;
  }
}

/** `*` and `?` stay within one path segment; everything else is literal. */
function globToRegex(glob: string): string {
  let out = '';
  for (const ch of glob) {
    if (ch === '*') out += '[^/]*';
    else if (ch === '?') out += '[^/]';
    else out += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return out;
}

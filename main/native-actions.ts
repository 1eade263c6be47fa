import fs from 'node:fs';
import path from 'node:path';
import type { ErrorData } from '../engine/api/error-data.js';
import type { NativeReply } from './ipc-channels.js';

/**
 * The native actions behind `window.shoal.native`, with every argument from the renderer
 * checked: a compromised or buggy page gets `{ ok: false, error }` for anything but a
 * string of sane length, an absolute path, and, for openPath, a folder Shoal syncs or its
 * .SyncArchive (opening a file could run it; opening arbitrary paths is not the page's
 * business). Electron stays behind a small facade (main/electron/ipc.ts provides it).
 */

export interface NativeFacade {
  /** shell.openPath: '' on success, else an error message. */
  openPath(p: string): Promise<string>;
  /** dialog.showOpenDialog for one directory. */
  pickDirectory(): Promise<{ canceled: boolean; filePaths: string[] }>;
  /** clipboard.writeText. */
  writeText(text: string): void;
  /** The folders Shoal syncs right now (their `dir`). */
  syncedFolders(): Promise<readonly string[]>;
  /** Path flavour of the platform (tests pass path.win32 to check Windows rules). */
  path?: path.PlatformPath;
  /** fs.realpathSync.native / fs.statSync, injectable for tests. */
  realpath?(p: string): string;
  isDirectory?(p: string): boolean;
}

export const MAX_PATH_CHARS = 4096;
export const MAX_COPY_CHARS = 64 * 1024;

export interface NativeHandlers {
  openPath(...args: unknown[]): Promise<NativeReply<null>>;
  pickFolder(...args: unknown[]): Promise<NativeReply<string | null>>;
  copyText(...args: unknown[]): Promise<NativeReply<null>>;
}

const fail = (code: ErrorData['code'], message: string): { ok: false; error: ErrorData } => ({ ok: false, error: { code, message } });

export function createNativeHandlers(f: NativeFacade): NativeHandlers {
  const p = f.path ?? path;
  const realpath = f.realpath ?? ((x: string) => fs.realpathSync.native(x));
  const isDirectory =
    f.isDirectory ??
    ((x: string) => {
      try {
        return fs.statSync(x).isDirectory();
      } catch {
        return false;
      }
    });
  const real = (x: string): string | null => {
    try {
      return realpath(x);
    } catch {
      return null;
    }
  };

  return {
    async openPath(...args) {
      const checked = checkPathArg(args, p);
      if (!checked.ok) return checked;
      const target = checked.value;
      const targetReal = real(target);
      if (!targetReal || !isDirectory(targetReal)) return fail('FOLDER_PATH_MISSING', `The folder ${target} does not exist.`);
      const folders = await f.syncedFolders();
      const allowed = folders.some((dir) => {
        const roots = [p.resolve(dir), p.join(p.resolve(dir), '.SyncArchive')];
        return roots.some((r) => samePath(r, target, p) || samePath(real(r) ?? '', targetReal, p));
      });
      if (!allowed) return fail('BAD_PATH', 'Only folders Shoal syncs (or their .SyncArchive) can be opened.');
      const err = await f.openPath(targetReal);
      if (err) return fail('IO_ERROR', `Could not open ${target}: ${err}`);
      return { ok: true, value: null };
    },

    async pickFolder(...args) {
      if (args.length !== 0) return fail('BAD_REQUEST', 'pickFolder takes no arguments.');
      const r = await f.pickDirectory();
      const chosen = r.filePaths[0];
      if (r.canceled || typeof chosen !== 'string') return { ok: true, value: null };
      return { ok: true, value: chosen };
    },

    async copyText(...args) {
      if (args.length !== 1 || typeof args[0] !== 'string') return fail('BAD_REQUEST', 'copyText needs one string.');
      const text = args[0];
      if (text.length > MAX_COPY_CHARS) return fail('BAD_REQUEST', `copyText: at most ${MAX_COPY_CHARS} characters.`);
      f.writeText(text);
      return { ok: true, value: null };
    },
  };
}

/** One absolute, normalised path argument, or the error to send back. */
export function checkPathArg(args: readonly unknown[], p: path.PlatformPath = path): NativeReply<string> & ({ ok: true; value: string } | { ok: false; error: ErrorData }) {
  if (args.length !== 1) return fail('BAD_REQUEST', 'Expected exactly one path.');
  const v = args[0];
  if (typeof v !== 'string' || v.length === 0) return fail('BAD_PATH', 'The path must be a non-empty string.');
  if (v.length > MAX_PATH_CHARS) return fail('BAD_PATH', `The path is longer than ${MAX_PATH_CHARS} characters.`);
  if (v.includes('\0')) return fail('BAD_PATH', 'The path contains a NUL character.');
  if (!p.isAbsolute(v)) return fail('BAD_PATH', 'The path must be absolute.');
  if (p === path.win32 && /^[\\/]{2}/.test(v)) return fail('BAD_PATH', 'Network (UNC) paths cannot be opened from here.');
  return { ok: true, value: p.resolve(v) };
}

function samePath(a: string, b: string, p: path.PlatformPath): boolean {
  if (!a || !b) return false;
  const na = p.resolve(a);
  const nb = p.resolve(b);
  // Windows and (by default) macOS file systems ignore case.
  return p === path.win32 || process.platform === 'darwin' ? na.toLowerCase() === nb.toLowerCase() : na === nb;
}

import { lstatSync, promises as fsp, type Stats } from 'node:fs';
import { syncIo } from '../util/sync-io.js';
import type { ErrorCode } from '../errors.js';
import type { ChunkRef, EntryKind } from '../model/record.js';
import type { PartialHit } from '../model/host.js';
import { fsError, hashFile, type HashOptions, type HashResult } from './hasher.js';

/** What the scanner found at one path, in the units stored and sent. */
export interface ScanEntry {
  /** Wire form: folder-relative, '/'-separated, NFC. */
  path: string;
  kind: EntryKind;
  /** Bytes for files, 0 for folders. */
  size: number;
  /** Integer milliseconds (floor of the OS value). */
  mtimeMs: number;
  /** Permission bits (mode & 0o7777). */
  mode: number;
  ino: number;
}

/** The local stat the index remembers for a path, to skip rehashing unchanged files. */
export interface LocalStat {
  size: number;
  mtimeMs: number;
  ino: number;
}

export interface PreviousStat extends LocalStat {
  /** When known: a path that changed kind is always reported changed. */
  kind?: EntryKind;
}

/**
 * `unchanged`: content is as the index knows it (no rehash). Permissions may still have
 * changed: compare entry.mode with the record. Folders are `unchanged` whenever the index
 * knows them at the same inode (their size and mtime say nothing useful for sync).
 * `changed`: new or modified; files come with freshly computed chunks (folders with none).
 */
export type ScanResult =
  | { status: 'unchanged'; entry: ScanEntry }
  | { status: 'changed'; entry: ScanEntry; chunks: ChunkRef[] };

export interface ScanWarning {
  path: string;
  code: ErrorCode;
  message: string;
}

/** Injectable so tests can count hashes and the engine can route hashing elsewhere. */
export type FileHasher = (absPath: string, opts: HashOptions) => Promise<HashResult>;

export const defaultHasher: FileHasher = hashFile;

export function entryFromStats(wire: string, kind: EntryKind, st: Stats): ScanEntry {
  return {
    path: wire,
    kind,
    size: kind === 'file' ? st.size : 0,
    mtimeMs: Math.floor(st.mtimeMs),
    mode: st.mode & 0o7777,
    ino: st.ino,
  };
}

export function isUnchanged(entry: ScanEntry, prev: PreviousStat | undefined): boolean {
  if (!prev || (prev.kind !== undefined && prev.kind !== entry.kind)) return false;
  if (entry.kind === 'dir') return prev.ino === entry.ino;
  return prev.size === entry.size && prev.mtimeMs === entry.mtimeMs && prev.ino === entry.ino;
}

export function entryFromHash(wire: string, h: HashResult): ScanEntry {
  return { path: wire, kind: 'file', size: h.size, mtimeMs: h.mtimeMs, mode: h.mode, ino: h.ino };
}

/**
 * lstat, with null for "not there"; other failures (permissions...) throw: unreadable is
 * not gone. Synchronous while the file system answers fast (util/sync-io.ts).
 */
export async function lstatIfExists(abs: string): Promise<Stats | null> {
  try {
    if (!syncIo.allowed) return await fsp.lstat(abs);
    const t0 = performance.now();
    try {
      return lstatSync(abs, { throwIfNoEntry: false }) ?? null;
    } finally {
      syncIo.took(t0);
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw fsError(err, abs);
  }
}

/** The hasher's onPartial for one path, when the caller listens (see HashOptions.onPartial). */
export function partialFor(wire: string, onPartial: ((p: PartialHit) => void) | undefined): HashOptions['onPartial'] {
  if (!onPartial) return undefined;
  return (chunks, bytes, st) => onPartial({ path: wire, chunks, bytes, fileSize: st.size, mtimeMs: Math.floor(st.mtimeMs), mode: st.mode & 0o7777 });
}

import sodium from 'sodium-native';
import { ShoalError } from '../errors.js';
import { Reader, Writer } from '../util/codec.js';
import { checkRelPath } from './paths.js';
import { HASH_BYTES, type ChunkRef } from './chunk-ref.js';
import type { VersionVector } from './version.js';

export { HASH_BYTES, type ChunkRef };

/**
 * One entry of a folder's index: what a path should contain, at which version, signed
 * with the folder's key so that only holders of the read-write secret can make changes
 * that other devices accept.
 */
export type EntryKind = 'file' | 'dir';

export interface FileRecord {
  /** Folder-relative, '/'-separated, NFC (see paths.ts). */
  path: string;
  kind: EntryKind;
  size: number;
  /** Integer milliseconds since the epoch. */
  mtimeMs: number;
  /** Permission bits; only the executable bits are applied across systems. */
  mode: number;
  /** Content chunks in file order; offsets are the running sum of sizes. */
  chunks: ChunkRef[];
  deleted: boolean;
  version: VersionVector;
  /** When the change was made (ms); the later change wins a conflict. */
  changedAt: number;
  /** Device id that made this change. */
  origin: string;
  /** Ed25519 signature by the folder key over everything above (64 bytes). */
  sig: Buffer;
  /**
   * A preview: the first chunks of a big file still being hashed by its origin, so peers
   * can start downloading them (into the temp file, never into place). Its final record
   * follows with the same prefix of chunks. Signed like any record (the flag included).
   */
  preview?: boolean;
}

export const SIG_BYTES = 64;
/** Absurd-size guards for untrusted records. */
export const MAX_FILE_SIZE = 2 ** 50; // 1 PiB
export const MAX_CHUNKS = 2 ** 22;
export const MAX_CHUNK_SIZE = 8 * 1024 * 1024;
const MAX_VERSION_ENTRIES = 4096;
const MAX_DEVICE_ID = 64;

const KIND_CODES: Record<EntryKind, number> = { file: 0, dir: 1 };

/**
 * Record format bytes: 1 a record, 2 a preview (the flag is part of what is signed); on the
 * wire only, 3 and 4 are the same with the chunk list as a ChunkSplice.
 */
const FORMAT_RECORD = 1;
const FORMAT_PREVIEW = 2;
const FORMAT_RECORD_SPLICE = 3;
const FORMAT_PREVIEW_SPLICE = 4;

/**
 * A chunk list on the wire as a change to the last one sent for that path on that connection
 * (protocol/chunk-splice.ts): keep the first `head` and last `tail` chunks, `mid` between.
 */
export interface ChunkSplice {
  head: number;
  tail: number;
  mid: ChunkRef[];
}

function writeHeader(w: Writer, r: FileRecord, format: number): void {
  w.u8(format);
  w.str(r.path);
  w.u8(KIND_CODES[r.kind]);
  w.uint(r.size);
  w.int(r.mtimeMs);
  w.uint(r.mode);
  w.bool(r.deleted);
  w.uint(r.changedAt);
  w.str(r.origin);
  w.uint(r.version.length);
  for (const [id, c] of r.version) w.str(id).uint(c);
}

function writeChunks(w: Writer, chunks: readonly ChunkRef[]): void {
  w.uint(chunks.length);
  for (const c of chunks) w.raw(c.hash).uint(c.size);
}

function writeBody(w: Writer, r: FileRecord): void {
  writeHeader(w, r, r.preview ? FORMAT_PREVIEW : FORMAT_RECORD);
  writeChunks(w, r.chunks);
}

/** A record as stored and sent; with a splice, its chunk list as that change (wire only). */
export function writeRecord(w: Writer, r: FileRecord, splice?: ChunkSplice | null): void {
  if (splice) {
    writeHeader(w, r, r.preview ? FORMAT_PREVIEW_SPLICE : FORMAT_RECORD_SPLICE);
    w.uint(splice.head).uint(splice.tail);
    writeChunks(w, splice.mid);
  } else writeBody(w, r);
  w.raw(r.sig);
}

export function encodeRecord(r: FileRecord): Buffer {
  return encodeWireRecord(r, null);
}

/** encodeRecord, or with its chunk list as a splice (readWireRecord reads both). */
export function encodeWireRecord(r: FileRecord, splice: ChunkSplice | null | undefined): Buffer {
  const w = new Writer(64 + r.path.length + (splice ? splice.mid.length : r.chunks.length) * 36);
  writeRecord(w, r, splice);
  return w.finish();
}

/** Read and validate one stored record from untrusted bytes (signature is checked separately). */
export function readRecord(rd: Reader): FileRecord {
  const { record, splice } = readWireRecord(rd);
  if (splice) throw new ShoalError('PROTOCOL_ERROR', 'A chunk list change is not a record');
  return record;
}

function readChunks(rd: Reader): { chunks: ChunkRef[]; total: number } {
  const nc = rd.uint();
  if (nc > MAX_CHUNKS) throw new ShoalError('PROTOCOL_ERROR', 'Too many chunks');
  const chunks: ChunkRef[] = new Array(nc);
  let total = 0;
  for (let i = 0; i < nc; i++) {
    const hash = Buffer.from(rd.raw(HASH_BYTES));
    const csize = rd.uint();
    if (csize === 0 || csize > MAX_CHUNK_SIZE) throw new ShoalError('PROTOCOL_ERROR', 'Bad chunk size');
    total += csize;
    chunks[i] = { hash, size: csize };
  }
  return { chunks, total };
}

/**
 * Read and validate one record as a peer sent it: with a splice, its `chunks` are empty
 * until the receiving link applies the splice (ChunkLists.incoming), which also checks
 * that their sizes add up to the file size.
 */
export function readWireRecord(rd: Reader): { record: FileRecord; splice: ChunkSplice | null } {
  const format = rd.u8();
  if (format < FORMAT_RECORD || format > FORMAT_PREVIEW_SPLICE) throw new ShoalError('PROTOCOL_ERROR', `Unknown record format ${format}`);
  const spliced = format === FORMAT_RECORD_SPLICE || format === FORMAT_PREVIEW_SPLICE;
  const preview = format === FORMAT_PREVIEW || format === FORMAT_PREVIEW_SPLICE;
  const path = checkRelPath(rd.str(4096));
  const kindCode = rd.u8();
  const kind: EntryKind | undefined = kindCode === 0 ? 'file' : kindCode === 1 ? 'dir' : undefined;
  if (!kind) throw new ShoalError('PROTOCOL_ERROR', 'Unknown entry kind');
  const size = rd.uint();
  if (size > MAX_FILE_SIZE) throw new ShoalError('PROTOCOL_ERROR', 'File size is absurd');
  const mtimeMs = rd.int();
  const mode = rd.uint() & 0o7777;
  const deleted = rd.bool();
  const changedAt = rd.uint();
  const origin = rd.str(MAX_DEVICE_ID);
  const nv = rd.uint();
  if (nv > MAX_VERSION_ENTRIES) throw new ShoalError('PROTOCOL_ERROR', 'Version vector is too long');
  const version: Array<[string, number]> = [];
  for (let i = 0; i < nv; i++) version.push([rd.str(MAX_DEVICE_ID), rd.uint()]);
  let splice: ChunkSplice | null = null;
  let chunks: ChunkRef[] = [];
  if (spliced) {
    if (kind !== 'file' || deleted) throw new ShoalError('PROTOCOL_ERROR', 'Only a file has a chunk list to change');
    const head = rd.uint();
    const tail = rd.uint();
    if (head > MAX_CHUNKS || tail > MAX_CHUNKS) throw new ShoalError('PROTOCOL_ERROR', 'Too many chunks');
    splice = { head, tail, mid: readChunks(rd).chunks };
  } else {
    const read = readChunks(rd);
    chunks = read.chunks;
    if (kind === 'file' && !deleted && read.total !== size) {
      throw new ShoalError('PROTOCOL_ERROR', 'Chunk sizes do not add up to the file size');
    }
    if ((kind === 'dir' || deleted) && chunks.length !== 0) throw new ShoalError('PROTOCOL_ERROR', 'Directories and deletions have no chunks');
  }
  const sig = Buffer.from(rd.raw(SIG_BYTES));
  if (preview) {
    if (kind !== 'file' || deleted) throw new ShoalError('PROTOCOL_ERROR', 'A preview is of a file being indexed');
    return { record: { path, kind, size, mtimeMs, mode, chunks, deleted, version, changedAt, origin, sig, preview: true }, splice };
  }
  return { record: { path, kind, size, mtimeMs, mode, chunks, deleted, version, changedAt, origin, sig }, splice };
}

export function decodeRecord(buf: Buffer): FileRecord {
  const rd = new Reader(buf);
  const r = readRecord(rd);
  rd.end();
  return r;
}

/** The bytes a record's signature covers: a tag, the folder id and the record without its signature. */
export function signedBytes(folderId: Buffer, r: FileRecord): Buffer {
  const w = new Writer(128 + r.chunks.length * 36);
  w.raw(Buffer.from('shoal/record/v1')).raw(folderId);
  writeBody(w, r);
  return w.view();
}

/** Sign a new record with the folder's Ed25519 secret key. */
export function signRecord(folderId: Buffer, signingKey: Buffer, r: Omit<FileRecord, 'sig'>): FileRecord {
  const rec = { ...r, sig: Buffer.alloc(SIG_BYTES) } as FileRecord;
  sodium.crypto_sign_detached(rec.sig, signedBytes(folderId, rec), signingKey);
  return rec;
}

/**
 * The signature of a local record that has not been signed yet. This device's own records
 * are signed when they are first sent (model/announcer.ts): a signature proves the change
 * to peers, and indexing a folder nobody else is connected to yet (adding it, a restart)
 * then costs no signing at all. Never written to; stored as 64 zero bytes.
 */
export const UNSIGNED: Buffer = Buffer.alloc(SIG_BYTES);

export function isSigned(r: FileRecord): boolean {
  return r.sig !== UNSIGNED && !r.sig.equals(UNSIGNED);
}

/** Give an unsigned record its signature (into `sig`, a fresh 64-byte buffer the record keeps). */
export function signInPlace(folderId: Buffer, signingKey: Buffer, r: FileRecord, sig: Buffer): void {
  sodium.crypto_sign_detached(sig, signedBytes(folderId, r), signingKey);
  r.sig = sig;
}

export function verifyRecord(folderId: Buffer, publicKey: Buffer, r: FileRecord): boolean {
  if (r.sig.length !== SIG_BYTES) return false;
  return sodium.crypto_sign_verify_detached(r.sig, signedBytes(folderId, r), publicKey);
}

/** Same content (ignoring version, signature and origin)? */
export function sameContent(a: FileRecord, b: FileRecord): boolean {
  if (a.kind !== b.kind || a.deleted !== b.deleted || a.size !== b.size) return false;
  if ((a.mode & 0o111) !== (b.mode & 0o111)) return false;
  if (a.chunks.length !== b.chunks.length) return false;
  for (let i = 0; i < a.chunks.length; i++) {
    if (a.chunks[i]!.size !== b.chunks[i]!.size || !a.chunks[i]!.hash.equals(b.chunks[i]!.hash)) return false;
  }
  return true;
}

/**
 * Exactly the same record, signature included (field by field; signed bytes are a pure
 * function of these fields, so an identical record needs no second signature check).
 */
export function sameRecord(a: FileRecord, b: FileRecord): boolean {
  if (a === b) return true;
  if (!!a.preview !== !!b.preview) return false;
  if (a.path !== b.path || a.kind !== b.kind || a.size !== b.size || a.mtimeMs !== b.mtimeMs || a.mode !== b.mode) return false;
  if (a.deleted !== b.deleted || a.changedAt !== b.changedAt || a.origin !== b.origin || !a.sig.equals(b.sig)) return false;
  if (a.version.length !== b.version.length || a.chunks.length !== b.chunks.length) return false;
  for (let i = 0; i < a.version.length; i++) {
    const x = a.version[i]!;
    const y = b.version[i]!;
    if (x[0] !== y[0] || x[1] !== y[1]) return false;
  }
  for (let i = 0; i < a.chunks.length; i++) {
    if (a.chunks[i]!.size !== b.chunks[i]!.size || !a.chunks[i]!.hash.equals(b.chunks[i]!.hash)) return false;
  }
  return true;
}

/**
 * Does `longer` begin with exactly the chunks of `shorter` (same hashes and sizes, so the
 * same bytes at the same offsets)? How a final record takes over the download its
 * preview started, and a longer preview a shorter one's.
 */
export function extendsRecord(longer: FileRecord, shorter: FileRecord): boolean {
  if (longer.path !== shorter.path || longer.kind !== 'file' || longer.deleted) return false;
  if (longer.chunks.length < shorter.chunks.length) return false;
  for (let i = 0; i < shorter.chunks.length; i++) {
    const a = longer.chunks[i]!;
    const b = shorter.chunks[i]!;
    if (a.size !== b.size || !a.hash.equals(b.hash)) return false;
  }
  return true;
}

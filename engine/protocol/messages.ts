import type { ErrorCode } from '../errors.js';
import { ShoalError } from '../errors.js';
import { checkRelPath } from '../model/paths.js';
import { HASH_BYTES, MAX_FILE_SIZE, encodeWireRecord, readWireRecord, type ChunkSplice, type FileRecord } from '../model/record.js';
import { Reader, Writer } from '../util/codec.js';
import { MAX_DATA, MAX_FRAME, MAX_INDEX_RECORDS } from './types.js';

/**
 * The peer messages and their binary form: first byte = type, then the fields with the
 * codec of util/codec.ts. Every length and count is bounded; the decoder checks bounds
 * before allocating and rejects unknown types and trailing bytes (PROTOCOL_ERROR).
 */
export interface HelloMsg {
  type: 'hello';
  protocolVersion: number;
  deviceId: string;
  deviceName: string;
  /** Sender's clock when sending (ms since the epoch), for the engine's clock-skew check. */
  nowMs: number;
  /** TCP port the sender accepts connections on (0 = none). */
  listenPort: number;
  /** Sender accepts unencrypted (still authenticated) frames on a LAN. */
  plainLan: boolean;
  /**
   * Sender takes bulk frames encrypted with AES-256-CTR (bulk-cipher.ts). Appended after
   * protocol 3's first hello; absent (false) from peers that predate it.
   */
  bulkAes?: boolean;
  /**
   * Sender takes requests for runs of adjacent chunks (RequestMsg.count > 1). Appended after
   * bulkAes; absent (false) from peers that predate it.
   */
  chunkRuns?: boolean;
}
export interface JoinMsg { type: 'join'; folderId: Buffer; proof: Buffer }
export interface RefuseMsg { type: 'refuse'; folderId: Buffer; code: ErrorCode; message: string }
export interface IndexMsg {
  type: 'index';
  folderId: Buffer;
  records: FileRecord[];
  /** The initial full index has now been sent. */
  complete: boolean;
  /**
   * Per record, its chunk list as a change to the last one sent for that path on this
   * connection (protocol/chunk-splice.ts), or null: sent whole. Absent: all whole. A
   * received record with a splice has empty `chunks` until the link applies it.
   */
  splices?: Array<ChunkSplice | null>;
}
/**
 * A request for `count` adjacent chunks of a file (1 unless the peer said chunkRuns):
 * `offset` is the first one's, `size` their total, `hash` their hashes one after another
 * (count x HASH_BYTES). One `data` message answers it with all their bytes.
 */
export interface RequestMsg {
  type: 'request';
  folderId: Buffer;
  id: number;
  path: string;
  offset: number;
  size: number;
  /** Chunks asked for: 1 when absent. */
  count?: number;
  hash: Buffer;
}
/**
 * `bytes` is a view of the received frame (no copy), possibly a frame-pool buffer that the
 * receiver releases once the bytes are used (see PeerLink.release).
 */
export interface DataMsg { type: 'data'; id: number; bytes: Buffer }
export interface FailMsg { type: 'fail'; id: number; code: ErrorCode; message: string }
export interface ErrorMsg { type: 'error'; code: ErrorCode; message: string }
export interface PingMsg { type: 'ping' }
export interface PongMsg { type: 'pong' }

export type Message =
  | HelloMsg | JoinMsg | RefuseMsg | IndexMsg | RequestMsg | DataMsg | FailMsg | ErrorMsg | PingMsg | PongMsg;
export type MessageType = Message['type'];

export const TYPE_CODES: Readonly<Record<MessageType, number>> = {
  hello: 1, join: 2, refuse: 3, index: 4, request: 5, data: 6, fail: 7, error: 8, ping: 9, pong: 10,
};

/**
 * The wire code of a request for more than one chunk (a RequestMsg with count > 1), sent
 * only to peers whose hello says chunkRuns; one chunk's request keeps the `request` code.
 */
export const REQUEST_RUN_CODE = 11;
/** Most chunks one request may ask for. */
export const MAX_RUN_CHUNKS = 64;

export const FOLDER_ID_BYTES = 32;
export const PROOF_BYTES = 32;
export const MAX_DEVICE_ID = 64;
export const MAX_DEVICE_NAME = 256;
export const MAX_TEXT = 1024;
const MAX_CODE = 32;
/** Smallest possible encoded record (1-byte path, no chunks, 64-byte signature). */
const MIN_RECORD_BYTES = 76;

/** Runtime set of codes; typed as a full Record so a new ErrorCode must be added here. */
const KNOWN_CODES: Readonly<Record<ErrorCode, true>> = {
  BAD_SECRET: true, BAD_PATH: true, BAD_REQUEST: true, BAD_CONFIG: true, FOLDER_EXISTS: true,
  FOLDER_NOT_FOUND: true, FOLDER_PATH_MISSING: true, FOLDER_READ_ONLY: true, DISK_FULL: true,
  IO_ERROR: true, HASH_MISMATCH: true, PROTOCOL_ERROR: true, FRAME_TOO_LARGE: true,
  HANDSHAKE_FAILED: true, AUTH_FAILED: true, BAD_SIGNATURE: true, CLOCK_SKEW: true, PEER_GONE: true,
  TIMEOUT: true, UNAUTHORIZED: true, FORBIDDEN_ORIGIN: true, UNKNOWN_METHOD: true, SHUTTING_DOWN: true,
  PAUSED: true, INTERNAL: true,
};

/** Cut a string to at most `max` UTF-8 bytes without splitting a character. */
export function truncateUtf8(s: string, max: number): string {
  const b = Buffer.from(s, 'utf8');
  if (b.length <= max) return s;
  let end = max;
  while (end > 0 && (b[end]! & 0xc0) === 0x80) end--;
  return b.subarray(0, end).toString('utf8');
}

function writeCode(w: Writer, code: ErrorCode): void {
  w.str(Object.hasOwn(KNOWN_CODES, code) ? code : 'INTERNAL');
}

/** A code from a newer peer that we do not know degrades to INTERNAL (message kept). */
function readCode(rd: Reader): ErrorCode {
  const s = rd.str(MAX_CODE);
  return Object.hasOwn(KNOWN_CODES, s) ? (s as ErrorCode) : 'INTERNAL';
}

function fixed(b: Buffer, n: number, what: string): Buffer {
  if (b.length !== n) throw new RangeError(`${what} must be ${n} bytes`);
  return b;
}

/** Header of a `data` message: type + request id (the bytes follow unframed). */
export function dataHeader(id: number): Buffer {
  return new Writer(10).u8(TYPE_CODES.data).uint(id).finish();
}

/**
 * The request id of a `data` message whose header is exactly `prefix` (a bulk frame's
 * authenticated prefix), or -1 when it is not that (the usual decoding then says why).
 */
export function dataIdOf(prefix: Buffer): number {
  if (prefix.length < 2 || prefix[0] !== TYPE_CODES.data) return -1;
  let id = 0;
  let mul = 1;
  for (let i = 1; i < prefix.length && i <= 5; i++) {
    const b = prefix[i]!;
    id += (b & 0x7f) * mul;
    if (b < 0x80) return i === prefix.length - 1 ? id : -1;
    mul *= 0x80;
  }
  return -1;
}

/** Encode any message except `data` (use dataHeader + the bytes, no copy). */
export function encodeMessage(m: Message): Buffer {
  const w = new Writer(m.type === 'index' ? 4096 : 64);
  w.u8(m.type === 'request' && (m.count ?? 1) > 1 ? REQUEST_RUN_CODE : TYPE_CODES[m.type]);
  switch (m.type) {
    case 'hello':
      w.uint(m.protocolVersion).str(truncateUtf8(m.deviceId, MAX_DEVICE_ID)).str(truncateUtf8(m.deviceName, MAX_DEVICE_NAME));
      w.uint(m.nowMs).uint(m.listenPort).bool(m.plainLan).bool(m.bulkAes === true).bool(m.chunkRuns === true);
      break;
    case 'join':
      w.raw(fixed(m.folderId, FOLDER_ID_BYTES, 'folderId')).raw(fixed(m.proof, PROOF_BYTES, 'proof'));
      break;
    case 'refuse':
      w.raw(fixed(m.folderId, FOLDER_ID_BYTES, 'folderId'));
      writeCode(w, m.code);
      w.str(truncateUtf8(m.message, MAX_TEXT));
      break;
    case 'index':
      if (m.records.length > MAX_INDEX_RECORDS) throw new RangeError('Too many records for one index message; use splitIndex');
      w.raw(fixed(m.folderId, FOLDER_ID_BYTES, 'folderId')).bool(m.complete).uint(m.records.length);
      m.records.forEach((r, i) => w.raw(encodeWireRecord(r, m.splices?.[i])));
      break;
    case 'request': {
      const count = m.count ?? 1;
      if (!Number.isInteger(count) || count < 1 || count > MAX_RUN_CHUNKS) throw new RangeError(`Request count must be 1..${MAX_RUN_CHUNKS}`);
      if (m.size < count || m.size > MAX_DATA) throw new RangeError(`Request size must be ${count}..${MAX_DATA}`);
      w.raw(fixed(m.folderId, FOLDER_ID_BYTES, 'folderId')).uint(m.id).str(checkRelPath(m.path));
      w.uint(m.offset).uint(m.size);
      if (count > 1) w.uint(count);
      w.raw(fixed(m.hash, HASH_BYTES * count, 'hash'));
      break;
    }
    case 'data':
      if (m.bytes.length > MAX_DATA) throw new RangeError(`Data of ${m.bytes.length} bytes exceeds ${MAX_DATA}`);
      w.uint(m.id).raw(m.bytes);
      break;
    case 'fail':
      w.uint(m.id);
      writeCode(w, m.code);
      w.str(truncateUtf8(m.message, MAX_TEXT));
      break;
    case 'error':
      writeCode(w, m.code);
      w.str(truncateUtf8(m.message, MAX_TEXT));
      break;
    case 'ping':
    case 'pong':
      break;
  }
  if (w.length > MAX_FRAME) throw new ShoalError('FRAME_TOO_LARGE', `A ${m.type} message of ${w.length} bytes does not fit in a frame`);
  return w.finish();
}

/**
 * A copy of a few bytes of a payload. Every message but `data` is decoded into values
 * that own their memory, so the frame buffer can be reused as soon as it is handled.
 */
function own(b: Buffer): Buffer {
  return Buffer.from(b);
}

/** Decode one frame payload from a peer. Throws PROTOCOL_ERROR (or BAD_PATH) on anything off. */
export function decodeMessage(payload: Buffer): Message {
  const rd = new Reader(payload);
  const code = rd.u8();
  let m: Message;
  switch (code) {
    case TYPE_CODES.hello: {
      const protocolVersion = rd.uint();
      const deviceId = rd.str(MAX_DEVICE_ID);
      const deviceName = rd.str(MAX_DEVICE_NAME);
      const nowMs = rd.uint();
      const listenPort = rd.uint();
      if (listenPort > 65535) throw new ShoalError('PROTOCOL_ERROR', 'Bad listen port');
      const plainLan = rd.bool();
      const bulkAes = rd.remaining > 0 ? rd.bool() : false;
      const chunkRuns = rd.remaining > 0 ? rd.bool() : false;
      // Later versions may append fields to hello; it is the one message that tolerates them.
      return { type: 'hello', protocolVersion, deviceId, deviceName, nowMs, listenPort, plainLan, bulkAes, chunkRuns };
    }
    case TYPE_CODES.join:
      m = { type: 'join', folderId: own(rd.raw(FOLDER_ID_BYTES)), proof: own(rd.raw(PROOF_BYTES)) };
      break;
    case TYPE_CODES.refuse:
      m = { type: 'refuse', folderId: own(rd.raw(FOLDER_ID_BYTES)), code: readCode(rd), message: rd.str(MAX_TEXT) };
      break;
    case TYPE_CODES.index: {
      const folderId = own(rd.raw(FOLDER_ID_BYTES));
      const complete = rd.bool();
      const n = rd.uint();
      if (n > MAX_INDEX_RECORDS || n * MIN_RECORD_BYTES > rd.remaining) {
        throw new ShoalError('PROTOCOL_ERROR', `Index message claims ${n} records`);
      }
      const records: FileRecord[] = [];
      const splices: Array<ChunkSplice | null> = [];
      for (let i = 0; i < n; i++) {
        const { record, splice } = readWireRecord(rd);
        records.push(record);
        splices.push(splice);
      }
      m = splices.some((x) => x !== null) ? { type: 'index', folderId, records, complete, splices } : { type: 'index', folderId, records, complete };
      break;
    }
    case TYPE_CODES.request:
    case REQUEST_RUN_CODE: {
      const folderId = own(rd.raw(FOLDER_ID_BYTES));
      const id = rd.uint();
      const path = checkRelPath(rd.str(4096));
      const offset = rd.uint();
      const size = rd.uint();
      const count = code === REQUEST_RUN_CODE ? rd.uint() : 1;
      if (count < 1 || count > MAX_RUN_CHUNKS || (code === REQUEST_RUN_CODE && count < 2)) {
        throw new ShoalError('PROTOCOL_ERROR', `Bad request count ${count}`);
      }
      if (offset > MAX_FILE_SIZE || size < count || size > MAX_DATA) throw new ShoalError('PROTOCOL_ERROR', 'Bad request range');
      m = { type: 'request', folderId, id, path, offset, size, count, hash: own(rd.raw(HASH_BYTES * count)) };
      break;
    }
    case TYPE_CODES.data: {
      const id = rd.uint();
      if (rd.remaining > MAX_DATA) throw new ShoalError('PROTOCOL_ERROR', 'Data message too large');
      return { type: 'data', id, bytes: rd.raw(rd.remaining) };
    }
    case TYPE_CODES.fail:
      m = { type: 'fail', id: rd.uint(), code: readCode(rd), message: rd.str(MAX_TEXT) };
      break;
    case TYPE_CODES.error:
      m = { type: 'error', code: readCode(rd), message: rd.str(MAX_TEXT) };
      break;
    case TYPE_CODES.ping:
      m = { type: 'ping' };
      break;
    case TYPE_CODES.pong:
      m = { type: 'pong' };
      break;
    default:
      throw new ShoalError('PROTOCOL_ERROR', `Unknown message type ${code}`);
  }
  rd.end();
  return m;
}

/**
 * Encode an index as as many `index` messages as needed: at most MAX_INDEX_RECORDS
 * records and one frame each; only the last carries `complete`. A single record too big
 * for a frame (a file of millions of chunks) throws FRAME_TOO_LARGE.
 */
export function encodeIndex(
  folderId: Buffer,
  records: readonly FileRecord[],
  complete: boolean,
  splices?: ReadonlyArray<ChunkSplice | null>,
): Buffer[] {
  fixed(folderId, FOLDER_ID_BYTES, 'folderId');
  const HEAD = 1 + FOLDER_ID_BYTES + 1 + 5;
  const out: Buffer[] = [];
  let batch: Buffer[] = [];
  let size = HEAD;
  const flush = (last: boolean): void => {
    const w = new Writer(size);
    w.u8(TYPE_CODES.index).raw(folderId).bool(last && complete).uint(batch.length);
    for (const b of batch) w.raw(b);
    out.push(w.finish());
    batch = [];
    size = HEAD;
  };
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const enc = encodeWireRecord(r, splices?.[i]);
    if (HEAD + enc.length > MAX_FRAME) {
      throw new ShoalError('FRAME_TOO_LARGE', `The index record of ${r.path} (${enc.length} bytes) does not fit in a frame`);
    }
    if (batch.length === MAX_INDEX_RECORDS || size + enc.length > MAX_FRAME) flush(false);
    batch.push(enc);
    size += enc.length;
  }
  flush(true); // the last batch is never empty unless there were no records at all
  return out;
}

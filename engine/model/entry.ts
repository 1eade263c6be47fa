import { ShoalError } from '../errors.js';
import { Reader, Writer } from '../util/codec.js';
import { readRecord, sameContent, writeRecord, type FileRecord } from './record.js';
import { compareVersions } from './version.js';

/** What the scanner last saw on disk for a path: enough to skip rehashing when unchanged. */
export interface LocalStat {
  size: number;
  mtimeMs: number;
  ino: number;
}

/**
 * One path of a folder as this device knows it:
 * - `record`: the accepted (global) state, signed, what every device converges to;
 * - `disk`: the state of the file on this device's disk (=== record when in sync,
 *   an older record while a download is pending, null when nothing is there);
 * - `stat`: what the scanner saw when it last matched `disk`;
 * - `localChanged`: on a read-only folder, the user changed it here (never propagated).
 */
export interface Entry {
  record: FileRecord;
  disk: FileRecord | null;
  stat: LocalStat | null;
  localChanged: boolean;
}

/** True when this device's disk holds exactly the accepted version. */
export function isSynced(e: Entry): boolean {
  if (e.localChanged) return false;
  if (e.record.deleted) return e.disk === null || e.disk.deleted;
  if (!e.disk || e.disk.deleted) return false;
  return e.disk === e.record || (compareVersions(e.disk.version, e.record.version) === 'equal' && sameContent(e.disk, e.record));
}

const DISK_NONE = 0;
const DISK_SAME = 1;
const DISK_OTHER = 2;

export function encodeEntry(e: Entry): Buffer {
  const w = new Writer(128 + e.record.chunks.length * 36);
  w.u8(1);
  writeRecord(w, e.record);
  if (e.disk === null) w.u8(DISK_NONE);
  else if (e.disk === e.record) w.u8(DISK_SAME);
  else {
    w.u8(DISK_OTHER);
    writeRecord(w, e.disk);
  }
  if (e.stat) w.u8(1).uint(e.stat.size).int(e.stat.mtimeMs).uint(e.stat.ino);
  else w.u8(0);
  w.bool(e.localChanged);
  return w.finish();
}

export function decodeEntry(buf: Buffer): Entry {
  const r = new Reader(buf);
  if (r.u8() !== 1) throw new ShoalError('IO_ERROR', 'Unknown stored entry format');
  const record = readRecord(r);
  const diskTag = r.u8();
  const disk = diskTag === DISK_NONE ? null : diskTag === DISK_SAME ? record : readRecord(r);
  const stat = r.u8() === 1 ? { size: r.uint(), mtimeMs: r.int(), ino: r.uint() } : null;
  const localChanged = r.bool();
  return { record, disk, stat, localChanged };
}

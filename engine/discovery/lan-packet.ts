import { FOLDER_ID_BYTES } from './types.js';

/**
 * LAN announce wire format (one UDP datagram, all integers big-endian):
 *
 *   offset  size     field
 *   0       6        magic 'SHOAL1' (the digit is the format version)
 *   6       1        L = device id length, 1..64
 *   7       L        device id, ASCII [A-Za-z0-9_-]
 *   7+L     2        listening port, 1..65535
 *   9+L     1        N = folder id count, 1..MAX_IDS_PER_PACKET
 *   10+L    32*N     folder ids
 *
 * The length must match exactly: anything else is garbage. The largest packet is
 * 10 + 64 + 32*32 = 1098 bytes, under the 1200-byte budget that survives any LAN MTU
 * without fragmentation. More folders than fit go out as several packets.
 */
export const MAGIC = Buffer.from('SHOAL1', 'ascii');
export const MAX_DEVICE_ID = 64;
export const MAX_IDS_PER_PACKET = 32;
export const MAX_PACKET_BYTES = 1200;
const DEVICE_ID_RE = /^[A-Za-z0-9_-]{1,64}$/;

export interface Announce {
  deviceId: string;
  port: number;
  folderIds: Buffer[];
}

export function isValidDeviceId(id: string): boolean {
  return DEVICE_ID_RE.test(id);
}

/** Encode one announce per chunk of MAX_IDS_PER_PACKET folder ids (none if no folders). */
export function encodeAnnounces(deviceId: string, port: number, folderIds: Buffer[]): Buffer[] {
  if (!isValidDeviceId(deviceId)) throw new RangeError(`bad device id for LAN announce: ${deviceId}`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`bad port: ${port}`);
  const out: Buffer[] = [];
  for (let i = 0; i < folderIds.length; i += MAX_IDS_PER_PACKET) {
    const ids = folderIds.slice(i, i + MAX_IDS_PER_PACKET);
    const L = deviceId.length;
    const buf = Buffer.alloc(10 + L + FOLDER_ID_BYTES * ids.length);
    MAGIC.copy(buf, 0);
    buf[6] = L;
    buf.write(deviceId, 7, 'ascii');
    buf.writeUInt16BE(port, 7 + L);
    buf[9 + L] = ids.length;
    ids.forEach((id, k) => {
      if (id.length !== FOLDER_ID_BYTES) throw new RangeError('folder id must be 32 bytes');
      id.copy(buf, 10 + L + k * FOLDER_ID_BYTES);
    });
    out.push(buf);
  }
  return out;
}

/** Strict decode: returns null for anything malformed. Never throws on any input. */
export function decodeAnnounce(msg: Buffer): Announce | null {
  if (!Buffer.isBuffer(msg) || msg.length < 10 + 1 || msg.length > MAX_PACKET_BYTES) return null;
  if (!msg.subarray(0, MAGIC.length).equals(MAGIC)) return null;
  const L = msg[6]!;
  if (L < 1 || L > MAX_DEVICE_ID || msg.length < 10 + L) return null;
  const deviceId = msg.toString('latin1', 7, 7 + L);
  if (!isValidDeviceId(deviceId)) return null;
  const port = msg.readUInt16BE(7 + L);
  if (port === 0) return null;
  const n = msg[9 + L]!;
  if (n < 1 || n > MAX_IDS_PER_PACKET) return null;
  if (msg.length !== 10 + L + FOLDER_ID_BYTES * n) return null;
  const folderIds: Buffer[] = [];
  for (let k = 0; k < n; k++) {
    const start = 10 + L + k * FOLDER_ID_BYTES;
    // Copy: the caller may keep ids long after the datagram buffer is reused.
    folderIds.push(Buffer.from(msg.subarray(start, start + FOLDER_ID_BYTES)));
  }
  return { deviceId, port, folderIds };
}

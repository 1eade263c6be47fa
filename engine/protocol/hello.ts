import { ShoalError } from '../errors.js';
import type { PeerOptions } from './connection-types.js';
import type { HelloMsg } from './messages.js';
import { BULK_AES_AVAILABLE } from './bulk-cipher.js';
import { PROTOCOL_VERSION } from './types.js';

/** The first message each side sends after the handshake: who we are and what we speak. */
export function ourHello(opts: PeerOptions, nowMs: number): HelloMsg {
  return {
    type: 'hello',
    protocolVersion: PROTOCOL_VERSION,
    deviceId: opts.identity.id,
    deviceName: opts.deviceName,
    nowMs: Math.max(0, Math.round(nowMs)),
    listenPort: opts.listenPort,
    plainLan: opts.plainLan,
    bulkAes: takesAesBulk(opts),
    chunkRuns: takesChunkRuns(opts),
  };
}

/** Whether this side asks for and serves runs of adjacent chunks in one request (messages.ts RequestMsg.count). */
export function takesChunkRuns(opts: PeerOptions): boolean {
  return opts.chunkRuns ?? process.env.SHOAL_CHUNK_RUNS !== '0';
}

/** Whether this side takes (and so says it takes) AES bulk frames: where fast here, unless turned off. */
export function takesAesBulk(opts: PeerOptions): boolean {
  return BULK_AES_AVAILABLE && opts.bulkAes !== false;
}

/** Throws PROTOCOL_ERROR, with a reason a user can act on, for a hello we cannot work with. */
export function checkHello(msg: HelloMsg, remoteId: string): void {
  if (msg.deviceId !== remoteId) {
    throw new ShoalError('PROTOCOL_ERROR', 'The peer announced a device id that does not match its key.');
  }
  if (msg.protocolVersion !== PROTOCOL_VERSION) {
    throw new ShoalError(
      'PROTOCOL_ERROR',
      `The peer runs an incompatible version of Shoal (protocol ${msg.protocolVersion}, this device ${PROTOCOL_VERSION}): update both devices.`,
    );
  }
}

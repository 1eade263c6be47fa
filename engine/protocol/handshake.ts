import type net from 'node:net';
import Noise from 'noise-handshake';
import { ShoalError } from '../errors.js';

/**
 * Noise XX over a connected socket: both sides prove possession of their static X25519
 * key (the device identity) and derive fresh session keys (forward secrecy). Each
 * handshake message is `[u16 BE length][message]`. Our payloads are always empty, so the
 * three messages have fixed sizes; anything else is rejected before any crypto runs.
 */
export interface HandshakeResult {
  remoteStaticKey: Buffer;
  /** Unique per session (64 bytes); folder membership proofs are bound to it. */
  handshakeHash: Buffer;
  /** Key for frames we send. */
  txKey: Buffer;
  /** Key for frames we receive. */
  rxKey: Buffer;
  initiator: boolean;
}

export interface HandshakeOptions {
  initiator: boolean;
  /** Raw X25519 key pair (DeviceIdentity has this shape). */
  keyPair: { publicKey: Buffer; secretKey: Buffer };
  /** Default 10 s. */
  timeoutMs?: number;
}

export interface HandshakeOutcome {
  result: HandshakeResult;
  /** Bytes that arrived after the last handshake message (the first frames). */
  rest: Buffer[];
  /** Wire bytes consumed / written by the handshake itself. */
  bytesIn: number;
  bytesOut: number;
}

export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
/** Binds the handshake to this protocol: a peer speaking anything else fails at once. */
const PROLOGUE = Buffer.from('shoal/noise-xx/2');
/** Hard bound on one handshake message, whatever the pattern. */
export const MAX_HANDSHAKE_MESSAGE = 1024;
/** XX with empty payloads: -> e (32); <- e, ee, s, es (32 + 48 + 16); -> s, se (48 + 16). */
const MESSAGE_SIZES = [32, 96, 64] as const;

/**
 * Run the handshake. On success the socket is left paused with no listeners of ours, and
 * any bytes read past the handshake are returned in `rest`. On failure the socket is
 * destroyed and the promise rejects with HANDSHAKE_FAILED.
 */
export function runHandshake(socket: net.Socket, opts: HandshakeOptions): Promise<HandshakeOutcome> {
  const { initiator } = opts;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;

  return new Promise<HandshakeOutcome>((resolve, reject) => {
    let noise: Noise;
    try {
      noise = new Noise('XX', initiator, { publicKey: opts.keyPair.publicKey, secretKey: opts.keyPair.secretKey });
      noise.initialise(PROLOGUE);
    } catch (err) {
      socket.destroy();
      reject(new ShoalError('HANDSHAKE_FAILED', 'The device key cannot be used for a handshake.', { cause: err }));
      return;
    }

    const chunks: Buffer[] = [];
    let buffered = 0;
    let step = 0; // index of the next handshake message (0..2)
    let bytesIn = 0;
    let bytesOut = 0;
    let finished = false;

    const cleanup = (): void => {
      finished = true;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', onError);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
    };

    const fail = (message: string, cause?: unknown): void => {
      if (finished) return;
      cleanup();
      socket.destroy();
      reject(new ShoalError('HANDSHAKE_FAILED', message, cause === undefined ? undefined : { cause }));
    };

    /** Take exactly n buffered bytes (they always fit in a few chunks here). */
    const take = (n: number): Buffer => {
      const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      chunks.length = 0;
      if (all.length > n) chunks.push(all.subarray(n));
      buffered -= n;
      bytesIn += n;
      return all.subarray(0, n);
    };

    const ourTurn = (): boolean => (step % 2 === 0) === initiator;

    const advance = (): void => {
      while (!finished) {
        if (noise.complete) return succeed();
        if (ourTurn()) {
          const msg = noise.send();
          const framed = Buffer.allocUnsafe(2 + msg.length);
          framed.writeUInt16BE(msg.length, 0);
          msg.copy(framed, 2);
          bytesOut += framed.length;
          socket.write(framed);
          step++;
          continue;
        }
        if (buffered < 2) return;
        const head = take(2);
        const len = head.readUInt16BE(0);
        if (len > MAX_HANDSHAKE_MESSAGE || len !== MESSAGE_SIZES[step]) {
          return fail(`Unexpected handshake message (${len} bytes); the peer is not a Shoal device.`);
        }
        if (buffered < len) {
          // Put the length back until the whole message is here.
          chunks.unshift(head);
          buffered += 2;
          bytesIn -= 2;
          return;
        }
        try {
          noise.recv(take(len));
        } catch (err) {
          return fail('The peer failed to authenticate during the handshake.', err);
        }
        step++;
      }
    };

    const succeed = (): void => {
      cleanup();
      // Stop reading until the frame layer takes over, so no byte is lost in between.
      socket.pause();
      const rs = noise.rs;
      if (!noise.tx || !noise.rx || !rs || !noise.hash) return reject(new ShoalError('HANDSHAKE_FAILED', 'Handshake incomplete'));
      resolve({
        result: {
          remoteStaticKey: Buffer.from(rs),
          handshakeHash: Buffer.from(noise.hash),
          txKey: Buffer.from(noise.tx),
          rxKey: Buffer.from(noise.rx),
          initiator,
        },
        rest: chunks.splice(0),
        bytesIn,
        bytesOut,
      });
    };

    function onData(chunk: Buffer): void {
      chunks.push(chunk);
      buffered += chunk.length;
      // We never wait for more than one small message, so this only trips on a bug.
      if (buffered > 1024 * 1024) return fail('The peer sent too much data during the handshake.');
      try {
        advance();
      } catch (err) {
        fail('Handshake error.', err);
      }
    }
    function onError(err: Error): void {
      fail(`Connection error during the handshake: ${(err as NodeJS.ErrnoException).code ?? err.message}`, err);
    }
    function onEnd(): void {
      fail('The peer closed the connection during the handshake.');
    }

    if (socket.destroyed) {
      reject(new ShoalError('HANDSHAKE_FAILED', 'The connection was closed before the handshake.'));
      return;
    }
    const timer = setTimeout(() => fail(`The handshake timed out after ${timeoutMs} ms.`), timeoutMs);
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    socket.resume(); // a 'data' listener alone does not resume an explicitly paused socket
    try {
      advance();
    } catch (err) {
      fail('Handshake error.', err);
    }
  });
}

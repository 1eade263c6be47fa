import type net from 'node:net';
import { ShoalError } from '../errors.js';
import { connectWithTap } from './socket-reads.js';

/**
 * Open a TCP connection with a time bound (reading into a reused buffer, socket-reads.ts).
 * `readableHighWaterMark` is the only receive
 * buffer knob Node offers on a TCP socket (SO_RCVBUF is not settable; the kernel
 * autotunes it): it bounds how much Node buffers while we pause reading.
 */
export function dial(host: string, port: number, timeoutMs: number, readableHighWaterMark?: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = connectWithTap({
      host,
      port,
      noDelay: true,
      ...(readableHighWaterMark ? { readableHighWaterMark } : {}),
    });
    const done = (err: ShoalError | null): void => {
      clearTimeout(timer);
      socket.off('connect', onConnect);
      socket.off('error', onError);
      if (err) {
        socket.destroy();
        reject(err);
      } else resolve(socket);
    };
    const onConnect = (): void => done(null);
    const onError = (err: NodeJS.ErrnoException): void =>
      done(new ShoalError('PEER_GONE', `Cannot connect to ${host}:${port} (${err.code ?? err.message}).`, { cause: err }));
    const timer = setTimeout(
      () => done(new ShoalError('TIMEOUT', `Connecting to ${host}:${port} timed out after ${timeoutMs} ms.`)),
      timeoutMs,
    );
    socket.once('connect', onConnect);
    socket.once('error', onError);
  });
}

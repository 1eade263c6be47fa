/**
 * Physical baselines, measured the same way as the Syncthing anchor: coreutils cp / cp+sync /
 * sha256sum / b2sum as child processes on the page-cache-warm big file, and raw loopback TCP
 * between two processes (here Node `net`, the anchor uses Python sockets).
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fail, now } from './log.js';
import { run } from './proc.js';

export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = now();
  await fn();
  return now() - t0;
}

export const syncDisks = (): Promise<string> => run('sync', []);

export interface CopyTimes {
  cp: number;
  cpSync: number;
  sha256: number;
  b2: number;
}

/** cp, cp+sync, sha256sum, b2sum of `big` (copies go to `scratch` and are removed). */
export async function fileBaselines(big: string, scratch: string): Promise<CopyTimes> {
  const c1 = path.join(scratch, 'copy1');
  const c2 = path.join(scratch, 'copy2');
  const cp = await timed(() => run('cp', [big, c1]));
  const cpSync = await timed(async () => {
    await run('cp', [big, c2]);
    await syncDisks();
  });
  fs.rmSync(c1, { force: true });
  fs.rmSync(c2, { force: true });
  await syncDisks();
  const sha256 = await timed(() => run('sha256sum', [big], { quiet: true }));
  const b2 = await timed(() => run('b2sum', [big], { quiet: true }));
  return { cp, cpSync, sha256, b2 };
}

/**
 * Raw loopback TCP: a forked sender process pushes `bytes` in 1 MiB writes; this process
 * receives into one reused 1 MiB buffer (`onread`, the counterpart of the helper's
 * recv_into). Timed from connect until the last byte arrived.
 */
export async function tcpLoopback(bytes: number, timeoutS: number): Promise<{ bytes: number; secs: number }> {
  const self = fileURLToPath(import.meta.url);
  const sender = path.join(path.dirname(self), `tcp-sender${path.extname(self)}`);
  const child = fork(sender, [String(bytes)], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const childExit = new Promise<void>((r) => child.once('exit', () => r()));
  let timer: NodeJS.Timeout | undefined;
  let sock: net.Socket | undefined;
  try {
    return await new Promise<{ bytes: number; secs: number }>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`tcp baseline: timeout after ${timeoutS} s`)), timeoutS * 1000);
      child.once('exit', (code) => reject(new Error(`tcp sender exited early (code ${code})`)));
      child.once('message', (port) => {
        const buf = Buffer.allocUnsafe(1 << 20);
        let got = 0;
        let t0 = 0;
        sock = net.connect({
          host: '127.0.0.1',
          port: Number(port),
          onread: {
            buffer: buf,
            callback: (n: number): boolean => {
              got += n;
              if (got >= bytes) resolve({ bytes: got, secs: now() - t0 });
              return true;
            },
          },
        });
        sock.once('connect', () => (t0 = now()));
        sock.once('end', () => got < bytes && reject(new Error(`tcp baseline: only ${got} of ${bytes} bytes`)));
        sock.once('error', reject);
      });
    });
  } finally {
    clearTimeout(timer);
    sock?.destroy();
    if ((await Promise.race([childExit.then(() => 'exited'), new Promise((r) => setTimeout(() => r('t'), 5000))])) === 't') {
      child.kill('SIGKILL');
      fail('tcp sender did not exit');
    }
  }
}

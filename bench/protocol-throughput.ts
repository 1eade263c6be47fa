/**
 * Protocol throughput over loopback, sender and receiver in two processes:
 *   node --import tsx bench/protocol-throughput.ts [totalMiB=1024] [frameKiB=256]
 * Pushes `total` bytes of `data` frames from the parent to a forked receiver, once
 * encrypted (ChaCha20 + Poly1305) and once plain (LAN, Poly1305 only), and prints MB/s
 * (1 MB = 10^6 bytes) plus the CPU time each side spent, the receiver's page faults and
 * how many frame buffers each side had to make (the rest were reused).
 * RX_PROF=DIR writes a --cpu-prof profile of the receiver there.
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { framePool } from '../engine/protocol/frame-pool.js';
import { PeerConnection, type PeerOptions } from '../engine/protocol/connection.js';
import { adoptAccepted } from '../engine/protocol/socket-reads.js';
import { generateIdentity } from '../engine/secrets/device.js';

interface Done {
  bytes: number;
  cpuMs: number;
  sysMs: number;
  /** Minor page faults (fresh memory touched) and frame buffers made while receiving. */
  faults: number;
  framesMade: number;
}

function opts(plainLan: boolean): PeerOptions {
  return { identity: generateIdentity(), deviceName: 'bench', listenPort: 0, plainLan, timeoutMs: 10_000 };
}

function cpuMs(u: NodeJS.CpuUsage): number {
  return (u.user + u.system) / 1000;
}

/** Child: accept one connection, count data bytes, report when `total` arrived. */
async function receiver(plain: boolean, total: number): Promise<void> {
  // Accepted as the engine accepts (peer-manager.ts): reads into a reused buffer.
  const server = net.createServer({ pauseOnConnect: true }, async (accepted) => {
    const conn = await PeerConnection.accept(adoptAccepted(accepted), opts(plain));
    const cpu0 = process.cpuUsage();
    const faults0 = process.resourceUsage().minorPageFault;
    let bytes = 0;
    conn.onMessage((m) => {
      if (m.type !== 'data') return;
      bytes += m.bytes.length;
      conn.release(m.bytes);
      if (bytes >= total) {
        const u = process.cpuUsage(cpu0);
        const faults = process.resourceUsage().minorPageFault - faults0;
        const done: Done = { bytes, cpuMs: cpuMs(u), sysMs: u.system / 1000, faults, framesMade: framePool.created };
        process.send!(done);
      }
    });
    void conn.closed.then(() => server.close());
  });
  server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as net.AddressInfo).port }));
  // Never outlive the parent.
  process.on('disconnect', () => process.exit(0));
}

async function run(plain: boolean, total: number, frameSize: number): Promise<void> {
  const child = fork(fileURLToPath(import.meta.url), ['--receiver', plain ? 'plain' : 'enc', String(total)], {
    execArgv: ['--import', 'tsx', ...(process.env.RX_PROF ? ['--cpu-prof', '--cpu-prof-dir=' + process.env.RX_PROF] : [])],
  });
  const messages: Array<(m: unknown) => void> = [];
  child.on('message', (m) => messages.shift()?.(m));
  const nextMessage = <T>(timeoutMs: number): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('receiver did not answer in time')), timeoutMs);
      messages.push((m) => {
        clearTimeout(t);
        resolve(m as T);
      });
    });
  try {
    const { port } = await nextMessage<{ port: number }>(20_000);
    const conn = await PeerConnection.connect({ host: '127.0.0.1', port, ...opts(plain) });
    conn.onMessage(() => {});
    if (conn.plain !== plain) throw new Error(`expected plain=${plain}, negotiated ${conn.plain}`);
    const buf = randomBytes(frameSize);
    const frames = Math.ceil(total / frameSize);
    const done = nextMessage<Done>(120_000);
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < frames; i++) {
      if (!conn.sendData(i, buf)) await conn.drain();
      // The engine sends from I/O callbacks (one per chunk read); yielding now and then
      // does the same here, so written frames' buffers are reused as they are there.
      else if (i % 8 === 7) await new Promise((r) => setImmediate(r));
    }
    const result = await done;
    const secs = (performance.now() - t0) / 1000;
    const senderCpu = cpuMs(process.cpuUsage(cpu0));
    const mbs = result.bytes / secs / 1e6;
    console.log(
      `${plain ? 'plain    ' : 'encrypted'}  ${(result.bytes / 2 ** 20).toFixed(0)} MiB in ${secs.toFixed(2)} s = ` +
        `${mbs.toFixed(0)} MB/s  (CPU: sender ${(senderCpu / 1000).toFixed(2)} s, receiver ${(result.cpuMs / 1000).toFixed(2)} s ` +
        `of which system ${(result.sysMs / 1000).toFixed(2)} s; receiver: ${result.faults} page faults, ${result.framesMade} frame buffers made; ` +
        `sender: ${framePool.created} frame buffers made)`,
    );
    conn.close();
    await conn.closed;
  } finally {
    child.disconnect(); // the receiver exits (and writes a --cpu-prof profile, if asked)
    setTimeout(() => child.kill(), 5000).unref();
  }
}

if (process.argv[2] === '--receiver') {
  await receiver(process.argv[3] === 'plain', Number(process.argv[4]));
} else {
  const totalMiB = Number(process.argv[2] ?? 1024);
  const frameKiB = Number(process.argv[3] ?? 256);
  console.log(`Shoal protocol throughput: ${totalMiB} MiB of ${frameKiB} KiB data frames over loopback, 2 processes`);
  for (const plain of [false, true]) await run(plain, totalMiB * 2 ** 20, frameKiB * 1024);
}

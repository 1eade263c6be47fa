/**
 * Child process for the B_tcp_loopback baseline (forked by baselines.ts): listen on
 * 127.0.0.1:0, report the port over IPC, push BYTES to the first connection in 1 MiB writes
 * (respecting backpressure), then close and exit.
 */
import net from 'node:net';

const total = Number(process.argv[2]);
const CHUNK = 1 << 20;
const buf = Buffer.alloc(CHUNK);
for (let i = 0; i < CHUNK; i += 4) buf.writeUInt32LE((Math.random() * 0x1_0000_0000) >>> 0, i);

const server = net.createServer((sock) => {
  server.close();
  let sent = 0;
  const pump = (): void => {
    while (sent < total) {
      const n = Math.min(CHUNK, total - sent);
      sent += n;
      if (!sock.write(n === CHUNK ? buf : buf.subarray(0, n))) {
        sock.once('drain', pump);
        return;
      }
    }
    sock.end();
  };
  sock.on('error', () => process.exit(0)); // the receiver may reset once it has everything
  sock.on('close', () => process.exit(0));
  pump();
});
server.listen(0, '127.0.0.1', () => process.send?.((server.address() as net.AddressInfo).port));

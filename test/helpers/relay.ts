import net from 'node:net';

/** Changes bytes on their way (`connection`: 0 for the first connection made through the relay). */
export type Alter = (chunk: Buffer, offset: number, connection: number) => Buffer;

export interface Relay {
  port: number;
  /** Every chunk sent towards the target, as it arrived (before any change). */
  seen: Buffer[];
  close(): Promise<void>;
}

/**
 * A TCP relay on 127.0.0.1 in front of `targetPort`, standing for an attacker on the path:
 * `toTarget` and `fromTarget` may change the bytes going either way.
 */
export async function relay(targetPort: number, alter: { toTarget?: Alter; fromTarget?: Alter }): Promise<Relay> {
  const seen: Buffer[] = [];
  const sockets: net.Socket[] = [];
  let connections = 0;
  const server = net.createServer((inbound) => {
    const connection = connections++;
    const outbound = net.connect({ host: '127.0.0.1', port: targetPort });
    sockets.push(inbound, outbound);
    let toOffset = 0;
    let fromOffset = 0;
    inbound.on('data', (c: Buffer) => {
      seen.push(Buffer.from(c));
      outbound.write(alter.toTarget ? alter.toTarget(Buffer.from(c), toOffset, connection) : c);
      toOffset += c.length;
    });
    outbound.on('data', (c: Buffer) => {
      inbound.write(alter.fromTarget ? alter.fromTarget(Buffer.from(c), fromOffset, connection) : c);
      fromOffset += c.length;
    });
    for (const [s, other] of [[inbound, outbound], [outbound, inbound]] as const) {
      s.on('error', () => other.destroy());
      s.on('close', () => other.destroy());
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    seen,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

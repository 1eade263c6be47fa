import type { EngineEvents, Speed } from '../api/contract.js';

/** One connection's byte counters, as the meter reads them. */
export interface CountedConnection {
  readonly bytesIn: number;
  readonly bytesOut: number;
}

interface Last {
  conn: CountedConnection;
  in: number;
  out: number;
}

export type SpeedSample = EngineEvents['speed'];

/**
 * Per-device and total speed from the connections' wire byte counters, sampled by the
 * engine once a second. Each connection is measured against its own previous reading, so a
 * device that reconnects or leaves neither spikes nor drags the total below zero.
 */
export class SpeedMeter {
  private readonly last = new Map<string, Last>();
  private lastAt = 0;
  private current: SpeedSample = { download: 0, upload: 0, peers: [] };

  /** Take a sample now (ms) of these connections by device id. */
  sample(conns: Iterable<[string, CountedConnection]>, now: number): SpeedSample {
    const dt = (now - this.lastAt) / 1000;
    const first = this.lastAt === 0 || dt <= 0;
    const peers: SpeedSample['peers'] = [];
    const seen = new Set<string>();
    for (const [id, conn] of conns) {
      seen.add(id);
      const prev = this.last.get(id);
      this.last.set(id, { conn, in: conn.bytesIn, out: conn.bytesOut });
      // A new connection (or a replaced one) has no previous reading to compare with yet.
      if (first || !prev || prev.conn !== conn) continue;
      const download = Math.max(0, Math.round((conn.bytesIn - prev.in) / dt));
      const upload = Math.max(0, Math.round((conn.bytesOut - prev.out) / dt));
      if (download > 0 || upload > 0) peers.push({ id, download, upload });
    }
    for (const id of [...this.last.keys()]) if (!seen.has(id)) this.last.delete(id);
    this.lastAt = now;
    let download = 0;
    let upload = 0;
    for (const p of peers) {
      download += p.download;
      upload += p.upload;
    }
    this.current = { download, upload, peers };
    return this.current;
  }

  get total(): Speed {
    return { download: this.current.download, upload: this.current.upload };
  }

  /** Current speeds with one device (0 when idle or unknown). */
  of(id: string): Speed {
    const p = this.current.peers.find((x) => x.id === id);
    return { download: p?.download ?? 0, upload: p?.upload ?? 0 };
  }

  /** Something moved in the last sample. */
  get moving(): boolean {
    return this.current.download > 0 || this.current.upload > 0;
  }
}

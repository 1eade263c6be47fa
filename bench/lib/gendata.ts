/**
 * Test data, shaped exactly like the Syncthing helper's: one big random file, and
 * `gen-small`'s tree `dNN/sN/fNNNNN.bin` whose sizes come from Python's
 * `random.Random(SEED).randint(MIN_KIB*1024, MAX_KIB*1024)` (MT19937 re-implemented below,
 * so both products sync the same data shape; contents are random either way).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** MT19937 with CPython's seeding (init_by_array over 32-bit words of |seed|) and randint. */
export class PyRandom {
  private readonly mt = new Uint32Array(624);
  private mti = 625;

  constructor(seed: number) {
    let n = Math.abs(Math.trunc(seed));
    if (!Number.isSafeInteger(n)) throw new Error('seed must be a safe integer');
    const key: number[] = [];
    do {
      key.push(n % 0x1_0000_0000);
      n = Math.floor(n / 0x1_0000_0000);
    } while (n > 0);
    this.initByArray(key);
  }

  private initGenrand(s: number): void {
    const mt = this.mt;
    mt[0] = s >>> 0;
    for (let i = 1; i < 624; i++) {
      const p = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = (Math.imul(1812433253, p) + i) >>> 0;
    }
    this.mti = 624;
  }

  private initByArray(key: number[]): void {
    const mt = this.mt;
    this.initGenrand(19650218);
    let i = 1;
    let j = 0;
    for (let k = Math.max(624, key.length); k > 0; k--) {
      const p = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = ((mt[i] ^ Math.imul(p, 1664525)) >>> 0) + key[j] + j;
      mt[i] >>>= 0;
      i++;
      j++;
      if (i >= 624) {
        mt[0] = mt[623];
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = 623; k > 0; k--) {
      const p = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = (((mt[i] ^ Math.imul(p, 1566083941)) >>> 0) - i) >>> 0;
      i++;
      if (i >= 624) {
        mt[0] = mt[623];
        i = 1;
      }
    }
    mt[0] = 0x80000000;
  }

  genrandUint32(): number {
    const mt = this.mt;
    if (this.mti >= 624) {
      for (let kk = 0; kk < 624; kk++) {
        const y = (mt[kk] & 0x80000000) | (mt[(kk + 1) % 624] & 0x7fffffff);
        mt[kk] = mt[(kk + 397) % 624] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.mti = 0;
    }
    let y = mt[this.mti++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** random.getrandbits(k) for 1 <= k <= 32. */
  getrandbits(k: number): number {
    if (k < 1 || k > 32) throw new Error('getrandbits: 1..32 bits only');
    return this.genrandUint32() >>> (32 - k);
  }

  /** random._randbelow_with_getrandbits(n). */
  randbelow(n: number): number {
    if (n <= 0) return 0;
    const k = 32 - Math.clz32(n);
    let r = this.getrandbits(k);
    while (r >= n) r = this.getrandbits(k);
    return r;
  }

  /** random.randint(a, b), inclusive (b - a < 2^32). */
  randint(a: number, b: number): number {
    return a + this.randbelow(b - a + 1);
  }
}

export interface SmallSpec {
  rel: string;
  size: number;
}

/** The gen-small layout: file i -> d{i//1000:02}/s{(i//100)%10}/f{i:05}.bin. */
export function smallLayout(count: number, minKib: number, maxKib: number, seed: number): SmallSpec[] {
  const rng = new PyRandom(seed);
  const out: SmallSpec[] = [];
  for (let i = 0; i < count; i++) {
    const d1 = `d${String(Math.floor(i / 1000)).padStart(2, '0')}`;
    const d2 = `s${Math.floor(i / 100) % 10}`;
    out.push({ rel: `${d1}/${d2}/f${String(i).padStart(5, '0')}.bin`, size: rng.randint(minKib * 1024, maxKib * 1024) });
  }
  return out;
}

export interface SmallInfo {
  files: number;
  bytes: number;
  dirs: number;
}

export async function genSmall(dir: string, count: number, minKib: number, maxKib: number, seed: number): Promise<SmallInfo> {
  const specs = smallLayout(count, minKib, maxKib, seed);
  const dirs = new Set<string>();
  let bytes = 0;
  for (const s of specs) {
    const d = path.dirname(s.rel);
    if (!dirs.has(d)) {
      await fs.promises.mkdir(path.join(dir, d), { recursive: true });
      dirs.add(d);
      dirs.add(d.split('/')[0]);
    }
    await fs.promises.writeFile(path.join(dir, s.rel), crypto.randomBytes(s.size));
    bytes += s.size;
  }
  return { files: count, bytes, dirs: dirs.size };
}

const CHUNK = 1 << 20;

/** `head -c BYTES /dev/urandom > file`, written in 1 MiB random chunks. */
export async function genRandomFile(file: string, bytes: number): Promise<void> {
  const fh = await fs.promises.open(file, 'wx');
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    for (let left = bytes; left > 0; ) {
      const n = Math.min(CHUNK, left);
      crypto.randomFillSync(buf, 0, n);
      await fh.write(buf, 0, n);
      left -= n;
    }
  } finally {
    await fh.close();
  }
}

/**
 * The anchor's S4 staging: `{ head -c off cur; head -c ins /dev/urandom; tail -c +off+1 cur; } > out`.
 */
export async function writeWithInsert(src: string, out: string, offset: number, insert: number): Promise<void> {
  const size = (await fs.promises.stat(src)).size;
  const rfh = await fs.promises.open(src, 'r');
  const wfh = await fs.promises.open(out, 'wx');
  const buf = Buffer.allocUnsafe(CHUNK);
  try {
    const copy = async (from: number, to: number): Promise<void> => {
      for (let pos = from; pos < to; ) {
        const { bytesRead } = await rfh.read(buf, 0, Math.min(CHUNK, to - pos), pos);
        if (bytesRead === 0) throw new Error(`${src}: short read at ${pos}`);
        await wfh.write(buf, 0, bytesRead);
        pos += bytesRead;
      }
    };
    await copy(0, offset);
    for (let left = insert; left > 0; ) {
      const n = Math.min(CHUNK, left);
      crypto.randomFillSync(buf, 0, n);
      await wfh.write(buf, 0, n);
      left -= n;
    }
    await copy(offset, size);
  } finally {
    await rfh.close();
    await wfh.close();
  }
}

import { ShoalError } from '../errors.js';

/**
 * Small binary codec for wire messages and stored records: varints, length-prefixed
 * bytes and strings. The reader checks every bound, so hostile input ends in a
 * PROTOCOL_ERROR, never an out-of-range read or a huge allocation.
 */
export class Writer {
  private buf: Buffer;
  private pos = 0;

  constructor(initial = 256) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  /** Unsigned integer up to 2^53, LEB128. */
  uint(v: number): this {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`uint out of range: ${v}`);
    this.ensure(8);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
    return this;
  }

  /** Signed safe integer (zigzag). */
  int(v: number): this {
    if (!Number.isSafeInteger(v)) throw new RangeError(`int out of range: ${v}`);
    return this.uint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  bool(v: boolean): this {
    return this.u8(v ? 1 : 0);
  }

  /** Fixed-length raw bytes (length known to the reader). */
  raw(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  bytes(b: Uint8Array): this {
    return this.uint(b.length).raw(b);
  }

  str(s: string): this {
    const len = Buffer.byteLength(s, 'utf8');
    this.uint(len);
    this.ensure(len);
    this.pos += this.buf.write(s, this.pos, 'utf8');
    return this;
  }

  /** A copy of what was written (safe to keep). */
  finish(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }

  /** A view over the internal buffer: valid until the next write. */
  view(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  get length(): number {
    return this.pos;
  }
}

export class Reader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}

  private need(n: number): void {
    if (n < 0 || this.pos + n > this.buf.length) {
      throw new ShoalError('PROTOCOL_ERROR', 'Message is truncated or has a bad length');
    }
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  uint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.u8();
      result += (b & 0x7f) * mul;
      if (b < 0x80) {
        if (!Number.isSafeInteger(result)) break;
        return result;
      }
      mul *= 0x80;
    }
    throw new ShoalError('PROTOCOL_ERROR', 'Integer is too large');
  }

  int(): number {
    const z = this.uint();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  bool(): boolean {
    const v = this.u8();
    if (v > 1) throw new ShoalError('PROTOCOL_ERROR', 'Bad boolean');
    return v === 1;
  }

  /** `n` raw bytes as a view (no copy). */
  raw(n: number): Buffer {
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  bytes(max: number): Buffer {
    const n = this.uint();
    if (n > max) throw new ShoalError('PROTOCOL_ERROR', `Field of ${n} bytes exceeds the limit of ${max}`);
    return this.raw(n);
  }

  str(max: number): string {
    return this.bytes(max).toString('utf8');
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  end(): void {
    if (this.pos !== this.buf.length) throw new ShoalError('PROTOCOL_ERROR', 'Trailing bytes in message');
  }
}

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createCipheriv, randomBytes } from 'node:crypto';
import path from 'node:path';
import { test } from 'node:test';
import { aesCtrXor } from '../engine/protocol/bulk-cipher.js';
import { CHACHA20_IMPL, chacha20Xor, libsodiumChaCha20, nativeChaCha20, type ChaCha20Xor } from '../engine/protocol/chacha20.js';
import { nativeModule } from '../engine/util/native-module.js';

/**
 * The frames' ChaCha20 (engine/protocol/chacha20.ts): the native module (OpenSSL, built at
 * install) and libsodium must be the same function, or two devices would not understand each
 * other. Both are checked against node:crypto's ChaCha20 as an independent reference.
 */
const repo = path.resolve(import.meta.dirname, '..');
const nativeSkip = nativeChaCha20 ? false : 'the native module is not built here (scripts/build-native.mjs); libsodium is used';

/** node:crypto's 'chacha20' takes a 16-byte IV: the 32-bit block counter (LE), then the nonce. */
function reference(input: Buffer, nonce: Buffer, counter: number, key: Buffer): Buffer {
  const iv = Buffer.alloc(16);
  iv.writeUInt32LE(counter, 0);
  nonce.copy(iv, 4);
  const c = createCipheriv('chacha20', key, iv);
  return Buffer.concat([c.update(input), c.final()]);
}

function checkAgainstReference(xor: ChaCha20Xor): void {
  const key = randomBytes(32);
  for (const [size, counter] of [[0, 1], [1, 1], [63, 1], [64, 0], [65, 1], [4095, 7], [137_000, 1], [1 << 20, 2 ** 32 - 20_000]] as const) {
    const nonce = randomBytes(12);
    const input = randomBytes(size);
    const expected = reference(input, nonce, counter, key);
    const out = Buffer.alloc(size);
    xor(out, input, nonce, counter, key);
    assert.ok(out.equals(expected), `out of place, ${size} bytes from block ${counter}`);
    const inPlace = Buffer.from(input);
    xor(inPlace, inPlace, nonce, counter, key);
    assert.ok(inPlace.equals(expected), `in place, ${size} bytes from block ${counter}`);
    xor(inPlace, inPlace, nonce, counter, key);
    assert.ok(inPlace.equals(input), 'applying it twice gives the input back');
  }
}

test('libsodium ChaCha20 matches node:crypto (RFC 8439 counter and nonce layout)', () => {
  checkAgainstReference(libsodiumChaCha20);
});

test('native ChaCha20 matches node:crypto and libsodium', { skip: nativeSkip }, () => {
  checkAgainstReference(nativeChaCha20!);
  const key = randomBytes(32);
  const nonce = randomBytes(12);
  const big = randomBytes(3 << 20);
  const a = Buffer.alloc(big.length);
  const b = Buffer.alloc(big.length);
  nativeChaCha20!(a, big, nonce, 1, key);
  libsodiumChaCha20(b, big, nonce, 1, key);
  assert.ok(a.equals(b));
  // A view into a larger buffer: the module must honour the view's offset.
  const backing = randomBytes(1000);
  const original = Buffer.from(backing);
  const view = backing.subarray(100, 900);
  nativeChaCha20!(view, view, nonce, 5, key);
  assert.ok(view.equals(reference(original.subarray(100, 900), nonce, 5, key)));
  assert.ok(backing.subarray(0, 100).equals(original.subarray(0, 100)), 'bytes before the view untouched');
  assert.ok(backing.subarray(900).equals(original.subarray(900)), 'bytes after the view untouched');
});

test('native ChaCha20 refuses bad arguments with a TypeError instead of touching memory', { skip: nativeSkip }, () => {
  const xor = nativeChaCha20!;
  const key = randomBytes(32);
  const nonce = randomBytes(12);
  const buf = randomBytes(64);
  const before = Buffer.from(buf);
  const bad: Array<() => void> = [
    () => xor(Buffer.alloc(63), buf, nonce, 1, key), // lengths differ
    () => xor(buf, buf, randomBytes(8), 1, key), // short nonce
    () => xor(buf, buf, nonce, 1, randomBytes(16)), // short key
    () => xor(buf.subarray(1), buf.subarray(0, 63), nonce, 1, key), // overlapping, not the same
    () => (xor as unknown as (...a: unknown[]) => void)(buf, 'text', nonce, 1, key),
    () => (xor as unknown as (...a: unknown[]) => void)(buf, new Uint16Array(32), nonce, 1, key),
    () => (xor as unknown as (...a: unknown[]) => void)(buf, buf, nonce, 1),
  ];
  for (const call of bad) assert.throws(call, TypeError);
  assert.ok(buf.equals(before), 'nothing was written');
});

test('the engine uses the native module where it is built, else libsodium', () => {
  assert.equal(CHACHA20_IMPL, nativeChaCha20 ? 'openssl' : 'libsodium');
  assert.equal(chacha20Xor, nativeChaCha20 ?? libsodiumChaCha20);
  // CI builds it (.ci/run): there it must have loaded, or the speed would be lost silently.
  if (process.env.SHOAL_REQUIRE_NATIVE === '1') assert.equal(CHACHA20_IMPL, 'openssl');
  // SHOAL_NATIVE=0 turns it off (to compare): a fresh process then reports libsodium.
  const off = spawnSync(process.execPath, ['--import', 'tsx', '-e', "import('./engine/protocol/chacha20.ts').then((m) => console.log(m.CHACHA20_IMPL))"], {
    cwd: repo, env: { ...process.env, SHOAL_NATIVE: '0' }, encoding: 'utf8',
  });
  assert.equal(off.status, 0, off.stderr);
  assert.equal(off.stdout.trim(), 'libsodium');
});

/** The bulk frames' AES-256-CTR (protocol/bulk-cipher.ts), from the same native module. */
const nativeAes = nativeModule?.aesCtr ?? null;
const aesSkip = nativeAes ? false : 'the native module is not built here (scripts/build-native.mjs); bulk frames stay ChaCha20';

test('native AES-256-CTR matches node:crypto, in place and between buffers, at any length and counter', { skip: aesSkip }, () => {
  const aes = nativeAes!;
  for (const n of [1, 15, 16, 17, 63, 64, 65, 4096, 131_073]) {
    const key = randomBytes(32);
    const iv = randomBytes(12);
    const input = randomBytes(n);
    for (const block of [0, 4, 0xffff_fffe]) {
      const counter = Buffer.concat([iv, Buffer.alloc(4)]);
      counter.writeUInt32BE(block, 12);
      const c = createCipheriv('aes-256-ctr', key, counter);
      const expected = Buffer.concat([c.update(input), c.final()]);
      const out = Buffer.alloc(n);
      aes(out, input, counter, key);
      assert.ok(out.equals(expected), `${n} bytes from block ${block}`);
      const inPlace = Buffer.from(input);
      aes(inPlace, inPlace, counter, key);
      assert.ok(inPlace.equals(expected), `${n} bytes in place`);
    }
  }
  // The engine's wrapper: nonce, then the block counter.
  const key = randomBytes(32);
  const nonce = randomBytes(12);
  const input = randomBytes(1000);
  const out = Buffer.alloc(1000);
  aesCtrXor(out, input, nonce, 4, key, Buffer.alloc(16));
  const c = createCipheriv('aes-256-ctr', key, Buffer.concat([nonce, Buffer.from([0, 0, 0, 4])]));
  assert.ok(out.equals(c.update(input)));
});

test('native AES-256-CTR refuses bad arguments with a TypeError instead of touching memory', { skip: aesSkip }, () => {
  const aes = nativeAes!;
  const key = randomBytes(32);
  const iv = randomBytes(16);
  const buf = randomBytes(64);
  const before = Buffer.from(buf);
  const bad: Array<() => void> = [
    () => aes(Buffer.alloc(63), buf, iv, key), // lengths differ
    () => aes(buf, buf, randomBytes(12), key), // short iv
    () => aes(buf, buf, iv, randomBytes(16)), // short key
    () => aes(buf.subarray(1), buf.subarray(0, 63), iv, key), // overlapping, not the same
    () => (aes as unknown as (...a: unknown[]) => void)(buf, 'text', iv, key),
    () => (aes as unknown as (...a: unknown[]) => void)(buf, buf, iv),
  ];
  for (const call of bad) assert.throws(call, TypeError);
  assert.ok(buf.equals(before), 'nothing was written');
});

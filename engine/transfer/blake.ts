import sodium from 'sodium-native';

/**
 * Chunk verification with BLAKE2b-256, straight from sodium (the index hasher is built
 * separately; this keeps transfer/ free of that dependency).
 *
 * One scratch output buffer for the whole process: crypto_generichash is synchronous and
 * the comparison follows immediately with no `await` in between, so concurrent callers
 * can never observe each other's result. Saves a 32-byte allocation per chunk.
 */
const scratch = Buffer.alloc(32);

/** True when BLAKE2b-256(data) equals `expected`. Hashes are public, so no constant-time compare. */
export function chunkMatches(data: Buffer, expected: Buffer): boolean {
  if (expected.length !== 32) return false;
  sodium.crypto_generichash(scratch, data);
  return scratch.equals(expected);
}

/** Hash into a fresh buffer (tests, and the rare zero-chunk cache). */
export function blake2b256(data: Buffer): Buffer {
  const out = Buffer.alloc(32);
  sodium.crypto_generichash(out, data);
  return out;
}

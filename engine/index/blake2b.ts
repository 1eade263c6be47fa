import sodium from 'sodium-native';
import { HASH_BYTES } from '../model/record.js';

/**
 * BLAKE2b-256 through sodium-native, including the streaming calls that
 * @types/sodium-native 2.x does not declare (sodium-native 5 has them).
 */
interface StreamingGenericHash {
  crypto_generichash_STATEBYTES: number;
  crypto_generichash_init(state: Uint8Array, key: Uint8Array | null, outputLength: number): void;
  crypto_generichash_update(state: Uint8Array, input: Uint8Array): void;
  crypto_generichash_final(state: Uint8Array, output: Uint8Array): void;
}

const na = sodium as unknown as typeof sodium & StreamingGenericHash;

/** One-shot BLAKE2b-256 of `input` into `out` (32 bytes). */
export function blake2b256Into(out: Uint8Array, input: Uint8Array): void {
  sodium.crypto_generichash(out as Buffer, input as Buffer);
}

/** Incremental BLAKE2b-256 with a reusable state (one per concurrent hash, no per-chunk allocation). */
export class Blake2bStream {
  private readonly state = Buffer.alloc(na.crypto_generichash_STATEBYTES);

  init(): void {
    na.crypto_generichash_init(this.state, null, HASH_BYTES);
  }

  update(input: Uint8Array): void {
    na.crypto_generichash_update(this.state, input);
  }

  final(out: Uint8Array): void {
    na.crypto_generichash_final(this.state, out);
  }
}

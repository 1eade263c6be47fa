import sodium from 'sodium-native';
import { ShoalError } from '../errors.js';
import { base32Decode, base32Encode } from './base32.js';

/**
 * Folder secrets, BitTorrent Sync style:
 *   A<base32(20 random bytes)>  master (read-write) secret
 *   B<base32(32 bytes)>         read-only secret = the folder's Ed25519 public key
 *   any Base64 string of more than 40 characters is also a (custom) master secret.
 *
 * Derivation is one-way: master -> signing seed -> Ed25519 key pair -> read-only secret
 * (the public key) -> read key -> folder id. A read-only holder can verify and decrypt
 * everything but cannot sign a change; nothing announced on a network reveals a secret,
 * only the folder id (a keyed hash of the public part). Later secret types (one-time,
 * encrypted peers) get their own letters.
 */
export type SecretKind = 'read_write' | 'read_only';

export interface FolderKeys {
  kind: SecretKind;
  /** The master secret; only on read-write folders. */
  readWriteSecret: string | null;
  readOnlySecret: string;
  /** Ed25519 public key that verifies every file record. */
  publicKey: Buffer;
  /** Ed25519 secret key (64 bytes); only on read-write folders. */
  signingKey: Buffer | null;
  /** Shared by all holders: proves membership in a session (never sent). */
  readKey: Buffer;
  /** Public, announced id of the folder (LAN, later tracker/DHT). */
  folderId: Buffer;
  /** Short hex form of folderId for logs and storage keys. */
  folderIdHex: string;
}

const MASTER_BYTES = 20;

function keyedHash(key: string, data: Uint8Array, outLen = 32): Buffer {
  const out = Buffer.alloc(outLen);
  const k = Buffer.alloc(32);
  sodium.crypto_generichash(k, Buffer.from(key));
  sodium.crypto_generichash(out, Buffer.from(data), k);
  return out;
}

export function generateSecret(): string {
  const raw = Buffer.alloc(MASTER_BYTES);
  sodium.randombytes_buf(raw);
  return 'A' + base32Encode(raw);
}

function isCustomSecret(s: string): boolean {
  return s.length > 40 && /^[A-Za-z0-9+/]+={0,2}$/.test(s) && !/^[AB][A-Z2-7]+$/.test(s);
}

function keysFromPublic(publicKey: Buffer): Pick<FolderKeys, 'readOnlySecret' | 'readKey' | 'folderId' | 'folderIdHex' | 'publicKey'> {
  const readKey = keyedHash('shoal/read-key/v1', publicKey);
  const folderId = keyedHash('shoal/folder-id/v1', readKey);
  return {
    publicKey,
    readOnlySecret: 'B' + base32Encode(publicKey),
    readKey,
    folderId,
    folderIdHex: folderId.toString('hex'),
  };
}

/** Parse any accepted secret; throws BAD_SECRET with a message a user can act on. */
export function parseSecret(input: string): FolderKeys {
  const s = String(input ?? '').trim();
  if (s.length === 0) throw new ShoalError('BAD_SECRET', 'The secret is empty.');
  let masterBytes: Buffer | null = null;
  if (isCustomSecret(s)) {
    masterBytes = Buffer.from('custom:' + s);
  } else if (s[0] === 'A') {
    const raw = base32Decode(s.slice(1));
    if (!raw || raw.length < MASTER_BYTES) {
      throw new ShoalError('BAD_SECRET', 'This is not a valid read-write secret (A…).');
    }
    masterBytes = raw;
  } else if (s[0] === 'B') {
    const raw = base32Decode(s.slice(1));
    if (!raw || raw.length !== sodium.crypto_sign_PUBLICKEYBYTES) {
      throw new ShoalError('BAD_SECRET', 'This is not a valid read-only secret (B…).');
    }
    return { kind: 'read_only', readWriteSecret: null, signingKey: null, ...keysFromPublic(raw) };
  } else {
    throw new ShoalError(
      'BAD_SECRET',
      'Unknown secret: it should start with A (full access) or B (read only), or be a custom Base64 secret of more than 40 characters.',
    );
  }
  const seed = keyedHash('shoal/sign-seed/v1', masterBytes, sodium.crypto_sign_SEEDBYTES);
  const publicKey = Buffer.alloc(sodium.crypto_sign_PUBLICKEYBYTES);
  const signingKey = sodium.sodium_malloc(sodium.crypto_sign_SECRETKEYBYTES) as unknown as Buffer;
  sodium.crypto_sign_seed_keypair(publicKey, signingKey, seed);
  return { kind: 'read_write', readWriteSecret: s, signingKey, ...keysFromPublic(publicKey) };
}

export function readOnlySecretOf(secret: string): string {
  return parseSecret(secret).readOnlySecret;
}

/** MAC proving possession of the read key, bound to one session's handshake hash and role. */
export function membershipProof(keys: FolderKeys, handshakeHash: Uint8Array, initiator: boolean): Buffer {
  const out = Buffer.alloc(32);
  const msg = Buffer.concat([Buffer.from('shoal/join/v1'), Buffer.from(handshakeHash), Buffer.from([initiator ? 1 : 0])]);
  sodium.crypto_generichash(out, msg, keys.readKey);
  return out;
}

export function verifyMembershipProof(keys: FolderKeys, handshakeHash: Uint8Array, initiator: boolean, proof: Uint8Array): boolean {
  if (proof.length !== 32) return false;
  const expected = membershipProof(keys, handshakeHash, initiator);
  return sodium.sodium_memcmp(expected, Buffer.from(proof));
}

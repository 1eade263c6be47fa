import fs from 'node:fs';
import path from 'node:path';
import sodium from 'sodium-native';
import { base32Encode } from './base32.js';

/**
 * Each device has its own persistent X25519 key pair (the Noise static key). Its id is
 * derived from the public key; peers show a device by name and the short id.
 */
export interface DeviceIdentity {
  publicKey: Buffer;
  secretKey: Buffer;
  /** 26-char base32 id (BLAKE2b-128 of the public key). */
  id: string;
  /** First 7 characters, for display. */
  shortId: string;
}

export function deviceIdOf(publicKey: Uint8Array): string {
  const h = Buffer.alloc(16);
  sodium.crypto_generichash(h, Buffer.from(publicKey));
  return base32Encode(h);
}

export function identityFromKeys(publicKey: Buffer, secretKey: Buffer): DeviceIdentity {
  const id = deviceIdOf(publicKey);
  return { publicKey, secretKey, id, shortId: id.slice(0, 7) };
}

export function generateIdentity(): DeviceIdentity {
  const publicKey = Buffer.alloc(sodium.crypto_kx_PUBLICKEYBYTES);
  const secretKey = Buffer.alloc(sodium.crypto_kx_SECRETKEYBYTES);
  sodium.crypto_kx_keypair(publicKey, secretKey);
  return identityFromKeys(publicKey, secretKey);
}

/** Load `device.key` from the storage directory, creating it (mode 0600) on first run. */
export function loadOrCreateIdentity(storagePath: string): DeviceIdentity {
  const file = path.join(storagePath, 'device.key');
  try {
    const raw = fs.readFileSync(file);
    if (raw.length === 64) return identityFromKeys(Buffer.from(raw.subarray(0, 32)), Buffer.from(raw.subarray(32)));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const ident = generateIdentity();
  fs.mkdirSync(storagePath, { recursive: true });
  const tmp = file + '.tmp';
  fs.writeFileSync(tmp, Buffer.concat([ident.publicKey, ident.secretKey]), { mode: 0o600 });
  fs.renameSync(tmp, file);
  return ident;
}

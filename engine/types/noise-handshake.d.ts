/**
 * Minimal types for `noise-handshake` (Holepunch, CommonJS, ships no types). Only what
 * engine/protocol/handshake.ts uses. Keys are raw X25519: 32-byte public key, 32-byte
 * secret scalar, the same format as sodium's crypto_kx_keypair (DeviceIdentity).
 */
declare module 'noise-handshake' {
  interface NoiseKeyPair {
    publicKey: Buffer;
    secretKey: Buffer;
  }

  interface NoiseOptions {
    curve?: unknown;
    psk?: Buffer;
  }

  class NoiseState {
    constructor(
      pattern: 'XX' | 'IK' | 'NN' | 'XK' | 'XXpsk0' | 'NNpsk0',
      initiator: boolean,
      staticKeypair?: NoiseKeyPair | null,
      opts?: NoiseOptions,
    );
    readonly s: NoiseKeyPair;
    readonly initiator: boolean;
    /** True once the last message was sent or received; tx/rx/rs/hash are then set. */
    readonly complete: boolean;
    /** Remote static public key (set during the handshake). */
    readonly rs: Buffer | null;
    /** Key for what this side sends (initiator.tx === responder.rx). */
    readonly tx: Buffer | null;
    /** Key for what this side receives. */
    readonly rx: Buffer | null;
    /** Handshake hash (64 bytes, BLAKE2b-512), unique per session. */
    readonly hash: Buffer | null;
    initialise(prologue: Uint8Array, remoteStatic?: Uint8Array): void;
    /** Next handshake message; throws on misuse. */
    send(payload?: Uint8Array): Buffer;
    /** Consume a handshake message, returns its payload; throws if it fails to authenticate. */
    recv(buf: Uint8Array): Buffer;
  }

  export = NoiseState;
}

/**
 * Discovery finds *addresses* of devices that may share a folder with us; it never decides
 * trust. Everything a source reports is unauthenticated hearsay (anyone on a LAN can send
 * an announce): the connection manager dials the candidate, and only the Noise handshake
 * plus the folder membership proof (secrets/secret.ts) tell whether the peer is real.
 *
 * Sources today: `lan` (LanDiscovery, multicast announces) and `hosts` (KnownHosts,
 * configured addresses). Tracker, DHT and relay sources come in a later issue and will
 * implement this same DiscoverySource interface, so the connection manager treats every
 * source alike.
 */

export type DiscoverySourceKind = 'lan' | 'hosts' | 'tracker' | 'dht' | 'relay';

export interface PeerCandidate {
  /** IPv4/IPv6 literal or a hostname (KnownHosts passes names through; the dialer resolves). */
  host: string;
  /** The peer's listening (TCP) port, 1..65535. */
  port: number;
  /**
   * The folder this candidate was found for, or null meaning "unknown: offer every folder
   * we share" (KnownHosts entries configured globally rather than per folder).
   */
  folderId: Buffer | null;
  source: DiscoverySourceKind;
  /** Claimed device id (LAN announces carry it). Unverified until the handshake. */
  deviceId?: string;
}

export interface DiscoveryEvents {
  peer: (candidate: PeerCandidate) => void;
  /** Non-fatal trouble (send failed, socket error). For logs; the source keeps running. */
  warning: (err: Error) => void;
}

export interface DiscoverySource {
  /** Bind/begin. Rejects with a ShoalError if the source cannot run at all. */
  start(): Promise<void>;
  /** Stop timers, release sockets. Idempotent; safe before start(). */
  close(): Promise<void>;
  /** Folder ids (32 bytes each) we share; sources only report candidates for these. */
  setFolders(folderIds: Buffer[]): void;
  on<E extends keyof DiscoveryEvents>(event: E, listener: DiscoveryEvents[E]): this;
  off<E extends keyof DiscoveryEvents>(event: E, listener: DiscoveryEvents[E]): this;
}

/** Length of FolderKeys.folderId. */
export const FOLDER_ID_BYTES = 32;

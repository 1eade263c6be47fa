import net from 'node:net';
import { ShoalError, type ErrorCode } from '../errors.js';
import { DiscoveryEmitter, folderSet } from './emitter.js';
import type { DiscoverySource } from './types.js';

export interface HostPort {
  /** IPv4/IPv6 literal (no brackets) or hostname. */
  host: string;
  port: number;
}

const HOSTNAME_RE = /^(?=.{1,253}\.?$)([A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)(\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;

/**
 * Parse "host:port" as typed by a user: `192.168.1.10:3839`, `[fe80::1%eth0]:3839`,
 * `nas.local:3839`. A bare IPv6 address without brackets is refused, since its last group
 * cannot be told from a port. `code` lets the caller say where the string came from
 * (BAD_CONFIG for the config file, BAD_REQUEST for an API call).
 */
export function parseHostPort(input: string, code: ErrorCode = 'BAD_CONFIG'): HostPort {
  const s = String(input ?? '').trim();
  const fail = (why: string) =>
    new ShoalError(code, `"${s}" is not a valid host:port (${why}); expected e.g. 192.168.1.10:3839, [fe80::1]:3839 or nas.local:3839.`);
  let host: string;
  let portText: string;
  const v6 = /^\[([^\]]*)\]:([^:]*)$/.exec(s);
  if (v6) {
    host = v6[1]!;
    portText = v6[2]!;
    if (!net.isIPv6(host)) throw fail('the part in brackets is not an IPv6 address');
  } else {
    const colon = s.lastIndexOf(':');
    if (colon < 0) throw fail('the port is missing');
    host = s.slice(0, colon);
    portText = s.slice(colon + 1);
    if (host.includes(':')) throw fail('put an IPv6 address in brackets');
    if (host === '') throw fail('the host is missing');
    if (/^[\d.]+$/.test(host)) {
      if (!net.isIPv4(host)) throw fail('the IPv4 address is malformed');
    } else if (!HOSTNAME_RE.test(host)) {
      throw fail('the host name has characters that are not allowed');
    }
  }
  if (!/^\d{1,5}$/.test(portText)) throw fail('the port must be a number');
  const port = Number(portText);
  if (port < 1 || port > 65535) throw fail('the port must be between 1 and 65535');
  return { host, port };
}

/**
 * A configured address. `folderId` null = a device-wide known host ("try every folder we
 * share with it"); a folder id = BTSync's per-folder "predefined hosts", reported only
 * while we share that folder. The candidate carries the same value, so the connection
 * manager offers exactly that folder, or all of ours when it is null.
 */
export interface KnownHost extends HostPort {
  folderId: Buffer | null;
}

export interface KnownHostsOptions {
  hosts?: KnownHost[];
  /** How often every host is reported again (the dialer retries from these). Default 30 s, minimum 50 ms. */
  intervalMs?: number;
}

/**
 * Reports configured hosts as candidates: at start, whenever hosts or folders change, and
 * every `intervalMs`. Host names go out unresolved, because the dialer resolves at dial
 * time and an address that changes (DHCP, dynamic DNS) is then followed.
 */
export class KnownHosts extends DiscoveryEmitter implements DiscoverySource {
  private hosts: KnownHost[] = [];
  private folders = new Map<string, Buffer>();
  private readonly intervalMs: number;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private closed = false;

  constructor(options: KnownHostsOptions = {}) {
    super();
    this.intervalMs = options.intervalMs ?? 30_000;
    if (!Number.isFinite(this.intervalMs) || this.intervalMs < 50) {
      throw new ShoalError('BAD_CONFIG', 'Known hosts: the interval must be at least 50 ms.');
    }
    this.setHosts(options.hosts ?? []);
  }

  setHosts(hosts: KnownHost[]): void {
    for (const h of hosts) {
      // Re-validate: entries may come from code, not only from parseHostPort.
      parseHostPort(h.host.includes(':') ? `[${h.host}]:${h.port}` : `${h.host}:${h.port}`, 'BAD_CONFIG');
      if (h.folderId !== null) folderSet([h.folderId]);
    }
    this.hosts = hosts.map((h) => ({ host: h.host, port: h.port, folderId: h.folderId && Buffer.from(h.folderId) }));
    this.report();
  }

  setFolders(folderIds: Buffer[]): void {
    this.folders = folderSet(folderIds);
    this.report();
  }

  async start(): Promise<void> {
    if (this.closed) throw new ShoalError('SHUTTING_DOWN', 'Known hosts discovery was closed.');
    if (this.running) return;
    this.running = true;
    this.timer = setInterval(() => this.report(), this.intervalMs);
    this.timer.unref();
    this.report();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private report(): void {
    if (!this.running || this.folders.size === 0) return;
    for (const h of this.hosts) {
      if (h.folderId !== null && !this.folders.has(h.folderId.toString('hex'))) continue;
      this.emit('peer', { host: h.host, port: h.port, folderId: h.folderId, source: 'hosts' });
    }
  }
}

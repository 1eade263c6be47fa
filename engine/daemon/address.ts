import net from 'node:net';

/**
 * Parsing of "host:port" strings (known_hosts, webui.listen) and the loopback test the
 * Web UI rules depend on. IPv6 literals must be bracketed ("[::1]:8888") so the port is
 * never ambiguous.
 */
export interface HostPort {
  host: string; // without brackets
  port: number;
}

const HOSTNAME = /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/** Returns null when `s` is not host:port; `minPort` is 1 for peers, 0 for listen addresses. */
export function parseHostPort(s: string, minPort = 1): HostPort | null {
  const m = /^(?:\[([^\]]+)\]|([^:\[\]]+)):(\d{1,5})$/.exec(s.trim());
  if (!m) return null;
  const port = Number(m[3]);
  if (port < minPort || port > 65535) return null;
  if (m[1] !== undefined) return net.isIPv6(m[1]) ? { host: m[1], port } : null;
  const host = m[2];
  if (net.isIPv4(host) || HOSTNAME.test(host)) return { host, port };
  return null;
}

export function formatHostPort(hp: HostPort): string {
  return net.isIPv6(hp.host) ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}

/** True when only this machine can reach an address bound to `host`. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost') return true;
  if (net.isIPv4(h)) return h.startsWith('127.');
  if (net.isIPv6(h)) return h === '::1' || h === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(h);
  return false;
}

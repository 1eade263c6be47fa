import net from 'node:net';

/**
 * Whether a peer address is on a local network. Plain (unencrypted but authenticated)
 * frames are only ever used with such peers, and the rate limiter may exempt them.
 */

/** `::ffff:10.0.0.1` -> `10.0.0.1`, so one address has one spelling in logs and checks. */
export function normalizeAddress(addr: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(addr);
  return m ? m[1]! : addr;
}

export function isLanAddress(address: string): boolean {
  const addr = normalizeAddress(address.replace(/%.*$/, '')); // drop an IPv6 zone id
  if (net.isIPv4(addr)) {
    const [a, b] = addr.split('.').map(Number) as [number, number];
    return (
      a === 127 || // loopback
      a === 10 ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 169 && b === 254) // link-local
    );
  }
  if (net.isIPv6(addr)) {
    const lower = addr.toLowerCase();
    if (lower === '::1') return true;
    const first = parseInt(lower.split(':', 1)[0] || '0', 16);
    return (
      (first & 0xfe00) === 0xfc00 || // fc00::/7 unique local
      (first & 0xffc0) === 0xfe80 // fe80::/10 link-local
    );
  }
  return false;
}

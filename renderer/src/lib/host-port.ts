/**
 * "host:port" as the engine accepts it for predefined hosts (daemon/address.ts): a host
 * name, an IPv4 address or a bracketed IPv6 address, and a port 1..65535. Checked here too
 * so the hosts editor can say what is wrong before saving; the engine checks again.
 */

const HOSTNAME = /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
// Hex groups and colons (with at most one '::'), optionally ending in a dotted IPv4 part.
const IPV6 = /^(?=.*:)[0-9A-Fa-f:.]{2,45}$/;

function isIpv6(s: string): boolean {
  if (!IPV6.test(s)) return false;
  if ((s.match(/::/g) ?? []).length > 1) return false;
  let body = s;
  let groupsNeeded = 8;
  const lastColon = s.lastIndexOf(':');
  const tail = s.slice(lastColon + 1);
  if (tail.includes('.')) {
    if (!IPV4.test(tail)) return false;
    body = s.slice(0, lastColon + 1) + '0'; // stand-in group so the split below stays simple
    groupsNeeded = 7;
  }
  const compressed = body.includes('::');
  const groups = body.split(':').filter((g, i, all) => !(g === '' && (compressed || i === 0 || i === all.length - 1)));
  if (groups.some((g) => !/^[0-9A-Fa-f]{1,4}$/.test(g))) return false;
  return compressed ? groups.length < groupsNeeded : groups.length === groupsNeeded;
}

/** null when `s` is a valid peer address, else what is wrong with it. */
export function hostPortProblem(s: string): string | null {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(s.trim());
  if (!m) return 'Use host:port, e.g. 192.168.1.20:4000 or [fe80::1]:4000.';
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return 'The port must be between 1 and 65535.';
  if (m[1] !== undefined) return isIpv6(m[1]) ? null : `"${m[1]}" is not an IPv6 address.`;
  const host = m[2]!;
  if (IPV4.test(host) || HOSTNAME.test(host)) return null;
  return `"${host}" is not a host name or IPv4 address.`;
}

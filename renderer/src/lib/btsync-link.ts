/**
 * The link a phone scans to add a folder ("Connect Mobile"): BitTorrent Sync's
 * `btsync://<secret>?n=<folder name>`. Secrets are base32 / base64 text; the name is
 * URI-encoded so spaces, '&' and non-ASCII names survive the round trip.
 */
export function btsyncLink(secret: string, folderName: string): string {
  return `btsync://${secret}?n=${encodeURIComponent(folderName)}`;
}

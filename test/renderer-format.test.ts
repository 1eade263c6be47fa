import assert from 'node:assert/strict';
import { test } from 'node:test';
import { btsyncLink } from '../renderer/src/lib/btsync-link.js';
import { deviceLabel, folderName, formatBytes, formatCount, formatSpeed, formatTime, joinPath, percent, plural, shortId } from '../renderer/src/lib/format.js';

test('formatBytes: binary units, one decimal below 10, never "1024 kB"', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(-5), '0 B');
  assert.equal(formatBytes(Number.NaN), '0 B');
  assert.equal(formatBytes(1), '1 B');
  assert.equal(formatBytes(1023), '1023 B');
  assert.equal(formatBytes(1024), '1 kB');
  assert.equal(formatBytes(1536), '1.5 kB');
  assert.equal(formatBytes(10 * 1024), '10 kB');
  assert.equal(formatBytes(1024 * 1024 - 1), '1 MB');
  assert.equal(formatBytes(12.4 * 1024 * 1024), '12 MB');
  assert.equal(formatBytes(3.25 * 1024 ** 3), '3.3 GB');
  assert.equal(formatBytes(2 * 1024 ** 4), '2 TB');
});

test('formatSpeed and counts', () => {
  assert.equal(formatSpeed(0), '0 B/s');
  assert.equal(formatSpeed(1.5 * 1024 * 1024), '1.5 MB/s');
  assert.equal(formatCount(0), '0');
  assert.equal(formatCount(999), '999');
  assert.equal(formatCount(1234567), '1\u202f234\u202f567');
  assert.equal(plural(1, 'file'), '1 file');
  assert.equal(plural(2, 'file'), '2 files');
  assert.equal(plural(0, 'device'), '0 devices');
});

test('percent is whole, clamped, and 100 for empty files', () => {
  assert.equal(percent(0, 100), 0);
  assert.equal(percent(50, 100), 50);
  assert.equal(percent(999, 1000), 99);
  assert.equal(percent(200, 100), 100);
  assert.equal(percent(0, 0), 100);
});

test('formatTime: time of day today, date and minutes otherwise', () => {
  const now = new Date(2024, 2, 5, 18, 0, 0).getTime();
  assert.equal(formatTime(new Date(2024, 2, 5, 14, 3, 7).getTime(), now), '14:03:07');
  assert.equal(formatTime(new Date(2024, 2, 4, 9, 5, 59).getTime(), now), '2024-03-04 09:05');
  assert.equal(formatTime(new Date(2023, 11, 31, 23, 59).getTime(), now), '2023-12-31 23:59');
});

test('names and paths', () => {
  assert.equal(shortId('0123456789abcdef'), '01234567'.toUpperCase());
  assert.equal(folderName('/home/ann/Photos'), 'Photos');
  assert.equal(folderName('/home/ann/Photos/'), 'Photos');
  assert.equal(folderName('C:\\Users\\Ann\\Music'), 'Music');
  assert.equal(folderName('/'), '/');
  assert.equal(joinPath('/home/ann/Photos', '.SyncArchive'), '/home/ann/Photos/.SyncArchive');
  assert.equal(joinPath('/home/ann/Photos/', '.SyncArchive'), '/home/ann/Photos/.SyncArchive');
  assert.equal(joinPath('C:\\Users\\Ann\\Music', '.SyncArchive'), 'C:\\Users\\Ann\\Music\\.SyncArchive');
  assert.equal(deviceLabel(''), 'This device');
  assert.equal(deviceLabel('laptop'), 'laptop');
});

test('btsync:// link: secret as is, folder name URI-encoded', () => {
  const secret = 'AQ2XBRVKBFDRGZQOPYT4GFEPQJ2J5RXAK';
  assert.equal(btsyncLink(secret, 'Photos'), `btsync://${secret}?n=Photos`);
  assert.equal(btsyncLink(secret, 'My Photos & Videos'), `btsync://${secret}?n=My%20Photos%20%26%20Videos`);
  assert.equal(btsyncLink(secret, 'Fotos/2024?#'), `btsync://${secret}?n=Fotos%2F2024%3F%23`);
  const link = btsyncLink(secret, 'Été 日本');
  assert.equal(link, `btsync://${secret}?n=${encodeURIComponent('Été 日本')}`);
  // A phone's URL parser gets the name back exactly.
  const url = new URL(link);
  assert.equal(url.protocol, 'btsync:');
  assert.equal(url.searchParams.get('n'), 'Été 日本');
});

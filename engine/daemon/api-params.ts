import { z } from 'zod';
import type { FolderPrefs, Prefs } from '../api/contract.js';
import { ShoalError } from '../errors.js';
import { parseHostPort } from './address.js';
import { FOLDER_PREF_KEYS, PREF_DEFAULTS, PREF_KEYS, prefSchemas } from './config-schema.js';

/**
 * zod schemas for /api query parameters. Everything arrives as text, so each schema checks
 * the text (length, 0/1 flags, digits) and converts it; values are then checked with the
 * same schemas as the config file, so the API cannot set what the file could not.
 */

export const MAX_PARAM_LENGTH = 4096;
const MAX_HOSTS = 1000;

export const text = () => z.string().min(1, 'is empty').max(MAX_PARAM_LENGTH, `is longer than ${MAX_PARAM_LENGTH} characters`);
export const flag = () => z.enum(['0', '1'], { error: 'must be 0 or 1' }).transform((v) => v === '1');
const wholeNumber = () =>
  z
    .string()
    .regex(/^\d{1,10}$/, 'must be a whole number')
    .transform(Number);

/** "host:port,host:port" -> validated list; "" clears the list. */
export const hostList = () =>
  z
    .string()
    .max(MAX_PARAM_LENGTH, `is longer than ${MAX_PARAM_LENGTH} characters`)
    .transform((s, ctx) => {
      const hosts = s.split(',').map((h) => h.trim()).filter((h) => h.length > 0);
      if (hosts.length > MAX_HOSTS) ctx.addIssue({ code: 'custom', message: `lists more than ${MAX_HOSTS} hosts` });
      for (const h of hosts) {
        if (!parseHostPort(h)) ctx.addIssue({ code: 'custom', message: `"${h.slice(0, 100)}" is not host:port` });
      }
      return hosts;
    });

/** One optional query parameter per folder switch, as 0/1. */
export const folderPrefParams = Object.fromEntries(FOLDER_PREF_KEYS.map((k) => [k, flag().optional()])) as {
  [K in keyof FolderPrefs]: z.ZodOptional<ReturnType<typeof flag>>;
};

/** One optional query parameter per global pref: 0/1 for switches, digits for numbers. */
export const prefParams = Object.fromEntries(
  PREF_KEYS.map((k) => {
    // Each value schema takes exactly what the text converter produces (string or number).
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const value = prefSchemas[k] as z.ZodType<unknown, any>;
    if (k === 'device_name') return [k, text().pipe(value).optional()];
    const isFlag = typeof PREF_DEFAULTS[k as Exclude<keyof Prefs, 'device_name'>] === 'boolean';
    return [k, (isFlag ? flag() : wholeNumber().pipe(value)).optional()];
  }),
) as { [K in keyof Prefs]: z.ZodOptional<z.ZodType<Prefs[K], string>> };

/** Drop keys whose value is undefined (zod leaves absent optionals as undefined). */
export function given<T extends object>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as T;
}

/** BitTorrent Sync showed switches as 0/1; so does Shoal's API. */
export function asFlags<T extends object>(obj: T): Record<keyof T, unknown> {
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, typeof v === 'boolean' ? (v ? 1 : 0) : v])) as Record<
    keyof T,
    unknown
  >;
}

export function notSupported(what: string): ShoalError {
  return new ShoalError('BAD_REQUEST', `${what} is not supported yet.`);
}

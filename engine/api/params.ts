import { z } from 'zod';
import { hostPortSchema, partialFolderPrefsSchema, partialPrefsSchema } from '../daemon/config-schema.js';
import type { MethodName } from './contract.js';

/**
 * zod schemas for the params of every contract method, checked by the RPC server before the
 * engine sees anything: what arrives from a renderer or a browser is untrusted. The values
 * share the config file's schemas, so no transport can set what the file could not.
 */

const MAX_TEXT = 4096;
const text = () => z.string().min(1, 'is empty').max(MAX_TEXT, `is longer than ${MAX_TEXT} characters`);
const none = z.strictObject({});
const secretOnly = z.strictObject({ secret: text() });
const limit = z.number().int().min(1).max(10_000).optional();

export const uiPrefsPartialSchema = z
  .strictObject({
    start_at_login: z.boolean(),
    notify_sync_finished: z.boolean(),
    notify_conflicts: z.boolean(),
    notify_new_devices: z.boolean(),
    notify_errors: z.boolean(),
  })
  .partial();

export const methodParamSchemas: Record<MethodName, z.ZodType<unknown>> = {
  getFolders: z.strictObject({ secret: text().optional() }),
  addFolder: z.strictObject({ dir: text(), secret: text().optional(), prefs: partialFolderPrefsSchema.optional() }),
  removeFolder: secretOnly,
  getFiles: z.strictObject({ secret: text(), path: z.string().max(MAX_TEXT).optional() }),
  setFilePrefs: z.strictObject({ secret: text(), path: text(), download: z.boolean() }),
  getFolderPeers: secretOnly,
  getSecrets: z.strictObject({ secret: text().optional() }),
  getFolderPrefs: secretOnly,
  setFolderPrefs: z.strictObject({ secret: text(), prefs: partialFolderPrefsSchema }),
  getFolderHosts: secretOnly,
  setFolderHosts: z.strictObject({ secret: text(), hosts: z.array(hostPortSchema).max(1000) }),
  getPrefs: none,
  setPrefs: z.strictObject({ prefs: partialPrefsSchema }),
  getOs: none,
  getVersion: none,
  getSpeed: none,
  generateSecret: none,
  rescanFolder: secretOnly,
  shutdown: none,
  getStatus: none,
  setPaused: z.strictObject({ paused: z.boolean() }),
  getDevices: none,
  // Device ids are base32 (engine/secrets/device.ts), folder ids hex.
  getSyncQueue: z.strictObject({ peerId: z.string().regex(/^[A-Z2-7]{1,128}$/, 'is not a device id'), limit }),
  getTransfers: none,
  getHistory: z.strictObject({ folder: z.string().regex(/^[0-9a-f]{1,128}$/, 'is not a folder id').optional(), limit }),
  getUiPrefs: none,
  setUiPrefs: z.strictObject({ prefs: uiPrefsPartialSchema }),
};

import { z } from 'zod';
import type { FolderPrefs, Prefs } from '../api/contract.js';
import { ShoalError } from '../errors.js';
import { describeIssues } from './config-errors.js';
import { MAX_PARAM_LENGTH, asFlags, flag, folderPrefParams, given, hostList, notSupported, prefParams, text } from './api-params.js';
import type { ApiTarget } from './types.js';

/**
 * The BitTorrent Sync 1.x API (`GET /api?method=NAME&...`) mapped onto the engine contract.
 * Each entry: a strict zod schema for its query parameters and how to call the engine.
 * Results keep BTSync's shapes: `{ error: 0 }` for add/remove/shutdown, current values for
 * get_* and set_* (as BTSync's set_* returned), switches as 0/1.
 */

interface ApiMethod {
  params: z.ZodType<unknown>;
  run(target: ApiTarget, params: unknown): Promise<unknown>;
}

function method<S extends z.ZodType>(params: S, run: (t: ApiTarget, p: z.output<S>) => Promise<unknown>): ApiMethod {
  return { params, run: run as ApiMethod['run'] };
}

const OK = { error: 0 } as const;
const noParams = z.strictObject({});
const secretOnly = z.strictObject({ secret: text() });

const METHODS: Record<string, ApiMethod> = {
  get_folders: method(z.strictObject({ secret: text().optional() }), (t, p) => t.call('getFolders', given(p))),

  add_folder: method(
    z.strictObject({ dir: text(), secret: text().optional(), selective_sync: flag().optional() }),
    async (t, p) => {
      const prefs = p.selective_sync === undefined ? undefined : { selective_sync: p.selective_sync };
      const info = await t.call('addFolder', given({ dir: p.dir, secret: p.secret, prefs }));
      // BTSync returned only { error: 0 }; the secret is added so a caller that let Shoal
      // generate one can learn it.
      return { ...OK, secret: info.secret };
    },
  ),

  remove_folder: method(secretOnly, async (t, p) => {
    await t.call('removeFolder', p);
    return OK;
  }),

  // `path=` (empty) means the folder's top level, as when it is left out.
  get_files: method(z.strictObject({ secret: text(), path: z.string().max(MAX_PARAM_LENGTH).optional() }), (t, p) =>
    t.call('getFiles', given({ secret: p.secret, path: p.path || undefined })),
  ),

  set_file_prefs: method(z.strictObject({ secret: text(), path: text(), download: flag() }), (t, p) =>
    t.call('setFilePrefs', p),
  ),

  get_folder_peers: method(secretOnly, async (t, p) => {
    const peers = await t.call('getFolderPeers', p);
    return peers.map((x) => ({ ...x }));
  }),

  get_secrets: method(
    z.strictObject({ secret: text().optional(), type: z.enum(['encryption'], { error: 'must be "encryption"' }).optional() }),
    async (t, p) => {
      if (p.type) throw notSupported('Encrypted secrets (type=encryption)');
      return p.secret ? t.call('getSecrets', { secret: p.secret }) : t.call('generateSecret', {});
    },
  ),

  get_folder_prefs: method(secretOnly, async (t, p) => asFlags(await t.call('getFolderPrefs', p))),

  set_folder_prefs: method(z.strictObject({ secret: text(), ...folderPrefParams }), async (t, p) => {
    const { secret, ...prefs } = p;
    const changed = given(prefs) as Partial<FolderPrefs>;
    if (Object.keys(changed).length === 0) throw new ShoalError('BAD_REQUEST', 'No folder preference given to change.');
    return asFlags(await t.call('setFolderPrefs', { secret, prefs: changed }));
  }),

  get_folder_hosts: method(secretOnly, (t, p) => t.call('getFolderHosts', p)),

  set_folder_hosts: method(z.strictObject({ secret: text(), hosts: hostList() }), (t, p) => t.call('setFolderHosts', p)),

  get_prefs: method(noParams, async (t) => asFlags(await t.call('getPrefs', {}))),

  set_prefs: method(z.strictObject(prefParams), async (t, p) => {
    const changed = given(p) as Partial<Prefs>;
    if (Object.keys(changed).length === 0) throw new ShoalError('BAD_REQUEST', 'No preference given to change.');
    return asFlags(await t.call('setPrefs', { prefs: changed }));
  }),

  rescan_folder: method(z.strictObject({ secret: text() }), async (t, p) => {
    await t.call('rescanFolder', p);
    return OK;
  }),

  get_os: method(noParams, (t) => t.call('getOs', {})),
  get_version: method(noParams, (t) => t.call('getVersion', {})),
  get_speed: method(noParams, (t) => t.call('getSpeed', {})),

  shutdown: method(noParams, async (t) => {
    await t.call('shutdown', {});
    return OK;
  }),
};

export const API_METHOD_NAMES = Object.keys(METHODS);

/** Parameters every method accepts: the method itself, the API key, and jQuery-style cache busters. */
const GLOBAL_PARAMS = new Set(['method', 'api_key', '_']);

/** Validate the query and call the engine; throws ShoalError (UNKNOWN_METHOD, BAD_REQUEST, engine codes). */
export async function runApiMethod(target: ApiTarget, query: URLSearchParams): Promise<unknown> {
  const name = query.get('method');
  if (!name) throw new ShoalError('BAD_REQUEST', 'Missing parameter "method".');
  const m = Object.hasOwn(METHODS, name) ? METHODS[name] : undefined;
  if (!m) throw new ShoalError('UNKNOWN_METHOD', 'Unknown method');

  const raw: Record<string, string> = {};
  for (const [key, value] of query) {
    if (Object.hasOwn(raw, key) || (GLOBAL_PARAMS.has(key) && query.getAll(key).length > 1)) {
      throw new ShoalError('BAD_REQUEST', `Parameter "${key.slice(0, 64)}" is given more than once.`);
    }
    if (!GLOBAL_PARAMS.has(key)) raw[key] = value;
  }
  const parsed = m.params.safeParse(raw);
  if (!parsed.success) throw new ShoalError('BAD_REQUEST', `${name}: ${paramProblem(parsed.error.issues)}`);
  return m.run(target, parsed.data);
}

function paramProblem(issues: ReadonlyArray<z.core.$ZodIssue>): string {
  const first = issues[0];
  if (first?.code === 'unrecognized_keys') {
    return `unknown parameter "${first.keys[0].slice(0, 64)}"`;
  }
  return describeIssues(issues)
    .replace(/^(\w+): /, 'parameter "$1" ')
    .replace(/expected \w+, received undefined/, 'is required');
}

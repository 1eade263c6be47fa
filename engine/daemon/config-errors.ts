import type { z } from 'zod';
import { FOLDER_PREF_KEYS, PREF_KEYS, configFileSchema, sharedFolderSchema } from './config-schema.js';

/**
 * Turns zod issues into the one-line problems a person editing the config can fix:
 * "shared_folders[0].use_dth: unknown key (did you mean "use_dht"?)".
 */

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += (out ? '.' : '') + String(seg);
  }
  return out || '(top level)';
}

export function describeIssues(issues: ReadonlyArray<z.core.$ZodIssue>): string {
  const lines = issues.map(describeIssue);
  const more = lines.length > 1 ? ` (and ${lines.length - 1} more problem${lines.length > 2 ? 's' : ''})` : '';
  return lines[0] + more;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0];
    const where = formatPath([...issue.path, key]);
    return `${where}: unknown key${suggest(issue.path, key)}`;
  }
  const message = issue.message.replace(/^Invalid input: /, '');
  return `${formatPath(issue.path)}: ${message}`;
}

function keysAt(path: ReadonlyArray<PropertyKey>): string[] {
  if (path.length === 0) return Object.keys(configFileSchema.shape);
  if (path[0] === 'webui') return ['listen', 'login', 'password', 'api_key'];
  if (path[0] === 'folder_defaults') return [...FOLDER_PREF_KEYS];
  if (path[0] === 'shared_folders') return Object.keys(sharedFolderSchema.shape);
  return [];
}

function suggest(path: ReadonlyArray<PropertyKey>, key: string): string {
  // A per-folder switch at the top level is a common slip: it belongs in folder_defaults.
  if (path.length === 0 && (FOLDER_PREF_KEYS as string[]).includes(key)) {
    return ` (per-folder switches go in "folder_defaults" or in a "shared_folders" entry)`;
  }
  if (path.length > 0 && (PREF_KEYS as string[]).includes(key)) return ` ("${key}" is a top-level setting)`;
  let best: string | null = null;
  let bestDist = 3;
  for (const k of keysAt(path)) {
    const d = distance(key.toLowerCase(), k);
    if (d < bestDist) {
      best = k;
      bestDist = d;
    }
  }
  return best ? ` (did you mean "${best}"?)` : '';
}

/** Levenshtein distance; keys are short so the O(n*m) table is fine. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

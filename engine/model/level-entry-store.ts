import type { FolderStore } from '../index/store.js';
import { decodeEntry, encodeEntry, type Entry } from './entry.js';
import type { EntryStore } from './host.js';

/** The folder model's entries, kept in the LevelDB index store. */
export function levelEntryStore(store: FolderStore<Entry>): EntryStore {
  return {
    load: () => store.load(),
    save: (put) => store.putMany(put),
    clear: () => store.clear(),
    getMeta: (key) => store.getMeta(key),
    setMeta: (key, value) => store.setMeta(key, value),
  };
}

export const entryCodec = {
  key: (e: Entry) => e.record.path,
  encode: encodeEntry,
  decode: decodeEntry,
};

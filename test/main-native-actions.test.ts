import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { NATIVE_ACTION_NAMES, NATIVE_CHANNELS } from '../main/ipc-channels.js';
import { checkPathArg, createNativeHandlers, MAX_COPY_CHARS, type NativeFacade } from '../main/native-actions.js';
import { tempDir } from './helpers/engines.js';

function setup(synced: string[]) {
  const opened: string[] = [];
  const copied: string[] = [];
  let dialogResult = { canceled: false, filePaths: ['/picked/dir'] };
  const facade: NativeFacade = {
    openPath: async (p) => {
      opened.push(p);
      return '';
    },
    pickDirectory: async () => dialogResult,
    writeText: (t) => void copied.push(t),
    syncedFolders: async () => synced,
  };
  return { h: createNativeHandlers(facade), opened, copied, setDialog: (r: typeof dialogResult) => (dialogResult = r) };
}

test('the native channel set is small, fixed and namespaced', () => {
  assert.deepEqual([...NATIVE_ACTION_NAMES].sort(), ['copyText', 'openPath', 'pickFolder']);
  for (const name of NATIVE_ACTION_NAMES) assert.match(NATIVE_CHANNELS[name], /^shoal:native:[a-zA-Z]+$/);
});

test('openPath: only a synced folder or its .SyncArchive, and only directories', async () => {
  const root = tempDir('shoal-native-');
  const synced = path.join(root, 'Photos');
  const other = path.join(root, 'Other');
  fs.mkdirSync(path.join(synced, '.SyncArchive'), { recursive: true });
  fs.mkdirSync(path.join(synced, 'sub'));
  fs.mkdirSync(other);
  fs.writeFileSync(path.join(synced, 'run-me.sh'), '#!/bin/sh\n');
  fs.symlinkSync(other, path.join(root, 'link-to-other'));
  fs.symlinkSync(synced, path.join(root, 'link-to-photos'));
  const { h, opened } = setup([synced]);

  assert.deepEqual(await h.openPath(synced), { ok: true, value: null });
  assert.deepEqual(await h.openPath(path.join(synced, '.SyncArchive')), { ok: true, value: null });
  assert.deepEqual(await h.openPath(synced + '/./'), { ok: true, value: null }, 'normalised');
  assert.deepEqual(await h.openPath(path.join(root, 'link-to-photos')), { ok: true, value: null }, 'a symlink to the folder is the folder');
  assert.equal(opened.length, 4);

  const refused: [unknown[], string][] = [
    [[other], 'BAD_PATH'],
    [[path.join(synced, 'sub')], 'BAD_PATH'],
    [[path.join(synced, 'run-me.sh')], 'FOLDER_PATH_MISSING'],
    [[path.join(root, 'link-to-other')], 'BAD_PATH'],
    [[path.join(synced, '..', 'Other')], 'BAD_PATH'],
    [[path.join(root, 'missing')], 'FOLDER_PATH_MISSING'],
    [['Photos'], 'BAD_PATH'],
    [[''], 'BAD_PATH'],
    [[42], 'BAD_PATH'],
    [[{ toString: () => synced }], 'BAD_PATH'],
    [[synced + '\0'], 'BAD_PATH'],
    [['/' + 'a'.repeat(5000)], 'BAD_PATH'],
    [[], 'BAD_REQUEST'],
    [[synced, synced], 'BAD_REQUEST'],
  ];
  for (const [args, code] of refused) {
    const r = await h.openPath(...args);
    assert.equal(r.ok, false, `accepted ${JSON.stringify(args).slice(0, 80)}`);
    assert.equal(!r.ok && r.error.code, code, `wrong code for ${JSON.stringify(args).slice(0, 80)}`);
    assert.ok(!r.ok && typeof r.error.message === 'string' && r.error.message.length > 0);
  }
  assert.equal(opened.length, 4, 'nothing refused reached shell.openPath');
});

test('openPath: the shell failing comes back as a coded error', async () => {
  const dir = tempDir('shoal-native-');
  const h = createNativeHandlers({
    openPath: async () => 'No application knows how to open it',
    pickDirectory: async () => ({ canceled: true, filePaths: [] }),
    writeText: () => {},
    syncedFolders: async () => [dir],
  });
  const r = await h.openPath(dir);
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.error.code, 'IO_ERROR');
  assert.match(!r.ok ? r.error.message : '', /No application knows/);
});

test('Windows path rules: drive-absolute only, no UNC shares', () => {
  assert.deepEqual(checkPathArg(['C:\\Users\\ann\\Photos'], path.win32), { ok: true, value: 'C:\\Users\\ann\\Photos' });
  assert.equal(checkPathArg(['Users\\ann'], path.win32).ok, false);
  assert.equal(checkPathArg(['\\\\server\\share\\x'], path.win32).ok, false);
  assert.equal(checkPathArg(['//server/share/x'], path.win32).ok, false);
});

test('pickFolder: the chosen directory, null when cancelled, no arguments accepted', async () => {
  const { h, setDialog } = setup([]);
  assert.deepEqual(await h.pickFolder(), { ok: true, value: '/picked/dir' });
  setDialog({ canceled: true, filePaths: [] });
  assert.deepEqual(await h.pickFolder(), { ok: true, value: null });
  const r = await h.pickFolder('/etc');
  assert.equal(r.ok, false);
});

test('copyText: one string of sane length', async () => {
  const { h, copied } = setup([]);
  assert.deepEqual(await h.copyText('A3XYZ'), { ok: true, value: null });
  assert.deepEqual(copied, ['A3XYZ']);
  for (const args of [[], [1], [{}], ['a', 'b'], ['x'.repeat(MAX_COPY_CHARS + 1)]] as unknown[][]) {
    const r = await h.copyText(...args);
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.error.code, 'BAD_REQUEST');
  }
  assert.equal(copied.length, 1);
});

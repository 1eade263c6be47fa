/**
 * What the folder watcher costs while files land the way downloads land them (a `.!sync`
 * temp created, written, its mtime set, renamed onto the target), in many folders at once.
 * Another process writes the files; this one watches and reports the watcher's CPU time
 * per file until every target has been reported.
 *
 *   node --import tsx bench/watcher-echo.ts [--files 10000] [--dirs 110]
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { IgnoreRules } from '../engine/index/ignore.js';
import { FolderWatcher } from '../engine/index/watcher.js';

const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const FILES = arg('files', 10000);
const DIRS = arg('dirs', 110);

const WRITER = `
const fs = require('node:fs');
const [root, files, dirs] = process.argv.slice(1);
const data = Buffer.alloc(8192, 7);
for (let i = 0; i < +files; i++) {
  const dir = root + '/d' + (i % +dirs);
  const target = dir + '/f' + i + '.bin';
  const temp = dir + '/f' + i + '.bin.!sync';
  const fd = fs.openSync(temp, 'wx');
  fs.writeSync(fd, data);
  fs.futimesSync(fd, 1, 1);
  fs.closeSync(fd);
  fs.renameSync(temp, target);
}`;

async function main(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'watch-echo.'));
  for (let d = 0; d < DIRS; d++) fs.mkdirSync(path.join(root, `d${d}`));
  const w = new FolderWatcher({ root, rules: IgnoreRules.parse('') });
  await w.start();
  const seen = new Set<string>();
  let done!: () => void;
  const all = new Promise<void>((r) => (done = r));
  w.on('change', (rel) => {
    if (rel.endsWith('.bin')) seen.add(rel);
    if (seen.size === FILES) done();
  });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const child = spawn(process.execPath, ['-e', WRITER, root, String(FILES), String(DIRS)], { stdio: 'inherit' });
  const exited = new Promise((r) => child.once('exit', r));
  // Bounded: events lost to an overflowing inotify queue would otherwise hang the run.
  const timeout = new Promise<void>((r) => setTimeout(r, 60_000).unref());
  await Promise.race([all, timeout]);
  if (seen.size < FILES) console.log(`only ${seen.size} of ${FILES} files were reported within 60 s (inotify queue overflow?)`);
  const secs = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  console.log(
    `RESULT watcher_echo ${secs.toFixed(3)} s  watcher CPU ${cpuMs.toFixed(0)} ms = ${((cpuMs * 1000) / FILES).toFixed(1)} us/file ` +
      `(user ${(cpu.user / 1000).toFixed(0)} ms, system ${(cpu.system / 1000).toFixed(0)} ms; ${FILES} files in ${DIRS} folders)`,
  );
  await exited;
  await w.close();
  fs.rmSync(root, { recursive: true, force: true });
}

void main();

import fs from 'node:fs';
import { ShoalError } from '../errors.js';

/**
 * pid_file: lets init scripts find the daemon, and stops a second daemon from starting on
 * the same pid file (two engines on one storage_path would corrupt its database).
 */

export function writePidFile(file: string, pid = process.pid): void {
  const other = readPid(file);
  if (other !== null && other !== pid && isAlive(other)) {
    throw new ShoalError('BAD_CONFIG', `pid_file: ${file}: Shoal is already running as process ${other}.`);
  }
  try {
    fs.writeFileSync(file, `${pid}\n`, { mode: 0o644 });
  } catch (err) {
    throw new ShoalError('BAD_CONFIG', `pid_file: cannot write ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** Remove the pid file only if it is still ours (a newer daemon may have taken it over). */
export function removePidFile(file: string, pid = process.pid): void {
  if (readPid(file) !== pid) return;
  try {
    fs.unlinkSync(file);
  } catch {
    // already gone
  }
}

function readPid(file: string): number | null {
  try {
    const n = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

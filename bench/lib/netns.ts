/**
 * Loopback-only isolation, like the Syncthing anchor: when run as root, re-execute this
 * process inside a fresh network namespace whose only interface is `lo` (`unshare -n`, then
 * `ip link set lo up`). bench/run.sh does this once for the whole run and marks the child
 * with _SHOAL_BENCH_INNER=1, so running bench/shoal-pair.ts directly gets the same isolation.
 */
import { spawn, spawnSync } from 'node:child_process';
import os from 'node:os';
import { fail, log } from './log.js';

const INNER = '_SHOAL_BENCH_INNER';
const NETNS = '_SHOAL_BENCH_NETNS';

function canUnshare(): boolean {
  const ok = (cmd: string, args: string[]): boolean => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
  return ok('unshare', ['-n', 'true']) && ok('ip', ['-V']);
}

/**
 * Returns false when the caller should go on in this process; otherwise never returns (the
 * re-executed child runs the benchmark and this process exits with its status).
 */
export function maybeReexecInNetns(mode: 'auto' | '1' | '0'): boolean {
  if (process.env[INNER] === '1' || mode === '0') return false;
  const root = process.getuid?.() === 0;
  if (!root || !canUnshare()) {
    if (mode === '1') fail('BENCH_NETNS=1 but cannot create a network namespace (needs root, unshare, ip)');
    return false;
  }
  const argv = [process.execPath, ...process.execArgv, ...process.argv.slice(1)];
  const child = spawn('unshare', ['-n', '--', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"', ...argv], {
    stdio: 'inherit',
    env: { ...process.env, [INNER]: '1', [NETNS]: '1' },
  });
  // unshare -n (no --fork) and sh both exec: the child PID is the benchmark itself.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, sig) => process.exit(code ?? 128 + (sig ? os.constants.signals[sig] : 1)));
  child.on('error', (e) => {
    log(`unshare failed: ${e.message}`);
    process.exit(1);
  });
  return true;
}

/** Header note: where we run. */
export function netnsNote(): string {
  if (process.env[NETNS] !== '1') return 'host netns (config-only isolation)';
  // Not /sys/class/net: sysfs shows the namespace it was mounted in, not ours.
  const r = spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
  const names = (r.stdout ?? '')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(': ')[1] ?? '?')
    .join(' ');
  return `isolated netns, interfaces: ${names} `;
}

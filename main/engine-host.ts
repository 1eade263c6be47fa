import { parentPort as workerParentPort } from 'node:worker_threads';
import {
  electronParentLink,
  nodeIpcLink,
  parseHostArgs,
  startEngineHost,
  workerLink,
  type ElectronParentPort,
  type ParentLink,
} from './engine-host/host.js';

/**
 * Entry of the engine utility process (dist-electron/engine-host.js). Plain Node: Electron
 * main forks it with `utilityProcess.fork(file, ['--storage', dir])`; tests fork it with
 * child_process.fork. Exit codes: 0 after a clean stop, 1 when the engine failed, 2 for
 * bad arguments or no parent to talk to.
 */

function detectLink(): ParentLink | null {
  const electronPort = (process as NodeJS.Process & { parentPort?: ElectronParentPort }).parentPort;
  if (electronPort) return electronParentLink(electronPort);
  if (typeof process.send === 'function') return nodeIpcLink(process);
  if (workerParentPort) return workerLink(workerParentPort);
  return null;
}

async function main(): Promise<number> {
  let opts;
  try {
    opts = parseHostArgs(process.argv.slice(2), process.env);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  const link = detectLink();
  if (!link) {
    process.stderr.write('engine-host: no parent process to talk to (run by the Shoal app, not by hand)\n');
    return 2;
  }
  const host = await startEngineHost(link, opts);
  if (!host) return 1;
  process.on('uncaughtException', (err) => {
    host.log.error('Uncaught exception in the engine host', { error: err });
    process.exit(1);
  });
  // utilityProcess.kill() is SIGTERM on POSIX, and the supervisor only sends it when a clean
  // `shutdown` took too long: stop briefly, then go. A second signal exits at once.
  let signalled = false;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      if (signalled) process.exit(1);
      signalled = true;
      host.log.warn(`Stopping on ${sig}`);
      setTimeout(() => process.exit(1), 2000).unref();
      void host.stop();
    });
  }
  await host.closed;
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`engine-host: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);

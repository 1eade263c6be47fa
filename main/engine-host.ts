import { isMainThread, parentPort as workerParentPort } from 'node:worker_threads';
import { applyRuntimeV8Flags } from '../engine/process-tuning.js';
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

// The engine's V8 flags for this machine (engine/process-tuning.ts), before any engine code
// runs hot; a worker thread (tests) leaves the process's flags alone.
if (isMainThread) applyRuntimeV8Flags();

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
  // utilityProcess.kill() is SIGTERM on POSIX, and the supervisor only sends it when a clean
  // `shutdown` took too long: stop briefly, then go. A second signal exits at once. The
  // handlers come first: a signal right after 'ready' (sent from inside startEngineHost)
  // must not meet the default action, which kills without a clean stop.
  let host: Awaited<ReturnType<typeof startEngineHost>> | undefined;
  let signalled: NodeJS.Signals | null = null;
  const stopOn = (sig: NodeJS.Signals): void => {
    host?.log.warn(`Stopping on ${sig}`);
    void host?.stop();
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      if (signalled) process.exit(1);
      signalled = sig;
      setTimeout(() => process.exit(1), 2000).unref();
      if (host) stopOn(sig);
    });
  }
  host = await startEngineHost(link, opts);
  if (!host) return 1;
  const started = host;
  process.on('uncaughtException', (err) => {
    started.log.error('Uncaught exception in the engine host', { error: err });
    process.exit(1);
  });
  if (signalled) stopOn(signalled); // asked to stop while it was starting
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

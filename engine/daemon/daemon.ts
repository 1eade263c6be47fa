import { Engine } from '../engine.js';
import type { DaemonConfig } from './config.js';
import { loadConfigOrReport, runDaemonWith } from './lifecycle.js';

/**
 * `shoal --config FILE`: run the daemon in the foreground with the real Engine until it is
 * stopped (SIGINT/SIGTERM or the API's `shutdown`). Resolves to the process exit code;
 * a broken config prints `shoal: <file>: <problem>` and resolves to 1 at once.
 * `preloaded` lets the CLI pass a config it already validated (it checks before loading
 * the engine, so config errors are reported instantly).
 */
export async function runDaemon(configPath: string, preloaded?: DaemonConfig): Promise<number> {
  const config = preloaded ?? loadConfigOrReport(configPath);
  if (!config) return 1;
  return runDaemonWith(config, { createEngine: (opts) => Engine.create(opts) });
}

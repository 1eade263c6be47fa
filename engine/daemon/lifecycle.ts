import fs from 'node:fs';
import path from 'node:path';
import { ShoalError } from '../errors.js';
import { loadConfig, type DaemonConfig } from './config.js';
import { startHttpServer, type ApiServer, type Mount, type MountHandler } from './http.js';
import { FailureLimiter } from './http-guard.js';
import { FileLogger, type LogLevel, type Logger } from './log.js';
import { removePidFile, writePidFile } from './pidfile.js';
import type { DaemonEngine } from './types.js';
import type { WebUi, WebUiOptions } from './webui/webui.js';
import { CHACHA20_IMPL } from '../protocol/chacha20.js';
import { shoalVersion } from './version.js';

/**
 * The foreground daemon's life: storage dir, pid file, sync.log, engine, HTTP API, signals,
 * clean shutdown. The engine comes in through `createEngine` so this runs (and is tested)
 * without the real Engine; daemon.ts plugs the real one in.
 */

export interface DaemonDeps {
  createEngine(opts: { config: DaemonConfig; log: Logger }): Promise<DaemonEngine>;
  /** Foreground output; default process.stdout / process.stderr. */
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
  /** Install SIGINT/SIGTERM handlers (default true; tests turn it off). */
  handleSignals?: boolean;
  /** Extra HTTP mounts (tests). */
  mounts?: Record<string, MountHandler | Mount>;
  /**
   * The Web UI at /gui (webui/webui.ts), on by default; `rendererDir` replaces the built
   * renderer directory (tests serve a fixture), false leaves /gui out.
   */
  webUi?: false | { rendererDir?: string };
  /** Called once the API is up (tests use it to find the port). */
  onReady?(info: { url: string; engine: DaemonEngine }): void;
}

/** Load the config, or print `shoal: <file>: <problem>` and return null. */
export function loadConfigOrReport(file: string, stderr: NodeJS.WritableStream = process.stderr): DaemonConfig | null {
  try {
    return loadConfig(file);
  } catch (err) {
    if (!(err instanceof ShoalError)) throw err;
    stderr.write(`shoal: ${err.message}\n`);
    return null;
  }
}

/** Run until the engine stops (shutdown call or signal). Resolves to the process exit code. */
export async function runDaemonWith(config: DaemonConfig, deps: DaemonDeps): Promise<number> {
  const stdout = deps.stdout ?? process.stdout;
  const stderr = deps.stderr ?? process.stderr;
  const fail = (msg: string): number => {
    stderr.write(`shoal: ${msg}\n`);
    return 1;
  };

  try {
    fs.mkdirSync(config.storage_path, { recursive: true, mode: 0o700 });
  } catch (err) {
    return fail(`${config.file ?? 'config'}: storage_path: cannot create ${config.storage_path} (${(err as NodeJS.ErrnoException).code})`);
  }
  const log = new FileLogger({
    file: path.join(config.storage_path, 'sync.log'),
    maxBytes: config.log_size * 1024 * 1024,
    level: logLevelFromEnv(),
    echo: stderr,
  });
  const cleanups: (() => void | Promise<void>)[] = [() => log.close()];
  // Undo in reverse order; popping makes a second call (from the error path) a no-op.
  const cleanup = async () => {
    for (let fn = cleanups.pop(); fn; fn = cleanups.pop()) await fn();
  };

  try {
    if (config.pid_file) {
      writePidFile(config.pid_file);
      const pidFile = config.pid_file;
      cleanups.push(() => removePidFile(pidFile));
    }
    log.info('Shoal starting', { version: shoalVersion(), config: config.file, pid: process.pid, chacha20: CHACHA20_IMPL });

    const engine = await deps.createEngine({ config, log });
    let server: ApiServer;
    const limiter = new FailureLimiter();
    let webUi: WebUi | null = null;
    try {
      webUi = await startWebUi(deps, { target: engine, webui: config.webui, log, limiter });
      server = await startHttpServer({
        target: engine,
        webui: config.webui,
        log,
        limiter,
        mounts: { ...(webUi ? { '/gui': webUi.mount } : {}), ...deps.mounts },
        sessionAuth: webUi?.sessionAuth,
      });
    } catch (err) {
      await webUi?.mount.close?.();
      await engine.close();
      throw err;
    }
    cleanups.push(() => server.close());
    // Before telling anyone we are up: a signal sent on seeing that line must find the handler.
    const stopSignals = deps.handleSignals === false ? () => {} : onStopSignals(engine, log, stderr);
    cleanups.push(stopSignals);
    log.info('HTTP API listening', { url: server.url });
    stdout.write(`shoal: API listening on ${server.url}/api\n`);
    if (webUi) stdout.write(`shoal: Web UI at ${server.url}/gui/\n`);
    deps.onReady?.({ url: server.url, engine });

    await engine.closed;
    log.info('Daemon exiting');
    await cleanup();
    return 0;
  } catch (err) {
    const msg = err instanceof ShoalError ? err.message : `unexpected error: ${(err as Error)?.message ?? String(err)}`;
    log.error('Shoal failed to start', { error: err });
    await cleanup().catch(() => {});
    return fail(err instanceof ShoalError && err.code === 'BAD_CONFIG' && config.file ? `${config.file}: ${msg}` : msg);
  }
}

/** The Web UI, imported only when a daemon starts (it pulls in `ws`; `shoal --help` stays quick). */
async function startWebUi(deps: DaemonDeps, opts: Omit<WebUiOptions, 'rendererDir'>): Promise<WebUi | null> {
  if (deps.webUi === false) return null;
  const { createWebUi } = await import('./webui/webui.js');
  return createWebUi({ ...opts, rendererDir: deps.webUi?.rendererDir });
}

/** First SIGINT/SIGTERM: clean shutdown. A second one: the user means it, exit now. */
function onStopSignals(engine: DaemonEngine, log: Logger, stderr: NodeJS.WritableStream): () => void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      stderr.write(`shoal: ${signal} again, exiting without waiting\n`);
      process.exit(130);
    }
    stopping = true;
    log.info('Stopping on signal', { signal });
    engine.close().catch((err: unknown) => log.error('Error while stopping', { error: err }));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

function logLevelFromEnv(): LogLevel {
  const v = process.env.SHOAL_LOG_LEVEL;
  return v === 'debug' || v === 'info' || v === 'warn' || v === 'error' ? v : 'info';
}

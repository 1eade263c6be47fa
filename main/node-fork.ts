import { fork } from 'node:child_process';
import type { EngineChild, ForkFn } from './supervisor.js';

/**
 * A ForkFn over Node's child_process.fork (IPC channel, no port transfer). Used by tests to
 * prove the supervisor on real processes, and usable to supervise the engine host without
 * Electron. Electron main uses utilityProcess.fork instead (main/electron/engine.ts).
 */
export function nodeForkFn(script: string, args: readonly string[] = [], opts: { execArgv?: string[]; env?: NodeJS.ProcessEnv; silent?: boolean } = {}): ForkFn {
  return () => {
    const child = fork(script, [...args], {
      execArgv: opts.execArgv ?? [],
      env: opts.env ?? process.env,
      stdio: opts.silent ? ['ignore', 'ignore', 'pipe', 'ipc'] : ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    // Keep stderr drained when it is piped, or a chatty child blocks.
    child.stderr?.resume();
    const ec: EngineChild = {
      get pid() {
        return child.pid;
      },
      postMessage(message, transfer) {
        if (transfer && transfer.length > 0) throw new Error('child_process IPC cannot transfer ports');
        if (child.connected) child.send(message as never);
      },
      onMessage(fn) {
        child.on('message', fn);
      },
      onExit(fn) {
        child.once('exit', (code, signal) => fn(code, signal));
      },
      kill() {
        child.kill('SIGKILL');
      },
    };
    // An IPC write to a child that just died reports EPIPE on the child object.
    child.on('error', () => {});
    return ec;
  };
}

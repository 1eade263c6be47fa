import { utilityProcess, type MessagePortMain } from 'electron';
import { ENGINE_ENV, ENGINE_NODE_FLAGS } from '../../engine/process-tuning.js';
import type { EngineChild, ForkFn } from '../supervisor.js';

/** The supervisor's ForkFn over Electron's utilityProcess.fork (the engine host). */
export function utilityForkFn(script: string, args: readonly string[], log: (line: string) => void): ForkFn {
  return () => {
    // The same memory settings as the `shoal` command's (engine/process-tuning.ts).
    const child = utilityProcess.fork(script, [...args], {
      serviceName: 'Shoal Engine',
      stdio: 'pipe',
      env: { ...process.env, ...ENGINE_ENV },
      execArgv: [...ENGINE_NODE_FLAGS],
    });
    const pipe = (stream: NodeJS.ReadableStream | null) => {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        for (const line of chunk.split('\n')) if (line.trim()) log(line);
      });
    };
    pipe(child.stdout);
    pipe(child.stderr);
    const ec: EngineChild = {
      get pid() {
        return child.pid;
      },
      postMessage(message, transfer) {
        child.postMessage(message, transfer as MessagePortMain[] | undefined);
      },
      onMessage(fn) {
        child.on('message', fn);
      },
      onExit(fn) {
        child.once('exit', (code) => fn(code));
      },
      kill() {
        child.kill();
      },
    };
    return ec;
  };
}

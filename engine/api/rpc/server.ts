import type { z } from 'zod';
import { toErrorData, ShoalError, isProgrammerError } from '../../errors.js';
import type { ApiTarget } from '../../daemon/types.js';
import { formatPath } from '../../daemon/config-errors.js';
import { EVENT_NAMES, METHOD_NAMES, type MethodName } from '../contract.js';
import { methodParamSchemas } from '../params.js';
import { MAX_PENDING_CALLS, parseRpcMessage, type Channel, type RpcMessage } from './channel.js';

/**
 * The one generic server of the engine contract: answers calls arriving on a Channel and
 * forwards every engine event to it. Every incoming message is untrusted: its shape, the
 * method name and the params (zod) are checked before the engine is called, and failures
 * go back as `{ code, message }` data.
 */

export interface ServeOptions {
  /** Methods this transport may not call (e.g. the Web UI cannot `shutdown` the daemon). */
  deny?: readonly MethodName[];
  /** Where unexpected failures are reported (never sent to the caller). */
  onInternalError?(err: unknown, method: string): void;
}

export interface ServedChannel {
  /** Stop answering and stop forwarding events (does not close the channel). */
  stop(): void;
}

const KNOWN_METHODS: ReadonlySet<string> = new Set(METHOD_NAMES);

export function serveEngine(target: ApiTarget, channel: Channel, opts: ServeOptions = {}): ServedChannel {
  const deny = new Set<string>(opts.deny ?? []);
  let inFlight = 0;
  let stopped = false;

  // A send can fail (a value that cannot be cloned, a transport torn down under us); that
  // must never become an unhandled rejection that takes the whole engine process down.
  const send = (msg: RpcMessage): boolean => {
    if (stopped) return false;
    try {
      channel.send(msg);
      return true;
    } catch (err) {
      opts.onInternalError?.(err, msg.t === 'event' ? msg.name : 'send');
      return false;
    }
  };

  const unsubscribers = EVENT_NAMES.map((name) => target.on(name, (payload) => void send({ t: 'event', name, payload })));

  async function answer(id: number, method: string, params: unknown): Promise<void> {
    try {
      if (!KNOWN_METHODS.has(method)) throw new ShoalError('UNKNOWN_METHOD', `Unknown method "${method.slice(0, 64)}".`);
      if (deny.has(method)) throw new ShoalError('UNAUTHORIZED', `"${method}" cannot be called from here.`);
      const checked = methodParamSchemas[method as MethodName].safeParse(params);
      if (!checked.success) throw new ShoalError('BAD_REQUEST', `${method}: ${describeParamIssues(checked.error.issues)}`);
      const value = await target.call(method as MethodName, checked.data as never);
      if (!send({ t: 'result', id, value }) && !stopped) {
        send({ t: 'error', id, error: { code: 'INTERNAL', message: 'Internal error' } });
      }
    } catch (err) {
      if (!(err instanceof ShoalError) || isProgrammerError(err)) opts.onInternalError?.(err, method);
      send({ t: 'error', id, error: toErrorData(err) });
    }
  }

  const offMessage = channel.onMessage((raw) => {
    if (stopped) return;
    const msg = parseRpcMessage(raw);
    if (!msg || msg.t !== 'call') return; // only calls flow this way; anything else is dropped
    if (inFlight >= MAX_PENDING_CALLS) {
      send({ t: 'error', id: msg.id, error: { code: 'BAD_REQUEST', message: 'Too many calls in flight.' } });
      return;
    }
    inFlight++;
    void answer(msg.id, msg.method, msg.params).finally(() => inFlight--);
  });

  const stop = () => {
    if (stopped) return;
    stopped = true;
    offMessage();
    offClose();
    for (const off of unsubscribers) off();
  };
  const offClose = channel.onClose(stop);
  return { stop };
}

/**
 * Param problems as one line a caller can act on: "secret: expected string, received
 * undefined", `unknown parameter "secrte"`. (The config file's describer would suggest
 * config keys, which mean nothing to an RPC caller.)
 */
export function describeParamIssues(issues: ReadonlyArray<z.core.$ZodIssue>): string {
  const lines = issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const names = issue.keys.slice(0, 5).map((k) => `"${formatPath([...issue.path, k]).slice(0, 64)}"`);
      return `unknown parameter${names.length > 1 ? 's' : ''} ${names.join(', ')}`;
    }
    return `${issue.path.length ? formatPath(issue.path) : 'params'}: ${issue.message.replace(/^Invalid input: /, '')}`;
  });
  const more = lines.length > 1 ? ` (and ${lines.length - 1} more problem${lines.length > 2 ? 's' : ''})` : '';
  return lines[0] + more;
}

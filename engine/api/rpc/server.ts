import { toErrorData, ShoalError, isProgrammerError } from '../../errors.js';
import type { ApiTarget } from '../../daemon/types.js';
import { describeIssues } from '../../daemon/config-errors.js';
import { EVENT_NAMES, METHOD_NAMES, type MethodName } from '../contract.js';
import { methodParamSchemas } from '../params.js';
import { MAX_PENDING_CALLS, parseRpcMessage, type Channel } from './channel.js';

/**
 * The one generic server of the engine contract: answers calls arriving on a Channel and
 * forwards every engine event to it. Every incoming message is untrusted: its shape, the
 * method name and the params (zod) are checked before the engine is called, and failures
 * go back as `{ code, message }` data.
 */

export interface ServeOptions {
  /** Methods this transport may not call (e.g. the Web UI cannot `shutdown` a desktop app's engine). */
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

  const unsubscribers = EVENT_NAMES.map((name) =>
    target.on(name, (payload) => {
      if (!stopped) channel.send({ t: 'event', name, payload });
    }),
  );

  async function answer(id: number, method: string, params: unknown): Promise<void> {
    try {
      if (!KNOWN_METHODS.has(method)) throw new ShoalError('UNKNOWN_METHOD', `Unknown method "${method.slice(0, 64)}".`);
      if (deny.has(method)) throw new ShoalError('UNAUTHORIZED', `"${method}" cannot be called from here.`);
      const checked = methodParamSchemas[method as MethodName].safeParse(params);
      if (!checked.success) throw new ShoalError('BAD_REQUEST', `${method}: ${describeIssues(checked.error.issues)}`);
      const value = await target.call(method as MethodName, checked.data as never);
      if (!stopped) channel.send({ t: 'result', id, value });
    } catch (err) {
      if (!(err instanceof ShoalError) || isProgrammerError(err)) opts.onInternalError?.(err, method);
      if (!stopped) channel.send({ t: 'error', id, error: toErrorData(err) });
    }
  }

  const offMessage = channel.onMessage((raw) => {
    if (stopped) return;
    const msg = parseRpcMessage(raw);
    if (!msg || msg.t !== 'call') return; // only calls flow this way; anything else is dropped
    if (inFlight >= MAX_PENDING_CALLS) {
      channel.send({ t: 'error', id: msg.id, error: { code: 'BAD_REQUEST', message: 'Too many calls in flight.' } });
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

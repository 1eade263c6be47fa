import type { EngineEvents, EventName, MethodName, MethodParams, MethodResult } from '../api/contract.js';

/**
 * What the HTTP API (and any other transport) needs from the engine: the typed contract's
 * `call` and `on`, nothing else. Depending on this instead of `Engine` keeps the server
 * testable with a small fake and keeps transports from reaching into engine internals.
 */
export interface ApiTarget {
  call<M extends MethodName>(method: M, params: MethodParams<M>): Promise<MethodResult<M>>;
  on<E extends EventName>(event: E, fn: (payload: EngineEvents[E]) => void): () => void;
}

/** What the daemon lifecycle needs from the engine on top of the API (Engine satisfies it). */
export interface DaemonEngine extends ApiTarget {
  close(): Promise<void>;
  /** Resolves once the engine has stopped, whether by close() or by a `shutdown` call. */
  readonly closed: Promise<void>;
}

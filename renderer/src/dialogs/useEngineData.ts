import { useEffect, useState } from 'react';
import type { MethodName, MethodParams, MethodResult } from '../../../engine/api/contract.js';
import type { ErrorData } from '../../../engine/api/error-data.js';
import { useBridge } from '../state/hooks.js';

/**
 * One engine call's answer for a dialog, fetched on open and again whenever `deps` change
 * (the dialog passes store values that events update, so this follows events; no polling).
 * The last good value stays on screen while a refetch is in flight.
 */
export function useEngineData<M extends MethodName>(method: M, params: MethodParams<M>, deps: readonly unknown[]): { value: MethodResult<M> | null; error: ErrorData | null } {
  const bridge = useBridge();
  const [state, setState] = useState<{ value: MethodResult<M> | null; error: ErrorData | null }>({ value: null, error: null });
  const key = JSON.stringify(params);
  useEffect(() => {
    let live = true;
    void bridge.call(method, params).then((out) => {
      if (!live) return;
      setState((s) => (out.ok ? { value: out.value, error: null } : { value: s.value, error: out.error }));
    });
    return () => {
      live = false;
    };
    // `params` is compared by its JSON (`key`); `deps` are the caller's refetch triggers.
  }, [bridge, method, key, ...deps]);
  return state;
}

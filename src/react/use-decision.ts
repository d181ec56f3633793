/**
 * useDecision: the fallback renders first (on the server and on the first client render), then
 * the decision replaces it. The hook renders the same element type either way, so the app keeps
 * its layout; only which item fills it changes.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import type { Decision } from '../../worker/types.js';
import type { InsituClient } from '../types.js';
import { useInsitu } from './context.js';

export interface UseDecisionOptions {
  /** Shown until the decision arrives, and if none does. Default: the first candidate. */
  fallback?: string;
  /** Deadline for decide(); past it the client answers with the fallback (logged as such). */
  timeoutMs?: number;
  /** Numeric context features (never sent home). Compared by value, like the candidates. */
  context?: Record<string, number>;
}

export interface DecisionState {
  /** The decision once it has arrived for the current placement, candidates and options. */
  decision: Decision | undefined;
  /** What to render now: the decision's item, or the fallback until then. */
  itemId: string;
  /** True while a decision is on its way (false without a client: nothing will arrive). */
  loading: boolean;
}

interface Settled {
  client: InsituClient;
  requestKey: string;
  decision: Decision | undefined;
}

interface InFlight {
  client: InsituClient;
  requestKey: string;
  promise: Promise<Decision>;
}

/**
 * A key for everything that changes the answer. Candidate arrays are compared by value: apps
 * write `useDecision('hero', ['a', 'b'])` inline, which is a new array on every render. JSON
 * keeps ids that contain a separator character distinct.
 */
function requestKeyOf(placement: string, candidates: readonly string[], options: UseDecisionOptions): string {
  const context = options.context ? Object.entries(options.context).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) : null;
  return JSON.stringify([placement, candidates, options.fallback ?? null, options.timeoutMs ?? null, context]);
}

export function useDecision(placement: string, candidates: readonly string[], options: UseDecisionOptions = {}): DecisionState {
  const client = useInsitu();
  const requestKey = requestKeyOf(placement, candidates, options);
  // The values behind the key, kept only when the key changes so the effect sees one request per key.
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const request = useMemo(() => ({ placement, candidates: [...candidates], ...options }), [requestKey]);
  const fallback = request.fallback ?? request.candidates[0] ?? '';
  const [settled, setSettled] = useState<Settled | undefined>(undefined);
  // Survives StrictMode's simulated unmount/remount (the fiber and its refs are kept), so a
  // development double effect reuses the call instead of logging a second, never-shown decision.
  const inFlight = useRef<InFlight | undefined>(undefined);

  useEffect(() => {
    if (!client) return;
    let current = true;
    if (inFlight.current?.requestKey !== requestKey || inFlight.current.client !== client) {
      const { placement: p, candidates: c, fallback: f, timeoutMs, context } = request;
      inFlight.current = {
        client,
        requestKey,
        promise: client.decide(p, {
          candidates: c,
          ...(f !== undefined ? { fallback: f } : {}),
          ...(timeoutMs !== undefined ? { timeoutMs } : {}),
          ...(context !== undefined ? { context } : {}),
        }),
      };
    }
    inFlight.current.promise.then(
      (decision) => {
        if (current) setSettled({ client, requestKey, decision });
      },
      // decide() resolves with the fallback on a deadline; a rejection (client destroyed) leaves the fallback shown.
      () => {
        if (current) setSettled({ client, requestKey, decision: undefined });
      },
    );
    return () => {
      // A result for an unmounted component or an older candidate list must never be shown.
      current = false;
    };
  }, [client, requestKey, request]);

  const arrived = settled?.requestKey === requestKey && settled.client === client ? settled : undefined;
  return {
    decision: arrived?.decision,
    itemId: arrived?.decision?.itemId ?? fallback,
    loading: client !== undefined && arrived === undefined,
  };
}

/**
 * useConsent: the consent state as React state, read through useSyncExternalStore so a change
 * made anywhere (a banner, a TCF CMP, another tab's forget) re-renders every reader at once.
 */
import { useCallback, useRef, useSyncExternalStore } from 'react';
import { InsituError } from '../../worker/errors.js';
import { PENDING_CONSENT, PURPOSES, type ConsentState, type ConsentValue, type Purpose } from '../../worker/types.js';
import { useInsitu } from './context.js';

export type SetConsent = (update: Partial<Record<Purpose, ConsentValue>>) => Promise<void>;

const noSubscription = (): (() => void) => () => undefined;
/** A server render (and hydration) cannot know the device's consent: it renders as pending. */
const serverSnapshot = (): ConsentState => PENDING_CONSENT;

function sameConsent(a: ConsentState, b: ConsentState): boolean {
  return PURPOSES.every((purpose) => a[purpose] === b[purpose]);
}

export function useConsent(): readonly [ConsentState, SetConsent] {
  const client = useInsitu();
  // useSyncExternalStore needs the same object for an unchanged state, or it re-renders forever;
  // ConsentController.get() may build a fresh object on every call.
  const last = useRef<ConsentState>(PENDING_CONSENT);
  const getSnapshot = useCallback((): ConsentState => {
    if (!client) return PENDING_CONSENT;
    const next = client.consent.get();
    if (!sameConsent(last.current, next)) last.current = Object.freeze({ ...next });
    return last.current;
  }, [client]);
  const subscribe = useCallback((onChange: () => void) => (client ? client.consent.subscribe(onChange) : noSubscription()), [client]);
  const state = useSyncExternalStore(subscribe, getSnapshot, serverSnapshot);

  const set = useCallback<SetConsent>(
    (update) =>
      client
        ? client.consent.set(update)
        : // A consent choice must never be dropped silently: the caller learns it was not applied.
          Promise.reject(new InsituError('worker_unavailable', 'useConsent() has no client: wrap the app in <InsituProvider client={...}>')),
    [client],
  );
  return [state, set] as const;
}

import { useCallback } from 'react';
import type { InsituError } from '../../worker/errors.js';
import type { EventType, TrackInput } from '../../worker/types.js';
import { useInsitu } from './context.js';

export type TrackFunction = (type: EventType, input?: TrackInput) => InsituError | undefined;

/**
 * A track function that keeps its identity while the client does, so it can sit in dependency
 * arrays and props of memoised children. Without a client (server render, no provider) it does nothing.
 */
export function useTrack(): TrackFunction {
  const client = useInsitu();
  return useCallback<TrackFunction>((type, input) => client?.track(type, input), [client]);
}

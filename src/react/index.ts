/**
 * insitu/react: a provider and hooks over an InsituClient. Importing this module touches no
 * browser global, so it is safe in server renders; without a client every hook renders the fallback.
 * React (>= 18) is a peer dependency.
 */
export { InsituProvider, useInsitu, type InsituProviderProps } from './context.js';
export { useDecision, type DecisionState, type UseDecisionOptions } from './use-decision.js';
export { useTrack, type TrackFunction } from './use-track.js';
export { useConsent, type SetConsent } from './use-consent.js';

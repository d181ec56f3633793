/**
 * A decision as the page sees it and as the device logs it: the page gets it without the
 * per-candidate arrays, and a decision the page made itself (a deadline fallback) is logged with
 * them, as its own policy, so evaluating the learned policy stays unbiased. Shared by the worker
 * service and the React Native client, which runs the engine inline.
 */
import type { Decision, DecisionRecord } from './types.js';

/** The page-facing decision: the per-candidate arrays stay in the device's log. */
export function publicDecision(record: DecisionRecord): Decision {
  const { decisionId, placement, itemId, propensity, exploring, policy, reasons, ts } = record;
  return { decisionId, placement, itemId, propensity, exploring, policy, reasons, ts };
}

/** The log record of a fallback the page showed over `candidates`: its item with probability 1, no scores. */
export function fallbackRecord(decision: Decision, candidates: readonly string[]): DecisionRecord {
  return {
    ...decision,
    candidates: [...candidates],
    scores: candidates.map(() => 0),
    probabilities: candidates.map((id) => (id === decision.itemId ? 1 : 0)),
  };
}

/**
 * The personalizer's stored state: versioned JSON with a checksum over its body. Everything is
 * keyed by item id and feature key (never by position), so state survives catalog updates.
 * `parseState` rejects anything malformed, oversized or altered with InsituError('invalid_argument');
 * the profile is a rebuildable cache, so the caller starts clean rather than trusting it.
 * The checksum catches corruption and hand edits; it is not a signature (the device owns its data).
 */
import { InsituError } from '../errors.js';
import type { DecisionRecord } from '../types.js';
import { MAX_CAP_ENTRIES, type CapEntry } from './caps.js';
import { MAX_ID_LENGTH } from './catalog.js';
import { MAX_TRAINING_EXAMPLES, SECOND_ORDER_MAX_DIM } from './content-model.js';
import { MAX_CONTEXT_KEYS } from './features.js';
import { hashString } from './hash.js';
import { MAX_PROFILE_ITEMS, MAX_SEEN_ITEMS } from './profile.js';
import type { Driver } from './reasons.js';

export const STATE_FORMAT = 'insitu.personalizer';
/** 2: forgetting by time (examples carry their time), context crosses, the embedding precision. */
export const STATE_VERSION = 2;
/** Feature weights stored: every tag of a large catalog plus the hashed and embedding features. */
export const MAX_STATE_WEIGHTS = 20_000;
/** Recent decisions kept across reloads, for reward() and explain() after a page reload. */
export const MAX_STATE_DECISIONS = 50;
/**
 * Alternatives kept with each stored decision, best first (the chosen item always among them).
 * The full slate is in the decision log; the state is written once a second, and 50 decisions
 * over 50 candidates each were two thirds of its bytes (and of the time to checksum it).
 */
export const MAX_STATE_ALTERNATIVES = 10;
/** Impressions waiting for a click before they count as negatives. */
export const MAX_PENDING_IMPRESSIONS = 64;
/** Items whose last positive event time is remembered (to avoid learning one click twice). */
export const MAX_RECENT_POSITIVES = 256;
/** Muted tags: a person mutes a handful; the bound only stops abuse. */
export const MAX_MUTED_TAGS = 200;
/** Candidates in one decision (the engine's bound on a placement). */
export const MAX_DECIDE_CANDIDATES = 1_000;
/** Reasons and drivers are short lists of short strings. */
const MAX_REASONS = 20;
const MAX_TEXT = 1_000;

/** A context feature as stored: [key hash, value]. */
export type StoredContext = Array<[hash: number, value: number]>;
/** A training example as stored; `contrasted` is absent in state saved before decision outcomes went uncontrasted. */
export type StoredExample = [itemId: string, label: 0 | 1, weight: number, seq: number, ts: number, contrasted?: boolean];
export type PendingImpression = [itemId: string, placement: string, ts: number, decisionId: string | null, context: StoredContext];

export interface StoredDecision {
  record: DecisionRecord;
  drivers: Driver[];
  rewarded: boolean;
  /** The context it was decided in: a reward teaches the context crosses in it. */
  context: StoredContext;
}

export interface PersonalizerStateBody {
  weights: Array<[string, number]>;
  bias: number;
  /** Tag weights one and two trend windows ago (affinity trends compare against the older one). */
  trendBase: Array<[string, number]>;
  trendNext: Array<[string, number]>;
  trendSeq: number;
  profile: Array<[string, number]>;
  seen: string[];
  examples: StoredExample[];
  pending: PendingImpression[];
  positives: Array<[string, number]>;
  caps: CapEntry[];
  decisions: StoredDecision[];
  muted: string[];
  seq: number;
  /** The embedding block's precision matrix, row-major (empty when SGD learns it). */
  precision: number[];
  /** Learning events seen, decayed with the half-life. */
  evidence: number;
  /** The calibrated neighbour weight and its precision (absent in state saved before calibration). */
  neighbourWeight?: [weight: number, precision: number];
  /** The time forgetting was applied up to (null before the first learning event). */
  forgottenAt: number | null;
}

export interface PersonalizerState {
  format: typeof STATE_FORMAT;
  version: typeof STATE_VERSION;
  checksum: string;
  body: PersonalizerStateBody;
}

/**
 * A held decision as the state stores it: its best MAX_STATE_ALTERNATIVES candidates by score
 * (the chosen one always kept), in their original order. reward() needs none of the slate;
 * explain() after a reload lists these alternatives.
 */
export function storedDecision(held: StoredDecision): StoredDecision {
  const { record } = held;
  if (record.candidates.length <= MAX_STATE_ALTERNATIVES) return held;
  const chosen = record.candidates.indexOf(record.itemId);
  const best = record.candidates
    .map((_, i) => i)
    .filter((i) => i !== chosen)
    .sort((a, b) => record.scores[b]! - record.scores[a]! || a - b)
    .slice(0, chosen >= 0 ? MAX_STATE_ALTERNATIVES - 1 : MAX_STATE_ALTERNATIVES);
  const kept = (chosen >= 0 ? [chosen, ...best] : best).sort((a, b) => a - b);
  return {
    ...held,
    record: {
      ...record,
      candidates: kept.map((i) => record.candidates[i]!),
      scores: kept.map((i) => record.scores[i]!),
      probabilities: kept.map((i) => record.probabilities[i]!),
    },
  };
}

export function checksumOf(body: PersonalizerStateBody): string {
  return hashString(JSON.stringify(body)).toString(16).padStart(8, '0');
}

export function sealState(body: PersonalizerStateBody): PersonalizerState {
  return { format: STATE_FORMAT, version: STATE_VERSION, checksum: checksumOf(body), body };
}

class StateError extends InsituError {
  constructor(why: string) {
    super('invalid_argument', `personalizer state rejected: ${why}`);
  }
}

const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isId = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= MAX_ID_LENGTH;
const isText = (v: unknown): v is string => typeof v === 'string' && v.length <= MAX_TEXT;

/** At most MAX_CONTEXT_KEYS [uint32 hash, finite value] pairs. */
function isStoredContext(value: unknown): boolean {
  return (
    Array.isArray(value) &&
    value.length <= MAX_CONTEXT_KEYS &&
    value.every((c) => Array.isArray(c) && c.length === 2 && Number.isInteger(c[0]) && c[0] >= 0 && c[0] <= 0xffffffff && isFiniteNumber(c[1]))
  );
}

function boundedArray(value: unknown, max: number, name: string): unknown[] {
  if (!Array.isArray(value)) throw new StateError(`${name} must be an array`);
  if (value.length > max) throw new StateError(`${name} holds ${value.length} entries; at most ${max}`);
  return value;
}

function tuple(value: unknown, checks: Array<(v: unknown) => boolean>, name: string): void {
  if (!Array.isArray(value) || value.length !== checks.length || !checks.every((check, i) => check(value[i]))) {
    throw new StateError(`malformed ${name} entry`);
  }
}

function checkDecision(value: unknown): void {
  if (typeof value !== 'object' || value === null) throw new StateError('malformed decision');
  const { record, drivers, rewarded, context } = value as Record<string, unknown>;
  if (typeof rewarded !== 'boolean' || typeof record !== 'object' || record === null || !isStoredContext(context)) throw new StateError('malformed decision');
  const r = record as Record<string, unknown>;
  const policies = ['personalized', 'holdout', 'fallback', 'default', 'pinned'];
  const ok =
    isId(r.decisionId) &&
    isText(r.placement) &&
    isId(r.itemId) &&
    isFiniteNumber(r.propensity) &&
    r.propensity >= 0 &&
    r.propensity <= 1 &&
    typeof r.exploring === 'boolean' &&
    policies.includes(r.policy as string) &&
    isFiniteNumber(r.ts) &&
    (r.reward === undefined || isFiniteNumber(r.reward)) &&
    (r.rewardedAt === undefined || isFiniteNumber(r.rewardedAt));
  if (!ok) throw new StateError('malformed decision record');
  const candidates = boundedArray(r.candidates, MAX_DECIDE_CANDIDATES, 'decision candidates');
  const scores = boundedArray(r.scores, MAX_DECIDE_CANDIDATES, 'decision scores');
  const probabilities = boundedArray(r.probabilities, MAX_DECIDE_CANDIDATES, 'decision probabilities');
  if (!candidates.every(isId) || !scores.every(isFiniteNumber) || !probabilities.every((p) => isFiniteNumber(p) && p >= 0 && p <= 1)) {
    throw new StateError('malformed decision candidates');
  }
  if (scores.length !== candidates.length || probabilities.length !== candidates.length) throw new StateError('decision arrays differ in length');
  if (!boundedArray(r.reasons, MAX_REASONS, 'reasons').every(isText)) throw new StateError('malformed reasons');
  for (const driver of boundedArray(drivers, MAX_REASONS, 'drivers')) {
    const d = driver as Record<string, unknown>;
    if (typeof d !== 'object' || d === null || !['tag', 'neighbour', 'popularity', 'embedding', 'context'].includes(d.kind as string) || !isText(d.label) || !isFiniteNumber(d.weight)) {
      throw new StateError('malformed driver');
    }
  }
}

/** Validate stored state; returns its body or throws InsituError('invalid_argument'). */
export function parseState(state: unknown): PersonalizerStateBody {
  if (typeof state !== 'object' || state === null) throw new StateError('not an object');
  const { format, version, checksum, body } = state as Record<string, unknown>;
  if (format !== STATE_FORMAT) throw new StateError('unknown format');
  if (version !== STATE_VERSION) throw new StateError(`version ${String(version)} is not ${STATE_VERSION}`);
  if (typeof body !== 'object' || body === null) throw new StateError('missing body');
  if (typeof checksum !== 'string' || checksum !== checksumOf(body as PersonalizerStateBody)) throw new StateError('checksum mismatch (altered or corrupted)');
  const b = body as Record<string, unknown>;
  const weight = (v: unknown) => isFiniteNumber(v) && Math.abs(v) <= 1e6;
  for (const entry of boundedArray(b.weights, MAX_STATE_WEIGHTS, 'weights')) tuple(entry, [isText, weight], 'weight');
  for (const entry of boundedArray(b.trendBase, MAX_STATE_WEIGHTS, 'trendBase')) tuple(entry, [isText, weight], 'trend');
  for (const entry of boundedArray(b.trendNext, MAX_STATE_WEIGHTS, 'trendNext')) tuple(entry, [isText, weight], 'trend');
  if (!weight(b.bias) || !isFiniteNumber(b.trendSeq) || !isFiniteNumber(b.seq) || !isFiniteNumber(b.evidence) || (b.seq as number) < 0 || (b.evidence as number) < 0) {
    throw new StateError('malformed counters');
  }
  if (b.forgottenAt !== null && !isFiniteNumber(b.forgottenAt)) throw new StateError('malformed forgetting time');
  if (b.neighbourWeight !== undefined) tuple(b.neighbourWeight, [(v) => weight(v) && (v as number) >= 0, (v) => weight(v) && (v as number) > 0], 'neighbour weight');
  const precision = boundedArray(b.precision, SECOND_ORDER_MAX_DIM * SECOND_ORDER_MAX_DIM, 'precision');
  if (!precision.every((v) => weight(v)) || !Number.isInteger(Math.sqrt(precision.length))) throw new StateError('malformed embedding precision');
  const nonNegative = (v: unknown) => isFiniteNumber(v) && v >= 0;
  for (const entry of boundedArray(b.profile, MAX_PROFILE_ITEMS, 'profile')) tuple(entry, [isId, nonNegative], 'profile');
  if (!boundedArray(b.seen, MAX_SEEN_ITEMS, 'seen').every(isId)) throw new StateError('malformed seen items');
  const example = [isId, (v: unknown) => v === 0 || v === 1, nonNegative, nonNegative, isFiniteNumber];
  for (const entry of boundedArray(b.examples, MAX_TRAINING_EXAMPLES, 'examples')) {
    tuple(entry, Array.isArray(entry) && entry.length === 6 ? [...example, (v: unknown) => typeof v === 'boolean'] : example, 'example');
  }
  for (const entry of boundedArray(b.pending, MAX_PENDING_IMPRESSIONS, 'pending')) tuple(entry, [isId, isText, isFiniteNumber, (v) => v === null || isId(v), isStoredContext], 'pending');
  for (const entry of boundedArray(b.positives, MAX_RECENT_POSITIVES, 'positives')) tuple(entry, [isId, isFiniteNumber], 'positive');
  for (const entry of boundedArray(b.caps, MAX_CAP_ENTRIES, 'caps')) {
    tuple(entry, [isText, isId, (v) => Array.isArray(v) && v.length <= 16 && v.every(isFiniteNumber)], 'cap');
  }
  for (const decision of boundedArray(b.decisions, MAX_STATE_DECISIONS, 'decisions')) checkDecision(decision);
  if (!boundedArray(b.muted, MAX_MUTED_TAGS, 'muted').every(isId)) throw new StateError('malformed muted tags');
  return body as PersonalizerStateBody;
}

/**
 * The contracts between the engine (worker/engine.ts) and its parts. Each part is a pure,
 * synchronous module with JSON-serialisable state; the engine owns consent, storage and timing.
 */
import type { InsituError } from './errors.js';
import type { DeliveryResult } from './report/delivery.js';
import type { ReporterConfig } from './report/index.js';
import type { ReportingState } from './reporting-slot.js';
import type {
  CatalogItem,
  Clock,
  ConsentState,
  DecideRequest,
  DecisionRecord,
  InsituEvent,
  OutboxEntry,
  Priors,
  ProfileStore,
  RandomSource,
  RankedItem,
  Scheduler,
  StoreStatus,
  StoredData,
} from './types.js';

// ---------------------------------------------------------------------------------------------
// Personalizer: affinity model + bandit (worker/decide/)

export interface PersonalizerOptions {
  catalog: CatalogItem[];
  priors?: Priors;
  random: RandomSource;
  clock: Clock;
  /** Read on every call: the `sensitive` purpose decides whether sensitive items may be learned from. */
  consent: () => ConsentState;
  /** This device is in the holdout arm: decide() uses the non-personalized default policy. */
  inHoldout: boolean;
  /** Forgetting half-life of the learned model, in days (default DEFAULT_HALF_LIFE_DAYS). */
  halfLifeDays?: number;
}

export interface Explanation {
  decisionId: string;
  itemId: string;
  policy: DecisionRecord['policy'];
  exploring: boolean;
  propensity: number;
  reasons: string[];
  /** The candidates with their scores and probabilities, best first. */
  alternatives: Array<{ itemId: string; score: number; probability: number }>;
  /** What drove the score: tags, neighbours, popularity, with their contribution. */
  drivers: Array<{ kind: 'tag' | 'neighbour' | 'popularity' | 'embedding' | 'context'; label: string; weight: number }>;
}

export interface Affinity {
  tag: string;
  weight: number;
  /** Change over the last window (positive: growing). */
  trend: number;
}

export interface Personalizer {
  /** Learn from events (views, clicks, impressions without clicks, dwell, convert). */
  observe(events: InsituEvent[]): void;
  /** Score candidates, best first; `k` trims the list. Deterministic, no exploration. */
  rank(request: DecideRequest & { k?: number }): RankedItem[];
  /** Choose one candidate with an exact propensity. Throws InsituError('no_candidates'). */
  decide(request: DecideRequest): DecisionRecord;
  /** Credit a decision; false when the id is unknown or already rewarded. */
  reward(decisionId: string, value: number): boolean;
  /** Undo a decision the page never showed (it answered after its deadline): no show counted, nothing to learn. */
  withdraw(decisionId: string): void;
  explain(decisionId: string): Explanation | undefined;
  mute(tag: string): void;
  unmute(tag: string): void;
  affinities(limit?: number): Affinity[];
  setCatalog(items: CatalogItem[]): void;
  setPriors(priors: Priors | undefined): void;
  /** JSON-serialisable state (model weights, bandit, recent decisions) for the store. */
  exportState(): unknown;
  /** Restore state read back from storage; tampered or old state is rejected with InsituError, leaving a clean start. */
  importState(state: unknown): void;
  /** Train the tfjs model on the events seen so far (lazy: loads tfjs on first call). */
  train(): Promise<void>;
  /**
   * Compile up to `count` catalog items' features not compiled yet (each compiles on first use
   * otherwise); true once every item's are. The engine calls it in idle steps after the first
   * decision, so later decisions and the first learning step do not pay for it.
   */
  compileAhead(count: number): boolean;
  /** Forget everything learned (consent withdrawn or forget()). */
  reset(): void;
}

// ---------------------------------------------------------------------------------------------
// Reporter: aggregate metrics under local differential privacy (worker/report/)

/** How a report leaves the device. The worker implements it with fetch; tests with a fake. */
export interface Transport {
  send(url: string, body: string, options: { keepalive: boolean; idempotencyKey: string }): Promise<{ status: number; retryAfterMs?: number }>;
}

// ---------------------------------------------------------------------------------------------
// Engine: the composition the worker, React Native and Node run

export interface EngineOptions {
  catalog?: CatalogItem[];
  priors?: Priors;
  /**
   * The persistent store, opened only once `personalization` is granted. While consent is pending
   * the engine keeps everything in memory and writes nothing; a denial erases this store.
   */
  openStore?: () => Promise<ProfileStore>;
  /** Initial consent. Default: every purpose pending. */
  consent?: ConsentState;
  seed?: number;
  clock?: Clock;
  random?: RandomSource;
  scheduler?: Scheduler;
  transport?: Transport;
  /** Where aggregate reports go (only with `metrics` granted). */
  collectorUrl?: string;
  /** Stable fraction of devices in the holdout arm (default 0.05). */
  holdoutFraction?: number;
  /** Forgetting half-life of the learned model, in days (default 90): taste this old counts half. */
  halfLifeDays?: number;
  /** Reporting settings: declared placements, period, epsilon (worker/report/index.ts). */
  report?: ReporterConfig;
  /**
   * Randomness for report ids and noise. Must be unpredictable in production (the worker seeds it
   * from crypto): two devices with one seed would send identical ids and noise.
   */
  reportRandom?: RandomSource;
  /** The site's rules (worker/rules: eligibility, pins, caps, fallback per placement), as JSON. */
  rules?: unknown;
  /** Weight of diversity when ranking a shelf (`rank` with k > 1), 0..1. Default 0: pure relevance. */
  diversity?: number;
  /** Minutes from local time to UTC at a moment (`Date#getTimezoneOffset()`), for the time-of-day signals. */
  timezoneOffset?: (now: number) => number;
}

export interface EngineStatus {
  consent: ConsentState;
  storage: StoreStatus;
  /** Events held only in memory (pending consent or storage down). */
  pendingEvents: number;
  storedEvents: number;
  model: 'snapshot' | 'tfjs' | 'none';
  /**
   * The reporting code, which the worker loads after the first decision: `deferred` until then,
   * `failed` with the reason when its import failed (the engine decides on without reports).
   */
  reporting: { state: ReportingState; reason?: string; droppedObservations?: number };
  /** The site's rules were refused (invalid, or their code could not load): the engine decides without them. */
  rulesRefused?: { code: string; message: string };
}

/** One report this device sent (or tried to send) home, with its full body: the audit trail. */
export interface SentReport {
  url: string;
  body: string;
  status: number;
  at: number;
  idempotencyKey: string;
}

export interface EngineExport extends StoredData {
  /** What is held in memory and not (yet) stored. */
  memory: { events: InsituEvent[] };
  consent: ConsentState;
  affinities: Affinity[];
  /** Every request this device made to the collector, newest last (empty when none). */
  sent: SentReport[];
  /** Behavioural signals computed on the device (engagement, journey stage); never sent as such. */
  signals?: Record<string, unknown>;
}

export interface Engine {
  /** Settles once stored state is loaded (or the engine has fallen back to memory). Never rejects. */
  readonly ready: Promise<void>;
  setConsent(consent: ConsentState): Promise<void>;
  /** Validated events from the page (or a test). */
  track(events: InsituEvent[]): void;
  rank(request: DecideRequest & { k?: number }): RankedItem[];
  decide(request: DecideRequest): DecisionRecord;
  /** Log a decision the page made itself (deadline fallback) so evaluation stays unbiased. */
  logFallback(record: DecisionRecord): void;
  /**
   * The page showed its fallback because this decision answered after the deadline: the decision
   * leaves the log, the caps and the learner, so each decide() call is logged once, as what was shown.
   * False when the id is unknown.
   */
  withdraw(decisionId: string): boolean;
  reward(decisionId: string, value: number): boolean;
  explain(decisionId: string): Explanation | undefined;
  mute(tag: string): void;
  unmute(tag: string): void;
  setCatalog(items: CatalogItem[]): void;
  setPriors(priors: Priors | undefined): void;
  /** Replace the site's rules; throws InsituError('invalid_rules') naming the bad field, keeping the old rules. */
  setRules(rules: unknown): void;
  status(): EngineStatus;
  /** Errors the engine handled itself (storage, training) since the last call. */
  errors(): InsituError[];
  /** Close due report periods and deliver the outbox now (only with `metrics` granted). */
  deliverReports(): Promise<DeliveryResult>;
  exportData(): Promise<EngineExport>;
  forget(): Promise<void>;
  /** Wait until every accepted event is written (or known to be memory-only). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export type { OutboxEntry };

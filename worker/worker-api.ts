/**
 * What the worker exposes to the page over comlink. Every method resolves; failures come back as
 * `ErrorValue`s (errors as values across the thread boundary), rebuilt into InsituError on the page.
 */
import type { ReporterConfig } from './report/index.js';
import type { DeliveryResult } from './report/delivery.js';
import type { ErrorValue } from './errors.js';
import type { EngineExport, EngineStatus, Explanation } from './engine-types.js';
import type { CatalogItem, ConsentState, DecideRequest, Decision, InsituEvent, Priors } from './types.js';

export interface WorkerInitConfig {
  catalog?: CatalogItem[];
  catalogUrl?: string;
  priors?: Priors;
  priorsUrl?: string;
  consent: ConsentState;
  collectorUrl?: string;
  report?: Omit<ReporterConfig, 'catalog'>;
  /** Site rules as JSON, or a same-origin URL to fetch them from. */
  rules?: unknown;
  rulesUrl?: string;
  diversity?: number;
  holdoutFraction?: number;
  seed?: number;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: ErrorValue };

export interface WorkerApi {
  init(config: WorkerInitConfig): Promise<Result<EngineStatus>>;
  setConsent(consent: ConsentState): Promise<Result<EngineStatus>>;
  track(events: InsituEvent[]): Promise<Result<number>>;
  decide(request: DecideRequest): Promise<Result<Decision>>;
  /** Log a decision the page made itself (deadline fallback) so evaluation stays unbiased. */
  logFallback(decision: Decision, candidates: string[]): Promise<Result<void>>;
  /** Take back a decision that answered after the page's deadline (the page showed its fallback). */
  withdraw(decisionId: string): Promise<Result<boolean>>;
  reward(decisionId: string, value: number): Promise<Result<boolean>>;
  explain(decisionId: string): Promise<Result<Explanation | undefined>>;
  mute(tag: string): Promise<Result<void>>;
  unmute(tag: string): Promise<Result<void>>;
  /** Close due report periods and deliver the outbox now (only with `metrics` granted). */
  deliverReports(): Promise<Result<DeliveryResult>>;
  exportData(): Promise<Result<EngineExport>>;
  forget(): Promise<Result<void>>;
  status(): Promise<Result<EngineStatus>>;
  flush(): Promise<Result<void>>;
  close(): Promise<Result<void>>;
}

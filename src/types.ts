/** The public, page-side API of insitu. */
import type { InsituError } from '../worker/errors.js';
import type { DeliveryResult } from '../worker/report/delivery.js';
import type { ReporterConfig } from '../worker/report/index.js';
import type { EngineExport, EngineStatus, Explanation } from '../worker/engine-types.js';
import type { CatalogItem, ConsentState, Decision, Priors, Purpose, ConsentValue, TrackInput, EventType } from '../worker/types.js';

export interface AutoCaptureOptions {
  /** Page views, including SPA history changes. Default true. */
  views?: boolean;
  /** Elements marked `data-insitu-item` that are ≥ 50% visible for ≥ 1 s. Default true. */
  impressions?: boolean;
  /** Clicks on elements marked `data-insitu-item`. Default true. */
  clicks?: boolean;
  /** Time spent on each page. Default true. */
  dwell?: boolean;
  /** Deepest scroll position on each page. Default true. */
  scroll?: boolean;
}

/** Where consent comes from. */
export type ConsentSource =
  | { kind: 'explicit'; initial?: Partial<ConsentState> }
  /** An IAB TCF v2 CMP on the page (`window.__tcfapi`). Purpose mapping in the README. */
  | { kind: 'tcf'; timeoutMs?: number };

export interface InsituOptions {
  /** Items, or a same-origin URL to fetch them from. */
  catalog?: CatalogItem[] | string;
  /** Catalog priors (aggregates only), or a URL. */
  priors?: Priors | string;
  consent?: ConsentSource;
  /**
   * Global Privacy Control (`navigator.globalPrivacyControl`) denies `metrics` unless the site sets
   * this to `'override'` — a visible, documented choice that the audit panel displays.
   */
  globalPrivacyControl?: 'respect' | 'override';
  autoCapture?: boolean | AutoCaptureOptions;
  /** Where aggregate reports are sent (only with `metrics` granted). */
  collectorUrl?: string;
  /** What the aggregate reports count and with what privacy budget (placements, period, epsilon). */
  report?: ReporterConfig;
  /** Site rules per placement (eligibility, pins, caps, fallback; see the README), or a same-origin URL. */
  rules?: object | string;
  /** Weight of diversity for shelves (`rank` with k > 1), 0..1. Default 0. */
  diversity?: number;
  /**
   * Share of devices in the non-personalized holdout arm (0..1), bucketed by a stable device id.
   * Default 0.05; 0 personalizes every device (a site that measures lift elsewhere, or a test).
   */
  holdoutFraction?: number;
  /** The worker script (same origin). Default: `insitu-worker.js` beside the SDK file. */
  workerUrl?: string | URL;
  /** Default deadline for `decide()`, in ms. Default 100. */
  decideTimeoutMs?: number;
  /** Called with errors the SDK handled itself (auto-capture, storage, worker); never throws into the page. */
  onError?: (error: InsituError) => void;
}

export interface DecideOptions {
  candidates: string[];
  context?: Record<string, number>;
  /** Deadline in ms (default `decideTimeoutMs`). Past it, the fallback is returned and logged as such. */
  timeoutMs?: number;
  /** The item shown when no decision arrives in time. Default: the first candidate. */
  fallback?: string;
}

export type WorkerState = 'starting' | 'running' | 'restarting' | 'inline' | 'failed';

export interface ClientStatus extends Partial<EngineStatus> {
  worker: WorkerState;
  /** Events accepted by track() and not yet handed to the engine. */
  queuedEvents: number;
  /** Whether GPC was detected and whether the site overrode it. */
  globalPrivacyControl: 'absent' | 'respected' | 'overridden';
}

export interface ConsentController {
  get(): ConsentState;
  /** Grant, deny or reset purposes. A denial of `personalization` erases everything stored. */
  set(update: Partial<Record<Purpose, ConsentValue>>): Promise<void>;
  subscribe(listener: (state: ConsentState) => void): () => void;
}

/** What the audit panel and tests can observe. */
export interface InsituEvents {
  event: { type: EventType; input: TrackInput };
  decision: Decision;
  status: ClientStatus;
  error: InsituError;
}

export interface InsituClient {
  /** Settles when the engine is running (in the worker or inline). Never rejects. */
  readonly ready: Promise<void>;
  /** Queue an event. Returns the validation error instead of throwing; nothing is queued then. */
  track(type: EventType, input?: TrackInput): InsituError | undefined;
  readonly consent: ConsentController;
  decide(placement: string, options: DecideOptions): Promise<Decision>;
  reward(decisionId: string, value?: number): Promise<void>;
  explain(decisionId: string): Promise<Explanation | undefined>;
  mute(tag: string): Promise<void>;
  unmute(tag: string): Promise<void>;
  exportData(): Promise<EngineExport>;
  /**
   * Close finished report periods and send what is due now, instead of waiting for the periodic
   * check. Sends nothing without `metrics` granted; `exportData().sent` lists every request.
   */
  deliverReports(): Promise<DeliveryResult>;
  forget(): Promise<void>;
  readonly status: ClientStatus;
  /** Send queued events to the engine now and wait until they are accepted. */
  flush(): Promise<void>;
  on<K extends keyof InsituEvents>(name: K, listener: (payload: InsituEvents[K]) => void): () => void;
  /** Stop auto-capture, flush, and stop the worker. */
  destroy(): Promise<void>;
}

/**
 * Reporting as one part: the reporter (period tallies → noised reports) and the loop that keeps
 * and delivers them. Nothing here is needed to answer a decision, so the worker loads this module
 * after its first one (reporting-slot.ts holds what happens meanwhile); Node and React Native
 * hand the module to the engine at once.
 */
import { createReportLoop, type ReportLoop } from './report-loop.js';
import { createReporter, type Reporter, type ReporterConfig } from './report/index.js';
import type { Outbox } from './report/outbox.js';
import type { Transport } from './engine-types.js';
import type { Clock, ConsentState, RandomSource, Scheduler, StateKey } from './types.js';

export interface ReportingOptions {
  random: RandomSource;
  clock: Clock;
  config: ReporterConfig;
  transport: Transport | undefined;
  url: string | undefined;
  /** For the send deadline; without one, no deadline. */
  scheduler?: Scheduler;
  outbox: () => Outbox;
  consent: () => ConsentState;
  /** Hand a state record to storage (the engine's consent gate). */
  putState: (key: StateKey, value: unknown) => void;
  /** Persist now and wait until it is stored. */
  persist: () => Promise<void>;
  /** A state record as stored now, or undefined (report-loop.ts reads the ledger other tabs stored). */
  storedState?: (key: StateKey) => Promise<unknown>;
}

export interface Reporting {
  reporter: Reporter;
  loop: ReportLoop;
}

/** What the engine imports, at once or lazily. */
export interface ReportingModule {
  createReporting(options: ReportingOptions): Reporting;
}

export function createReporting(options: ReportingOptions): Reporting {
  const reporter = createReporter({ random: options.random, clock: options.clock, config: options.config });
  /** Hand the reporter's records (tallies, sent log; the ledger after a build) to storage whenever the loop changes them. */
  const putStates = (built = false) => {
    options.putState('reporter', reporter.exportState());
    if (built) options.putState('ledger', reporter.exportLedger());
    options.putState('sent', loop.sent());
  };
  const { storedState } = options;
  const loop = createReportLoop({
    reporter,
    transport: options.transport,
    url: options.url,
    clock: options.clock,
    random: options.random,
    outbox: options.outbox,
    consent: options.consent,
    ...(options.scheduler ? { scheduler: options.scheduler } : {}),
    onChange: putStates,
    persist: options.persist,
    ...(storedState ? { storedLedger: () => storedState('ledger') } : {}),
  });
  return { reporter, loop };
}

/**
 * Where the engine's reporting lives while its code may still be loading. The worker loads the
 * reporting module (reporting.ts) with import() after the first decision: until it arrives, every
 * call on the reporter waits here in order (consent, restored state, observations) and is replayed
 * when it does, so the reporter ends up exactly as if it had been there from the start. Until
 * then nothing of the reporter's is written, so the stored tallies (and a report due from them)
 * stay as they are. If the import fails (offline, a CSP that refuses the chunk) the engine keeps
 * deciding without reports, status says why, and the waiting calls stay waiting: the next flush or
 * report check at least REPORTING_RETRY_MS later tries the import again and replays them.
 */
import { InsituError } from './errors.js';
import { withdraw } from './report/outbox.js';
import type { DeliveryResult } from './report/delivery.js';
import type { Reporting, ReportingModule, ReportingOptions } from './reporting.js';
import type { SentReport } from './engine-types.js';

/** The reporting module itself (Node, React Native), or a loader for it (the worker). */
export type ReportingSource = ReportingModule | (() => Promise<ReportingModule>);

/**
 * Observations kept while the code loads: a page makes a handful before its first decision, and
 * the import takes milliseconds. Past this (an import that hangs) further ones are dropped and
 * counted, so a stuck load cannot grow memory without bound.
 */
export const MAX_WAITING_OBSERVATIONS = 5_000;
/** After a failed import, calls that need the code try again no sooner than this (a page offline for a while is not hammered). */
export const REPORTING_RETRY_MS = 30_000;

export type ReportingState = 'deferred' | 'loading' | 'ready' | 'failed';

export interface ReportingSlot {
  readonly state: ReportingState;
  /** Why the reporting code could not load. */
  readonly reason: string | undefined;
  /** Observations dropped while the code was loading (MAX_WAITING_OBSERVATIONS). */
  readonly dropped: number;
  /** Run a call on the reporting now, or in order once it has loaded; `observation` marks what may be dropped past the bound. */
  tell(call: (reporting: Reporting) => void, observation?: boolean): void;
  /** Start loading (once); settles with the reporting, or undefined when it could not load. Never rejects. */
  load(): Promise<Reporting | undefined>;
  /** The reporter's tallies for storage; undefined until loaded (the stored ones stay). */
  tallies(): unknown;
  /** Close due periods and deliver (loads the code first). */
  run(): Promise<DeliveryResult>;
  /** Metrics withdrawn: empty the outbox. Needs no reporting code when it has not loaded. */
  withdraw(): Promise<void>;
  /** The audit trail of requests sent home (loads the code first; empty when it could not). */
  sent(): Promise<SentReport[]>;
}

export interface ReportingSlotOptions extends ReportingOptions {
  source: ReportingSource;
  /** The code arrived and the waiting calls were replayed: what they changed should be stored. */
  onLoaded: () => void;
  onError: (error: InsituError) => void;
}

export function createReportingSlot(options: ReportingSlotOptions): ReportingSlot {
  const { source } = options;
  const importModule = typeof source === 'function' ? source : async () => source;
  let reporting: Reporting | undefined;
  let state: ReportingState = 'deferred';
  let reason: string | undefined;
  let dropped = 0;
  let waiting: Array<(reporting: Reporting) => void> = [];
  let waitingObservations = 0;
  let loading: Promise<Reporting | undefined> | undefined;
  let failedAt = Number.NEGATIVE_INFINITY;

  function arrive(module: ReportingModule): Reporting {
    const arrived = module.createReporting(options);
    for (const call of waiting) call(arrived);
    waiting = [];
    waitingObservations = 0;
    reporting = arrived;
    state = 'ready';
    reason = undefined;
    return arrived;
  }

  if (typeof source !== 'function') {
    arrive(source);
    loading = Promise.resolve(reporting);
  }

  function load(): Promise<Reporting | undefined> {
    if (loading) return loading;
    if (state === 'failed' && options.clock.now() - failedAt < REPORTING_RETRY_MS) return Promise.resolve(undefined);
    const attempt = (async () => {
      state = 'loading';
      try {
        const arrived = arrive(await importModule());
        options.onLoaded();
        return arrived;
      } catch (error) {
        state = 'failed';
        failedAt = options.clock.now();
        reason = `the reporting code could not load (${String((error as Error)?.message ?? error)}); no report is built or sent until it does (tried again after ${REPORTING_RETRY_MS / 1000} s); decisions are unaffected`;
        options.onError(new InsituError('network_error', reason));
        return undefined;
      }
    })();
    loading = attempt;
    // A failed attempt leaves the slot ready for the next one (the waiting calls stay).
    void attempt.then((arrived) => {
      if (!arrived && loading === attempt) loading = undefined;
    });
    return attempt;
  }

  async function loaded(): Promise<Reporting> {
    const arrived = await load();
    if (!arrived) throw new InsituError('network_error', reason ?? 'the reporting code could not load');
    return arrived;
  }

  return {
    get state() {
      return state;
    },
    get reason() {
      return reason;
    },
    get dropped() {
      return dropped;
    },
    tell(call, observation = false) {
      if (reporting) return call(reporting);
      if (observation && waitingObservations >= MAX_WAITING_OBSERVATIONS) {
        dropped++;
        return;
      }
      if (observation) waitingObservations++;
      waiting.push(call);
    },
    load,
    tallies: () => reporting?.reporter.exportState(),
    // Loaded: at once, so the round reads the clock and consent of this moment, as it always did.
    run: () => (reporting ? reporting.loop.run() : loaded().then((arrived) => arrived.loop.run())),
    async withdraw() {
      if (reporting) return reporting.loop.withdraw();
      // Whatever the earlier calls left in the outbox must go now, loaded or not; the reporter
      // learns of the withdrawal through the consent call waiting for it.
      await withdraw(options.outbox());
    },
    async sent() {
      return (await load())?.loop.sent() ?? [];
    },
  };
}

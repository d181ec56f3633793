/**
 * The engine's side of sending home: closes due periods into noised reports, keeps them in the
 * outbox, and delivers them only while `metrics` is granted. Each attempt is logged with its full
 * body so the person can see every byte that left (exportData().sent).
 */
import { deliver, enqueue, withdraw, type DeliveryResult, type Outbox } from './report/delivery.js';
import type { Reporter } from './report/index.js';
import type { SentReport, Transport } from './engine-types.js';
import type { Clock, ConsentState, RandomSource, Scheduler } from './types.js';

/** The audit trail keeps this many attempts: a few weeks of daily reports with their retries. */
export const MAX_SENT_LOG = 100;
/**
 * A request still unanswered after this long counts as failed (status 0) and is retried later. A
 * report is a few KB; without a deadline one hung request (a collector that accepts the
 * connection and never answers) would hold every later delivery, and every flush, forever. If it
 * does land late, the retry carries the same report id and the collector counts it once.
 */
export const SEND_TIMEOUT_MS = 30_000;

export interface ReportLoopOptions {
  reporter: Reporter;
  transport: Transport | undefined;
  url: string | undefined;
  clock: Clock;
  /** For the send deadline (timers belong to the platform); without one, no deadline. */
  scheduler?: Scheduler;
  random: RandomSource;
  outbox: () => Outbox;
  consent: () => ConsentState;
  /** Called after anything changed that must be persisted (reporter state, ledger, sent log). */
  onChange: () => void;
  /** Persist now and wait until it is stored (after building reports, before sending them). */
  persist: () => Promise<void>;
}

export interface ReportLoop {
  /** Close due periods and deliver what is due now. */
  run(): Promise<DeliveryResult>;
  /** Metrics withdrawn: empty the outbox and drop what was being counted. */
  withdraw(): Promise<void>;
  sent(): SentReport[];
  restoreSent(log: unknown): void;
}

export function createReportLoop(options: ReportLoopOptions): ReportLoop {
  let sentLog: SentReport[] = [];
  let running: Promise<DeliveryResult> | undefined;

  const loggingTransport: Transport | undefined = options.transport && {
    async send(url, body, sendOptions) {
      const entry: SentReport = { url, body, status: 0, at: options.clock.now(), idempotencyKey: sendOptions.idempotencyKey };
      sentLog.push(entry);
      if (sentLog.length > MAX_SENT_LOG) sentLog = sentLog.slice(-MAX_SENT_LOG);
      try {
        const result = await withinDeadline(options.transport!.send(url, body, sendOptions));
        entry.status = result.status;
        return result;
      } finally {
        options.onChange();
      }
    },
  };

  function withinDeadline<T extends { status: number }>(sending: Promise<T>): Promise<T | { status: number }> {
    const scheduler = options.scheduler;
    if (!scheduler) return sending;
    return new Promise((resolve, reject) => {
      const cancel = scheduler.defer(() => resolve({ status: 0 }), SEND_TIMEOUT_MS);
      sending.then(
        (result) => (cancel(), resolve(result)),
        (error: unknown) => (cancel(), reject(error)),
      );
    });
  }

  async function runOnce(): Promise<DeliveryResult> {
    const consent = options.consent();
    const now = options.clock.now();
    const built = options.reporter.buildDueReports(now, consent);
    if (built.length) {
      // The closed periods and the spent ε are stored before the reports enter the outbox: a page
      // that dies in between loses those reports, but can never build (and count) a period twice
      // or spend its ε twice.
      options.onChange();
      await options.persist();
      await enqueue(options.outbox(), built);
    }
    if (!loggingTransport || !options.url) return { withheld: 'no_url', outcomes: [] };
    return deliver(options.outbox(), loggingTransport, consent, now, { url: options.url, random: options.random, clock: () => options.clock.now() });
  }

  /** One round after the one in progress: that one read the clock and consent when it began. */
  let next: Promise<DeliveryResult> | undefined;
  function run(): Promise<DeliveryResult> {
    if (!running) {
      running = runOnce().finally(() => (running = undefined));
      return running;
    }
    next ??= running
      .catch(() => undefined)
      .then(() => {
        next = undefined;
        return run();
      });
    return next;
  }

  return {
    run,
    async withdraw() {
      options.reporter.setConsent(options.consent());
      await withdraw(options.outbox());
      options.onChange();
    },
    sent: () => sentLog.map((entry) => ({ ...entry })),
    restoreSent(log) {
      if (!Array.isArray(log)) return;
      sentLog = log
        .filter((e): e is SentReport => typeof e === 'object' && e !== null && typeof (e as SentReport).body === 'string' && typeof (e as SentReport).url === 'string')
        .slice(-MAX_SENT_LOG);
    },
  };
}

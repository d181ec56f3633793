/**
 * The engine's side of sending home: closes due periods into noised reports, keeps them in the
 * outbox, and delivers them only while `metrics` is granted. Each attempt is logged with its full
 * body so the person can see every byte that left (exportData().sent).
 */
import { deliver, enqueue, withdraw, type DeliveryResult, type Outbox } from './report/delivery.js';
import type { Reporter } from './report/index.js';
import type { SentReport, Transport } from './engine-types.js';
import type { Clock, ConsentState, RandomSource, Scheduler } from './types.js';
import { runIfLockAvailable } from './web-locks.js';

/** The audit trail keeps this many attempts: a few weeks of daily reports with their retries. */
export const MAX_SENT_LOG = 100;
/**
 * A request still unanswered after this long counts as failed (status 0) and is retried later. A
 * report is a few KB; without a deadline one hung request (a collector that accepts the
 * connection and never answers) would hold every later delivery, and every flush, forever. If it
 * does land late, the retry carries the same report id and the collector counts it once.
 */
export const SEND_TIMEOUT_MS = 30_000;
/**
 * Periods close under this Web Lock (one per origin, like the database). Each tab of a site runs
 * its own worker with its own copy of the tallies and the ledger: without it, two tabs open when
 * a period ends would both build its report (two reports from one device, the budget charged
 * once). A tab that finds it held skips building this round: the holder is closing the same periods.
 */
export const REPORT_BUILD_LOCK = 'insitu-report-build';

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
  /**
   * Called after anything changed that must be persisted: the reporter's tallies and the sent log,
   * and after a build (`built`) the ledger too. The ledger is written only then, under the build
   * lock: a tab that has built nothing since it loaded must not write back a ledger without the
   * spends another tab has stored meanwhile.
   */
  onChange: (built?: boolean) => void;
  /** Persist now and wait until it is stored (after building reports, before sending them). */
  persist: () => Promise<void>;
  /** The ledger as stored now (another tab may have built and stored since this page loaded). */
  storedLedger?: () => Promise<unknown>;
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

  /**
   * Close the due periods, alone among the device's pages (REPORT_BUILD_LOCK), after taking in the
   * ledger they stored: a period another tab has built is not built here again.
   */
  async function build(now: number, consent: ConsentState): Promise<void> {
    const stored = await options.storedLedger?.().catch(() => undefined);
    if (stored !== undefined) {
      try {
        options.reporter.mergeLedger(stored);
      } catch {
        // A stored ledger that does not parse is not this tab's to repair: it builds on its own.
      }
    }
    const built = options.reporter.buildDueReports(now, consent);
    // The closed periods and the spent ε (or the refusals) are stored before the reports enter the
    // outbox, and before the lock is let go: a page that dies in between loses those reports, but
    // no page can build (and count) a period twice or spend its ε twice.
    options.onChange(true);
    await options.persist();
    if (built.length) await enqueue(options.outbox(), built);
  }

  async function runOnce(): Promise<DeliveryResult> {
    const consent = options.consent();
    const now = options.clock.now();
    if (options.reporter.hasDuePeriods(now)) await runIfLockAvailable(REPORT_BUILD_LOCK, () => build(now, consent));
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
